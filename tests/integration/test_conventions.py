# SPDX-License-Identifier: Apache-2.0
"""One version, one home page and one licence wherever a user's tools look for them: CMake,
the image's OCI labels, the chart, the changelog (Keep a Changelog form) and LICENSE."""

from __future__ import annotations

import re

import pytest
import yaml

from chart_render import CHART, REPO
from oci_image import dockerfile_stages

# Starts no rlimit-init binary: the sanitizer run leaves it out (it would check nothing new).
pytestmark = pytest.mark.without_binary

CMAKE = (REPO / "CMakeLists.txt").read_text()
VERSION = re.search(r"^project\(rlimit-init VERSION (\S+)$", CMAKE, re.MULTILINE).group(1)
HOME = re.search(r'^  HOMEPAGE_URL "(\S+)"$', CMAKE, re.MULTILINE).group(1)


def final_stage_labels() -> dict[str, str]:
    labels: dict[str, str] = {}
    for instruction in dockerfile_stages()[-1]:
        if instruction.keyword == "LABEL":
            labels.update(re.findall(r'(\S+?)="([^"]*)"', instruction.arguments))
    return labels


def final_stage_args() -> dict[str, str]:
    return dict(i.arguments.split("=", 1) for i in dockerfile_stages()[-1] if i.keyword == "ARG")


def test_image_has_the_oci_labels() -> None:
    assert final_stage_args() == {"VERSION": VERSION, "REVISION": "unknown"}
    assert final_stage_labels() == {
        "org.opencontainers.image.title": "rlimit-init",
        "org.opencontainers.image.description": "Raises RLIMIT_AS per a policy, checked against "
                                                "the cgroup memory limit, then execs the workload",
        "org.opencontainers.image.source": HOME,
        "org.opencontainers.image.licenses": "Apache-2.0",
        "org.opencontainers.image.version": "${VERSION}",
        "org.opencontainers.image.revision": "${REVISION}",
    }


def test_dockerfile_header_tags_the_version() -> None:
    header = (REPO / "Dockerfile").read_text().split("\nFROM ", 1)[0]
    assert re.findall(r"docker build -t (\S+)", header) == [f"rlimit-init:{VERSION}"]


def test_licence_is_apache_2() -> None:
    text = (REPO / "LICENSE").read_text()
    assert text.split()[:5] == ["Apache", "License", "Version", "2.0,", "January"]


def test_chart_names_the_version_and_home() -> None:
    chart = yaml.safe_load((CHART / "Chart.yaml").read_text())
    assert (chart["appVersion"], chart["home"], chart["sources"]) == (VERSION, HOME, [HOME])
    assert chart["kubeVersion"] == ">=1.26.0-0"
    assert [m["name"] for m in chart["maintainers"]] == ["rlimit-init maintainers"]


def test_changelog_is_keep_a_changelog_with_this_version() -> None:
    text = (REPO / "CHANGELOG.md").read_text()
    releases = re.findall(r"^## \[([^\]]+)\](?: - (\d{4}-\d{2}-\d{2}))?$", text, re.MULTILINE)
    assert releases[0] == ("Unreleased", "")
    assert (VERSION, releases[-1][1]) in releases[1:]
    assert all(date for _, date in releases[1:])
    sections = set(re.findall(r"^### (.+)$", text, re.MULTILINE))
    assert sections <= {"Added", "Changed", "Deprecated", "Removed", "Fixed", "Security"}
    links = dict(re.findall(r"^\[([^\]]+)\]: (\S+)$", text, re.MULTILINE))
    assert links == {"Unreleased": f"{HOME}/compare/v{VERSION}...HEAD",
                     VERSION: f"{HOME}/releases/tag/v{VERSION}"}

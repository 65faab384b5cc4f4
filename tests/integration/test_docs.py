# SPDX-License-Identifier: Apache-2.0
"""The README, CONTRIBUTING.md and docs/*.md as a reader follows them: every relative link
reaches a file and a heading that exist, the README's Quick start is the two commands that
scripts/ci-fresh-root.sh runs in a fresh root (so CI proves exactly what a newcomer types), and
docs/policy.md's reference documents every policy key the chart's schema knows."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from conftest import REPO

# Starts no rlimit-init binary: the sanitizer run leaves it out (it would check nothing new).
pytestmark = pytest.mark.without_binary

PAGES = [REPO / "README.md", REPO / "CONTRIBUTING.md", *sorted((REPO / "docs").glob("*.md"))]
LINK = re.compile(r"\]\(([^)\s]+)\)")


def headings(page: Path) -> set[str]:
    """GitHub's anchors for the page's headings (outside code blocks)."""
    found, fence = set(), False
    for line in page.read_text().splitlines():
        if line.startswith("```"):
            fence = not fence
        elif not fence and (m := re.match(r"#{1,6} (.*)", line)):
            found.add(re.sub(r"[^\w\- ]", "", m.group(1).strip().lower()).replace(" ", "-"))
    return found


def test_every_relative_link_reaches_a_file_and_a_heading() -> None:
    broken = []
    for page in PAGES:
        for target in LINK.findall(page.read_text()):
            if re.match(r"[a-z]+:", target):
                continue
            path, _, anchor = target.partition("#")
            linked = (page.parent / path).resolve() if path else page
            if not linked.exists():
                broken.append((page.name, target, "no such file"))
            elif anchor and (linked.suffix != ".md" or anchor not in headings(linked)):
                broken.append((page.name, target, "no such heading"))
    assert broken == []


def test_quick_start_is_the_two_commands_ci_runs_in_a_fresh_root() -> None:
    readme = (REPO / "README.md").read_text()
    section = readme.split("\n## Quick start\n", 1)[1].split("\n## ", 1)[0]
    block = section.split("```sh\n", 1)[1].split("```", 1)[0]
    assert [line.split("#")[0].strip() for line in block.splitlines()] == [
        "scripts/demo.sh", "scripts/test.sh"]
    fresh_root = (REPO / "scripts" / "ci-fresh-root.sh").read_text()
    assert re.findall(r"^(?:RLIMIT_INIT_NO_SKIP=1 )?(scripts/\w+\.sh)", fresh_root, re.M) == [
        "scripts/demo.sh", "scripts/test.sh"]


def policy_keys(node: dict, prefix: str = "") -> list[str]:
    keys = []
    for key, sub in node.get("properties", {}).items():
        keys += policy_keys(sub, f"{prefix}{key}.") if "properties" in sub else [prefix + key]
    return keys


def test_every_policy_key_is_documented_in_the_policy_reference() -> None:
    """The keys of the reference's table, and the rlimits `limits:` takes (one key each, listed
    by prlimit's names), are the chart schema's policy keys; `env.NAME` is a map the schema
    leaves open."""
    schema = json.loads((REPO / "charts" / "rlimit-init" / "values.schema.json").read_text())
    keys = policy_keys(schema["properties"]["policy"])
    assert len(keys) == 26  # ten, and limits.NAME for each of the 16 rlimits
    reference = (REPO / "docs" / "policy.md").read_text().split("\n# Policy reference\n")[1]
    table = reference.split("\n| key | type | default | meaning |\n|---|---|---|---|\n")[1]
    rows = re.findall(r"^\| `([\w.]+)` \|", table.split("\n\n")[0], re.MULTILINE)
    rlimits = re.search(r"`limits:` takes one key per Linux rlimit, named as\s+prlimit\(1\) "
                        r"names them: ((?:`\w+`[,.]?\s*(?:and\s+)?)+)", reference)
    assert rlimits, "docs/policy.md no longer lists the rlimits `limits:` takes"
    names = re.findall(r"`(\w+)`", rlimits[1])
    documented = [row for row in rows if row != "env.NAME"] + [f"limits.{n}" for n in names]
    assert sorted(documented) == sorted(keys)

# SPDX-License-Identifier: Apache-2.0
"""The chart carries the policy's limits section: every row of tests/chart/limits.tsv goes to
helm (values.schema.json applies when `helm template` renders the ConfigMap) and to the real
binary, which reads the policy the ConfigMap holds when helm renders it; both must accept a
row or both refuse it.

Needs helm at .tools/bin/helm (chart_tools): run scripts/setup-chart-tools.sh once.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

import golden
# chart_tools runs for every test in this file.
from chart_render import CHART, CHART_TESTS, chart_tools, parse_objects, policy_text, run_helm  # noqa: F401
from conftest import Runner, write_policy

LIMITS = CHART_TESTS / "limits.tsv"


def rows() -> list[tuple[str, str, str]]:
    found = []
    for line in LIMITS.read_text().splitlines():
        if line.startswith("#"):
            continue
        name, value, verdict = line.split("\t")
        assert verdict in ("accept", "refuse", "binary-only"), line
        found.append((name, value, verdict))
    return found


ROWS = rows()


def policy_body(name: str, value: str) -> str:
    """The policy, as YAML under `policy:` in a values file and as a policy file: limits.as
    replaces addressSpace (a policy may not have both), every other limit goes beside the
    chart's default addressSpace."""
    space = "addressSpace: null\n" if name == "as" else "addressSpace:\n  request: hard\n"
    return f"apiVersion: rlimit-init/v1\n{space}limits:\n  {name}: {value}\n"


def render(workdir: Path, name: str, value: str):
    values = workdir / "values.yaml"
    body = "".join(f"  {line}\n" for line in policy_body(name, value).splitlines())
    values.write_text("policy:\n" + body)
    return run_helm("template", "x", CHART, "--values", values,
                    "--show-only", "templates/configmap.yaml")


def binary_accepts(run: Runner, path: Path) -> bool:
    result = run(["check", "-q", "-p", str(path)])
    # 0 granted, 77 refused for this machine's limits: either way the policy was read.
    assert result.returncode in (0, 77, 78), result
    return result.returncode != 78


def test_the_list_covers_every_verdict_and_every_unit() -> None:
    assert {verdict for _, _, verdict in ROWS} == {"accept", "refuse", "binary-only"}
    accepted = {name for name, _, verdict in ROWS if verdict == "accept"}
    assert accepted >= {"as", "core", "cpu", "data", "memlock", "nice", "nofile", "rtprio",
                        "rttime", "sigpending", "stack"}


@pytest.mark.parametrize("name, value, verdict", ROWS,
                         ids=[f"{n}={v or 'empty'}" for n, v, _ in ROWS])
def test_schema_and_binary_agree(run: Runner, workdir: Path, name: str, value: str,
                                 verdict: str) -> None:
    done = render(workdir, name, value)
    chart = done.returncode == 0
    if chart:
        # The binary reads what the ConfigMap holds, exactly as the Job mounts it.
        rendered = policy_text(parse_objects(done.stdout))
        assert yaml.safe_load(rendered)["limits"] == yaml.safe_load(
            f"{name}: {value}")
        path = write_policy(workdir, rendered, "rendered.yaml")
    else:
        assert "- policy" in done.stderr, done.stderr
        path = write_policy(workdir, policy_body(name, value).replace(
            "addressSpace: null\n", ""), "written.yaml")
    expected = {"accept": (True, True), "refuse": (False, False),
                "binary-only": (False, True)}[verdict]
    assert (binary_accepts(run, path), chart) == expected


def test_the_address_space_is_given_once(run: Runner, workdir: Path) -> None:
    values = workdir / "values.yaml"
    values.write_text("policy:\n  limits:\n    as: 6Gi\n")
    done = run_helm("template", "x", CHART, "--values", values,
                    "--show-only", "templates/configmap.yaml")
    assert done.returncode == 1
    assert "- policy: Must not validate the schema (not)" in done.stderr
    path = write_policy(workdir, "apiVersion: rlimit-init/v1\naddressSpace:\n  request: hard\n"
                        "limits:\n  as: 6Gi\n")
    result = run(["check", "-p", str(path)])
    assert (result.returncode, result.stderr) == (78, "")
    golden.check("limits_cli/as-in-limits-and-address-space.txt", result.stdout,
                 {str(path): "{policy}"})


def test_limits_alone_are_a_policy_in_both(run: Runner, workdir: Path) -> None:
    values = workdir / "values.yaml"
    values.write_text("policy:\n  addressSpace: null\n  limits:\n    nofile: hard\n")
    done = run_helm("template", "x", CHART, "--values", values,
                    "--show-only", "templates/configmap.yaml")
    assert done.returncode == 0, done.stderr
    rendered = policy_text(parse_objects(done.stdout))
    assert rendered == "apiVersion: rlimit-init/v1\nlimits:\n  nofile: hard\n"
    result = run(["check", "-q", "-p", str(write_policy(workdir, rendered))])
    assert (result.returncode, result.stdout) == (0, "")
    values.write_text("policy:\n  addressSpace: null\n")
    refused = run_helm("template", "x", CHART, "--values", values)
    assert "- policy: Must validate at least one schema (anyOf)" in refused.stderr

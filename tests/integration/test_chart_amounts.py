# SPDX-License-Identifier: Apache-2.0
"""The chart's schema and the binary accept the same sizes: every row of tests/chart/amounts.tsv
goes to the real binary in a policy file and to helm (`helm template --set`, which applies
values.schema.json), and both must accept it or both refuse it.

Needs helm at .tools/bin/helm, tests/chart/node_modules, node and kubectl (chart_tools): run
scripts/setup-chart-tools.sh once.
"""

from __future__ import annotations

from pathlib import Path

import pytest

# chart_tools runs for every test in this file.
from chart_render import CHART, CHART_TESTS, chart_tools, run_helm  # noqa: F401
from conftest import Runner, write_policy

AMOUNTS = CHART_TESTS / "amounts.tsv"
VALUE_PATH = {"request": "policy.addressSpace.request", "minimum": "policy.addressSpace.minimum",
              "require": "policy.memory.require"}


def rows() -> list[tuple[str, str, str]]:
    found = []
    for line in AMOUNTS.read_text().splitlines():
        if line.startswith("#"):
            continue
        key, value, verdict = line.split("\t")
        assert key in VALUE_PATH and verdict in ("accept", "refuse", "binary-only"), line
        found.append((key, value, verdict))
    return found


ROWS = rows()


def policy_text(key: str, value: str) -> str:
    # minimum must not exceed request, so its rows ask for unlimited.
    request = value if key == "request" else "unlimited"
    text = f"apiVersion: rlimit-init/v1\naddressSpace:\n  request: {request}\n"
    if key == "minimum":
        text += f"  minimum: {value}\n"
    if key == "require":
        text += f"memory:\n  require: {value}\n"
    return text


def binary_accepts(run: Runner, directory: Path, key: str, value: str) -> bool:
    path = write_policy(directory, policy_text(key, value))
    result = run(["check", "-q", "-p", str(path)])
    # 0 granted, 77 refused for this machine's limits: either way the policy was read.
    assert result.returncode in (0, 77, 78), result
    return result.returncode != 78


def chart_accepts(key: str, value: str) -> bool:
    done = run_helm("template", "x", CHART, "--set", f"{VALUE_PATH[key]}={value}",
                    "--show-only", "templates/configmap.yaml")
    if done.returncode == 0:
        return True
    assert f"- {VALUE_PATH[key]}: " in done.stderr, done.stderr
    return False


def test_the_list_covers_both_verdicts_for_every_key() -> None:
    seen = {(key, verdict) for key, _, verdict in ROWS}
    assert seen >= {(key, verdict) for key in VALUE_PATH for verdict in ("accept", "refuse")}


@pytest.mark.parametrize("key, value, verdict", ROWS,
                         ids=[f"{k}={v or 'empty'}" for k, v, _ in ROWS])
def test_schema_and_binary_agree(run: Runner, workdir: Path, key: str, value: str,
                                 verdict: str) -> None:
    binary, chart = binary_accepts(run, workdir, key, value), chart_accepts(key, value)
    expected = {"accept": (True, True), "refuse": (False, False),
                "binary-only": (False, True)}[verdict]
    assert (binary, chart) == expected


def test_a_byte_count_set_as_a_number_reaches_the_policy_as_written() -> None:
    done = run_helm("template", "x", CHART, "--set", "policy.addressSpace.request=1073741824",
                    "--show-only", "templates/configmap.yaml")
    assert done.returncode == 0, done.stderr
    assert "      request: 1073741824\n" in done.stdout

# SPDX-License-Identifier: Apache-2.0
"""Policy file contents: every bad file in tests/fixtures/policies/bad and every odd value gets
exit 78 with the exact message naming file, line and column, and nothing is exec'd; the files in
tests/fixtures/policies/good are accepted."""

from __future__ import annotations

from pathlib import Path

import pytest

import golden
from rlimit_json import parse as parse_json
from conftest import POLICIES, REPO, Runner, marker_workload, write_policy
from expected import bad_policy_message, bad_policy_messages

BAD = POLICIES / "bad"
GOOD = POLICIES / "good"

BAD_POLICIES = bad_policy_messages()


def said_invalid(name: str, text: str) -> None:
    """TEXT is golden/policy_files/invalid-policy.txt around bad/NAME's line of bad-messages.txt
    (the parser's words, which the unit tests check too)."""
    golden.check("policy_files/invalid-policy.txt", text, {BAD_POLICIES[name]: "{message}"})


def test_every_bad_policy_file_has_exactly_one_message() -> None:
    assert sorted(p.name for p in BAD.iterdir()) == sorted(BAD_POLICIES)


@pytest.mark.parametrize("name", sorted(BAD_POLICIES))
def test_invalid_policy_exits_78_with_file_line_and_column(run: Runner, workdir: Path,
                                                           name: str) -> None:
    workload, marker = marker_workload(workdir)
    result = run(["-p", name] + workload, cwd=BAD)
    assert (result.returncode, result.stdout) == (78, "")
    said_invalid(name, result.stderr)
    assert not marker.exists()


@pytest.mark.parametrize("value, request_bytes", [
    ('"1Gi"', 1073741824), ("1.5Gi", 1610612736), ("4.0", 4), ("1k", 1000),
    ("9223372036854775807", 9223372036854775807),
])
def test_quoted_fractional_and_largest_requests_are_accepted(run: Runner, workdir: Path, value,
                                                             request_bytes) -> None:
    path = write_policy(workdir, f"apiVersion: rlimit-init/v1\naddressSpace:\n  request: "
                                 f"{value}\n")
    result = run(["-q", "-p", str(path), "-o", "json", "check"])
    assert result.returncode == 0
    assert parse_json(result.stdout)["request_bytes"] == request_bytes


def test_deep_nesting_is_refused_with_a_small_stack(run: Runner) -> None:
    name = "flow-nesting-huge.yaml"  # 200,000 "[", under a 256 KiB stack
    result = run(["-p", name, "check"], cwd=BAD,
                 prefix=["sh", "-c", 'ulimit -s 256 && exec "$@"', "sh"])
    assert (result.returncode, result.stderr) == (78, "")
    said_invalid(name, result.stdout)


@pytest.mark.parametrize("name", sorted(p.name for p in GOOD.iterdir()))
def test_good_policy_files_are_accepted(run: Runner, name: str) -> None:
    result = run(["-q", "-p", name, "check"], cwd=GOOD)
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


# The same policies with LF line ends and with CRLF (as written on Windows): the same report,
# and the same error at the same line and column.
@pytest.mark.parametrize("text, code, outcome", [
    ((REPO / "tests" / "bench" / "policy.yaml").read_text().replace('user: "65534:65534"\n', ""),
     0, None),
    ((BAD / "minimum-above-request.yaml").read_text(), 78, "minimum-above-request.yaml"),
    ((BAD / "raise-hard-quoted.yaml").read_text(), 78, "raise-hard-quoted.yaml"),
    ((BAD / "report-format-yaml.yaml").read_text(), 78, "report-format-yaml.yaml"),
], ids=["bench-policy", "minimum-above-request", "quoted-boolean", "unknown-format"])
def test_lf_and_crlf_line_ends_read_a_policy_alike(run: Runner, workdir: Path, text: str,
                                                   code: int, outcome: str | None) -> None:
    results = []
    for line_end in ["\n", "\r\n"]:
        directory = workdir / ("lf" if line_end == "\n" else "crlf")
        directory.mkdir()
        write_policy(directory, text.replace("\n", line_end))
        results.append(run(["-o", "json", "-p", "policy.yaml", "check"], cwd=directory))
    lf, crlf = results
    assert (lf.returncode, lf.stderr, lf.stdout) == (crlf.returncode, crlf.stderr, crlf.stdout)
    report = parse_json(lf.stdout)
    assert lf.returncode == code
    if outcome is None:
        # 64Gi, and 75% of the memory ceiling rounded up to a whole byte.
        assert (report["request_bytes"], report["minimum_bytes"]) == (
            64 * 1024**3, -(-report["memory_ceiling_bytes"] * 3 // 4))
    else:
        # golden/policy_files/invalid-policy.json around the line of bad-messages.txt.
        said = {bad_policy_message(outcome, "policy.yaml"): "{message}"}
        golden.check_json("policy_files/invalid-policy.json",
                          {**report, "message": golden.masked(report["message"], said)})

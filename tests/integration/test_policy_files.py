# SPDX-License-Identifier: Apache-2.0
"""Policy file contents: every bad file in tests/fixtures/policies/bad and every odd value gets
exit 78 with the exact message naming file, line and column, and nothing is exec'd; the files in
tests/fixtures/policies/good are accepted."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import POLICIES, REPO, Runner, marker_workload, write_policy

BAD = POLICIES / "bad"
GOOD = POLICIES / "good"

BAD_POLICIES = {
    "empty.yaml": ": policy is empty; it needs at least apiVersion and addressSpace.request",
    "comment-only.yaml": ": policy is empty; it needs at least apiVersion and "
                         "addressSpace.request",
    "document-marker-only.yaml": ":2:1: policy is empty; it needs at least apiVersion and "
                                 "addressSpace.request",
    "comma.yaml": ":1:1: invalid YAML: unexpected character",
    "second-document.yaml": ":5:1: a second YAML document is not allowed; a policy is one "
                            "document",
    "unclosed-flow.yaml": ":4:1: invalid YAML: end of sequence flow not found",
    "invalid-utf8.yaml": ":3:21: invalid UTF-8 in policy file",
    "nul-byte.yaml": ":3:15: NUL byte in policy file",
    "tab-indent.yaml": ":3:1: tab used for indentation (YAML allows only spaces there)",
    "nested-at-limit.yaml": ":5:12: memory.require: expected a quantity, got a sequence",
    "nested-past-limit.yaml": ":5:18: nested too deeply (a policy is at most 8 levels deep)",
    "deep-block-maps.yaml": ":9:17: nested too deeply (a policy is at most 8 levels deep)",
    "deep-block-sequences.yaml": ":1:17: nested too deeply (a policy is at most 8 levels deep)",
    "anchor.yaml": ":3:12: anchors (&name) are not allowed in a policy",
    "alias-bomb.yaml": ":1:4: anchors (&name) are not allowed in a policy",
    "undefined-alias.yaml": ":3:12: invalid YAML: the referenced anchor is not defined",
    "merge-key.yaml": ":3:3: addressSpace.<<: unknown key; expected one of: request, minimum, "
                      "aboveCgroup, raiseHard",
    "tag.yaml": ":3:12: tags (tag:yaml.org,2002:str) are not allowed in a policy",
    "duplicate-key.yaml": ":4:3: addressSpace.request: duplicate key",
    "unknown-key.yaml": ':4:3: addressSpace.requets: unknown key (did you mean "request"?); '
                        "expected one of: request, minimum, aboveCgroup, raiseHard",
    "unknown-top-key.yaml": ':4:1: memroy: unknown key (did you mean "memory"?); expected one '
                            "of: apiVersion, addressSpace, memory, report, user",
    "root-sequence.yaml": ":1:1: a policy must be a mapping, got a sequence",
    "root-scalar.yaml": ":1:1: a policy must be a mapping, got a scalar",
    "missing-api-version.yaml": ":1:1: apiVersion: required key is missing",
    "wrong-api-version.yaml": ':1:13: apiVersion: unsupported version "rlimit-init/v2"; '
                              'expected "rlimit-init/v1"',
    "missing-address-space.yaml": ":1:1: addressSpace: required key is missing",
    "missing-request.yaml": ":3:3: addressSpace.request: required key is missing",
    "address-space-scalar.yaml": ":2:15: addressSpace: expected a mapping, got a scalar",
    "request-mapping.yaml": ':4:5: addressSpace.request: expected a quantity, a percentage, '
                            '"unlimited" or "hard", got a mapping',
    "minimum-unlimited.yaml": ':4:12: addressSpace.minimum: "unlimited" is not allowed here; '
                              "give a quantity or a percentage",
    "minimum-above-request.yaml": ":4:12: addressSpace.minimum: 2Gi is more than "
                                  "addressSpace.request 1Gi",
    "above-cgroup-bad.yaml": ':4:16: addressSpace.aboveCgroup: expected allow, warn or refuse, '
                             'got "ignore"',
    "raise-hard-yes.yaml": ":4:14: addressSpace.raiseHard: expected true or false, got yes",
    "raise-hard-quoted.yaml": ':4:14: addressSpace.raiseHard: expected true or false, got '
                              '"true" (quoted)',
    "memory-scalar.yaml": ":4:9: memory: expected a mapping, got a scalar",
    "memory-require-percent.yaml": ':5:12: memory.require: invalid quantity "50%": unknown '
                                   'suffix "%" (use Ki, Mi, Gi, Ti, Pi, Ei, or k, M, G, T, P, '
                                   "E)",
    "report-format-yaml.yaml": ':5:11: report.format: expected text or json, got "yaml"',
    "termination-path-relative.yaml": ":5:27: report.terminationMessagePath: must be an "
                                      'absolute path or "", got "termination-log"',
}


def test_every_bad_policy_file_has_an_expected_message() -> None:
    assert sorted(p.name for p in BAD.iterdir()) == sorted(BAD_POLICIES)


@pytest.mark.parametrize("name", sorted(BAD_POLICIES))
def test_invalid_policy_exits_78_with_file_line_and_column(run: Runner, workdir: Path,
                                                           name: str) -> None:
    workload, marker = marker_workload(workdir)
    result = run(["-p", name] + workload, cwd=BAD)
    assert (result.returncode, result.stdout, result.stderr) == (
        78, "", f"rlimit-init: invalid policy: {name}{BAD_POLICIES[name]}\n")
    assert not marker.exists()


@pytest.mark.parametrize("value, at, reason", [
    ("010", "3:12", 'invalid quantity "010": leading zeros are not allowed (YAML 1.1 reads them '
                    "as octal)"),
    ("0x10", "3:12", 'invalid quantity "0x10": hexadecimal is not supported'),
    ("1e3", "3:12", 'invalid quantity "1e3": exponents are not supported; write the bytes or '
                    "use a suffix such as G or Gi"),
    ("1_000", "3:12", 'invalid quantity "1_000": digit separators are not allowed'),
    ("-1", "3:12", 'invalid quantity "-1": must not be negative'),
    ("18446744073709551616", "3:12", 'invalid quantity "18446744073709551616": too large; the '
                                     'largest is 8Ei minus one byte, or write "unlimited"'),
    ("18446744073709551615", "3:12", 'invalid quantity "18446744073709551615": too large; the '
                                     'largest is 8Ei minus one byte, or write "unlimited"'),
    ("9223372036854775808", "3:12", 'invalid quantity "9223372036854775808": too large; the '
                                    'largest is 8Ei minus one byte, or write "unlimited"'),
    ("~", "3:12", 'expected a quantity, a percentage, "unlimited" or "hard", got nothing'),
    ("1gi", "3:12", 'invalid quantity "1gi": unknown suffix "gi" (did you mean "Gi"? suffixes '
                    "are case-sensitive)"),
    ("1KI", "3:12", 'invalid quantity "1KI": unknown suffix "KI" (did you mean "Ki"? suffixes '
                    "are case-sensitive)"),
    ("150%", "3:12", 'invalid percentage "150%": must be at most 100% of the memory ceiling; to '
                     "go past it, give a quantity and set aboveCgroup"),
    ("0%", "3:12", 'invalid percentage "0%": must be above 0% (0% would leave no address '
                   "space)"),
    ("12.345%", "3:12", 'invalid percentage "12.345%": at most two decimal places'),
    ("[1Gi]", "3:12", 'expected a quantity, a percentage, "unlimited" or "hard", got a '
                      "sequence"),
])
def test_odd_request_values_exit_78(run: Runner, workdir: Path, value, at, reason) -> None:
    path = write_policy(workdir, f"apiVersion: rlimit-init/v1\naddressSpace:\n  request: "
                                 f"{value}\n")
    result = run(["-p", str(path), "check"])
    assert (result.returncode, result.stdout) == (
        78, f"rlimit-init: invalid policy: {path}:{at}: addressSpace.request: {reason}\n")


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
    assert json.loads(result.stdout)["request_bytes"] == request_bytes


def test_deep_nesting_is_refused_with_a_small_stack(run: Runner, workdir: Path) -> None:
    path = write_policy(workdir, "[" * 100_000 + "\n")
    result = run(["-p", str(path), "check"], prefix=["sh", "-c", 'ulimit -s 256 && exec "$@"',
                                                    "sh"])
    assert (result.returncode, result.stdout) == (
        78, f"rlimit-init: invalid policy: {path}:1:5: nested too deeply (a policy is at most 8 "
            "levels deep)\n")


@pytest.mark.parametrize("name", sorted(p.name for p in GOOD.iterdir()))
def test_good_policy_files_are_accepted(run: Runner, name: str) -> None:
    result = run(["-q", "-p", name, "check"], cwd=GOOD)
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


# The same policies with LF line ends, read by rlimit-init's plain-subset reader, and with CRLF,
# which the subset leaves to yaml-cpp: both readers must give the same report and the same error
# at the same line and column (docs/performance.md, "the subset reader").
@pytest.mark.parametrize("text, code, outcome", [
    ((REPO / "tests" / "bench" / "policy.yaml").read_text().replace('user: "65534:65534"\n', ""),
     0, None),
    ("apiVersion: rlimit-init/v1\naddressSpace:\n  request: 1Gi\n  minimum: 2Gi  # too much\n",
     78, "policy.yaml:4:12: addressSpace.minimum: 2Gi is more than addressSpace.request 1Gi"),
    ("apiVersion: rlimit-init/v1\n\n# a comment\naddressSpace:\n    request: 64Gi\n    raiseHard: "
     "'true'\n",
     78, 'policy.yaml:6:16: addressSpace.raiseHard: expected true or false, got "true" (quoted)'),
    ("apiVersion: rlimit-init/v1\naddressSpace:\n  request: 1Gi\nreport:\n  format: yaml\n",
     78, 'policy.yaml:5:11: report.format: expected text or json, got "yaml"'),
], ids=["bench-policy", "minimum-above-request", "quoted-boolean", "unknown-format"])
def test_subset_reader_and_yaml_cpp_read_a_policy_alike(run: Runner, workdir: Path, text: str,
                                                        code: int, outcome: str | None) -> None:
    results = []
    for line_end in ["\n", "\r\n"]:
        directory = workdir / ("lf" if line_end == "\n" else "crlf")
        directory.mkdir()
        write_policy(directory, text.replace("\n", line_end))
        results.append(run(["-o", "json", "-p", "policy.yaml", "check"], cwd=directory))
    lf, crlf = results
    assert (lf.returncode, lf.stderr, lf.stdout) == (crlf.returncode, crlf.stderr, crlf.stdout)
    report = json.loads(lf.stdout)
    assert lf.returncode == code
    if outcome is None:
        # 64Gi, and 75% of the memory ceiling rounded up to a whole byte.
        assert (report["request_bytes"], report["minimum_bytes"]) == (
            64 * 1024**3, -(-report["memory_ceiling_bytes"] * 3 // 4))
    else:
        assert report == {"outcome": "error", "exit_code": 78,
                          "message": f"invalid policy: {outcome}"}

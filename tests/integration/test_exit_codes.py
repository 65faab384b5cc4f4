"""The documented exit codes of the real binary, the exact message for each, and that nothing is
exec'd after any error: 64 bad command line, 70 internal error, 77 refused, 78 bad policy,
126/127 workload not runnable, and the workload's own status once exec'd."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from conftest import CLEAN_PATH, NOBODY, POLICIES, Runner, describe, write_policy

BAD = POLICIES / "bad"
GOOD = POLICIES / "good"
HELP = "; see rlimit-init --help"
KUBERNETES = {"KUBERNETES_SERVICE_HOST": "10.96.0.1"}


def marker_workload(directory: Path) -> tuple[list[str], Path]:
    """A workload that leaves a file behind if it ever runs."""
    marker = directory / "workload-ran"
    return ["--", "touch", str(marker)], marker


# --- 64: bad command line ----------------------------------------------------------------------

@pytest.mark.parametrize("args, message", [
    (["--frobnicate", "--", "true"], "unrecognised option '--frobnicate'"),
    ([], "no workload given; usage: rlimit-init [OPTIONS] [--] COMMAND [ARG...]"),
    (["-q"], "no workload given; usage: rlimit-init [OPTIONS] [--] COMMAND [ARG...]"),
    (["--"], 'no workload after "--"'),
    (["--output", "yaml", "--", "true"], '--output must be text or json, not "yaml"'),
    (["-o", "xml", "check"], '--output must be text or json, not "xml"'),
    (["--policy"], "the required argument for option '--policy' is missing"),
    (["check", "extra"], 'unexpected argument "extra" after check'),
    (["inspect", "--", "true"], '"inspect" takes no workload'),
    (["check", "touch", "x"], 'unexpected argument "touch" after check'),
    (["check", "--", "touch", "x"], '"check" takes no workload'),
], ids=["unknown-option", "nothing", "options-only", "nothing-after-dashes", "output-yaml",
        "output-xml-check", "policy-without-file", "check-extra-word", "inspect-workload",
        "check-word", "check-workload"])
def test_bad_command_line_exits_64_and_points_at_help(run: Runner, args, message) -> None:
    result = run(args)
    assert (result.returncode, result.stdout, result.stderr) == (
        64, "", f"rlimit-init: bad command line: {message}{HELP}\n")


@pytest.mark.parametrize("value, reason", [
    ("lots", 'invalid quantity "lots": expected a number such as 512Mi'),
    ("1GB", 'invalid quantity "1GB": unknown suffix "GB" (use Ki, Mi, Gi, Ti, Pi, Ei, or k, M, '
            'G, T, P, E)'),
    ("-1", 'invalid quantity "-1": must not be negative'),
    ("150%", 'invalid percentage "150%": must be at most 100% of the memory ceiling; to go past '
             "it, give a quantity and set aboveCgroup"),
    ("0%", 'invalid percentage "0%": must be above 0% (0% would leave no address space)'),
])
def test_bad_as_exits_64_naming_the_option(run: Runner, workdir: Path, value, reason) -> None:
    workload, marker = marker_workload(workdir)
    result = run(["--as", value] + workload)
    assert (result.returncode, result.stderr) == (
        64, f"rlimit-init: bad command line: --as: {reason}\n")
    assert not marker.exists()


def test_bad_rlimit_init_as_exits_64_naming_the_variable(run: Runner, workdir: Path) -> None:
    workload, marker = marker_workload(workdir)
    result = run(workload, env={"RLIMIT_INIT_AS": "1gi"})
    assert (result.returncode, result.stderr) == (
        64, 'rlimit-init: bad command line: RLIMIT_INIT_AS: invalid quantity "1gi": unknown '
            'suffix "gi" (did you mean "Gi"? suffixes are case-sensitive)\n')
    assert not marker.exists()


@pytest.mark.xfail(strict=True, reason='bug: "--" after an option that takes a value is read '
                                       "as its value instead of ending the options")
def test_dashes_after_policy_option_is_a_missing_argument(run: Runner, workdir: Path) -> None:
    workload, marker = marker_workload(workdir)
    result = run(["-p"] + workload)
    assert (result.returncode, result.stderr) == (
        64, f"rlimit-init: bad command line: the required argument for option '--policy' is "
            f"missing{HELP}\n")
    assert not marker.exists()


# --- 78: policy missing, unreadable or invalid -------------------------------------------------

def test_missing_policy_exits_78(run: Runner, workdir: Path) -> None:
    workload, marker = marker_workload(workdir)
    result = run(["-p", str(workdir / "absent.yaml")] + workload)
    assert (result.returncode, result.stdout, result.stderr) == (
        78, "", f"rlimit-init: cannot read policy {workdir}/absent.yaml: No such file or "
                "directory\n")
    assert not marker.exists()


def test_directory_as_policy_exits_78(run: Runner, workdir: Path) -> None:
    workload, marker = marker_workload(workdir)
    result = run(["-p", str(workdir)] + workload)
    assert (result.returncode, result.stderr) == (
        78, f"rlimit-init: cannot read policy {workdir}: it is a directory\n")
    assert not marker.exists()


def test_fifo_as_policy_exits_78_without_blocking(run: Runner, workdir: Path) -> None:
    # No writer ever opens the FIFO: a blocking open would hang until run()'s timeout.
    fifo = workdir / "policy.yaml"
    os.mkfifo(fifo)
    workload, marker = marker_workload(workdir)
    result = run(["-p", str(fifo)] + workload)
    assert (result.returncode, result.stderr) == (
        78, f"rlimit-init: cannot read policy {fifo}: not a regular file (a FIFO, device or "
            "socket)\n")
    assert not marker.exists()


def test_dev_zero_as_policy_exits_78(run: Runner, workdir: Path) -> None:
    workload, marker = marker_workload(workdir)
    result = run(["-p", "/dev/zero"] + workload)
    assert (result.returncode, result.stderr) == (
        78, "rlimit-init: cannot read policy /dev/zero: not a regular file (a FIFO, device or "
            "socket)\n")
    assert not marker.exists()


def test_dangling_symlink_as_policy_exits_78(run: Runner, workdir: Path) -> None:
    link = workdir / "policy.yaml"
    link.symlink_to(workdir / "deleted.yaml")
    workload, marker = marker_workload(workdir)
    result = run(["-p", str(link)] + workload)
    assert (result.returncode, result.stderr) == (
        78, f"rlimit-init: cannot read policy {link}: No such file or directory\n")
    assert not marker.exists()


def test_policy_without_read_permission_exits_78(run: Runner, workdir: Path,
                                                 nobody_binary: Path) -> None:
    path = write_policy(workdir, (GOOD / "request-512mi.yaml").read_text())
    path.chmod(0o600)
    marker_dir = workdir / "out"
    marker_dir.mkdir(mode=0o777)
    marker_dir.chmod(0o777)
    workload, marker = marker_workload(marker_dir)
    result = run(["-p", str(path)] + workload, user=NOBODY, binary=nobody_binary)
    assert (result.returncode, result.stderr) == (
        78, f"rlimit-init: cannot read policy {path}: Permission denied\n")
    assert not marker.exists()


def test_policy_over_256_kib_exits_78(run: Runner, workdir: Path) -> None:
    # A valid policy padded with a comment past the cap: refused on its size alone.
    text = (GOOD / "request-512mi.yaml").read_text() + "#" * (256 * 1024) + "\n"
    path = write_policy(workdir, text)
    workload, marker = marker_workload(workdir)
    result = run(["-p", str(path)] + workload)
    assert (result.returncode, result.stderr) == (
        78, f"rlimit-init: cannot read policy {path}: larger than 256 KiB (a policy is a few "
            "lines)\n")
    assert not marker.exists()


def test_policy_of_exactly_256_kib_is_read(run: Runner, workdir: Path) -> None:
    head = (GOOD / "request-512mi.yaml").read_text()
    path = write_policy(workdir, head + "#" * (256 * 1024 - len(head) - 1) + "\n")
    assert path.stat().st_size == 256 * 1024
    result = run(["-q", "-p", str(path), "check"])
    assert (result.returncode, result.stderr) == (0, "")


# Each file in tests/fixtures/policies/bad and the message it must get, after
# "rlimit-init: invalid policy: " and the file name.
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
    assert (result.returncode, result.stderr) == (
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
    assert json.loads(result.stderr)["request_bytes"] == request_bytes


def test_deep_nesting_is_refused_with_a_small_stack(run: Runner, workdir: Path) -> None:
    path = write_policy(workdir, "[" * 100_000 + "\n")
    result = run(["-p", str(path), "check"], prefix=["sh", "-c", 'ulimit -s 256 && exec "$@"',
                                                    "sh"])
    assert (result.returncode, result.stderr) == (
        78, f"rlimit-init: invalid policy: {path}:1:5: nested too deeply (a policy is at most 8 "
            "levels deep)\n")


@pytest.mark.parametrize("name", sorted(p.name for p in GOOD.iterdir()))
def test_good_policy_files_are_accepted(run: Runner, name: str) -> None:
    result = run(["-q", "-p", name, "check"], cwd=GOOD)
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


def test_invalid_policy_in_check_exits_78(run: Runner) -> None:
    result = run(["check", "-p", "duplicate-key.yaml"], cwd=BAD)
    assert (result.returncode, result.stdout, result.stderr) == (
        78, "", "rlimit-init: invalid policy: duplicate-key.yaml:4:3: addressSpace.request: "
                "duplicate key\n")


def test_unknown_user_in_policy_exits_78(run: Runner, workdir: Path) -> None:
    path = write_policy(workdir, (GOOD / "request-512mi.yaml").read_text() +
                        "user: no-such-user-here\n")
    workload, marker = marker_workload(workdir)
    result = run(["-p", str(path)] + workload)
    assert (result.returncode, result.stderr) == (
        78, f'rlimit-init: invalid policy: {path}: user: user "no-such-user-here" is not in '
            "/etc/passwd\n")
    assert not marker.exists()


# --- 77: refused, 0: granted (check) -----------------------------------------------------------

@pytest.mark.sets_rlimit_as
def test_refusal_exits_77_and_execs_nothing(run: Runner, workdir: Path) -> None:
    workload, marker = marker_workload(workdir)
    result = run(["--as", "2Gi"] + workload, as_limit=(256 * 1024**2, 1024**3), env=KUBERNETES)
    assert result.returncode == 77
    assert result.stderr.splitlines()[0] == (
        f"rlimit-init: refused: the job asks for {describe(2 * 1024**3)} of address space, but "
        f"the hard limit is {describe(1024**3)} and raiseHard is not set")
    assert not marker.exists()


@pytest.mark.sets_rlimit_as
@pytest.mark.parametrize("request_, code", [("512Mi", 0), ("1Gi", 0), ("2Gi", 77)])
def test_check_exits_0_when_granted_and_77_when_refused(run: Runner, request_, code) -> None:
    result = run(["check", "-q", "--as", request_], as_limit=(256 * 1024**2, 1024**3))
    assert (result.returncode, result.stdout) == (code, "")
    assert (result.stderr == "") == (code == 0)


# --- 126, 127: the workload cannot be run ------------------------------------------------------

def test_workload_not_found_on_path_exits_127(run: Runner) -> None:
    result = run(["-q", "--", "no-such-workload-xyz", "--flag"])
    assert (result.returncode, result.stdout, result.stderr) == (
        127, "", "rlimit-init: cannot execute no-such-workload-xyz: No such file or directory "
                 f"(searched PATH={CLEAN_PATH})\n")


@pytest.mark.parametrize("path, reason", [
    ("/no/such/dir/job", "No such file or directory"), ("/etc/passwd/job", "Not a directory")])
def test_workload_path_not_found_exits_127(run: Runner, path, reason) -> None:
    result = run(["-q", "--", path])
    assert (result.returncode, result.stderr) == (
        127, f"rlimit-init: cannot execute {path}: {reason}\n")


def test_workload_without_execute_permission_exits_126(run: Runner, workdir: Path) -> None:
    script = workdir / "job.sh"
    script.write_text("#!/bin/sh\ntouch ran\n")
    script.chmod(0o644)
    result = run(["-q", "--", str(script)], cwd=workdir)
    assert (result.returncode, result.stderr) == (
        126, f"rlimit-init: cannot execute {script}: Permission denied\n")
    assert not (workdir / "ran").exists()


def test_directory_as_workload_exits_126(run: Runner, workdir: Path) -> None:
    result = run(["-q", "--", str(workdir)])
    assert (result.returncode, result.stderr) == (
        126, f"rlimit-init: cannot execute {workdir}: Permission denied\n")


# --- 70: an unexpected syscall failure ---------------------------------------------------------

def test_failed_user_switch_exits_70_and_execs_nothing(run: Runner, workdir: Path,
                                                       nobody_binary: Path) -> None:
    # Only root may call setgroups, so a policy naming a user fails for an unprivileged caller.
    path = write_policy(workdir, (GOOD / "request-512mi.yaml").read_text() +
                        'user: "65534:65534"\n')
    marker_dir = workdir / "out"
    marker_dir.mkdir()
    marker_dir.chmod(0o777)
    workload, marker = marker_workload(marker_dir)
    result = run(["-q", "-p", str(path)] + workload, user=NOBODY, binary=nobody_binary)
    assert (result.returncode, result.stderr) == (
        70, "rlimit-init: cannot switch to user 65534:65534 (groups 65534): setgroups: Operation "
            "not permitted; run rlimit-init as root, or remove user: from the policy\n")
    assert not marker.exists()


# --- the workload's own status -----------------------------------------------------------------

@pytest.mark.parametrize("status", [0, 1, 42, 255])
def test_workload_exit_status_passes_through(run: Runner, status: int) -> None:
    result = run(["-q", "--", "sh", "-c", f"exit {status}"])
    assert (result.returncode, result.stderr) == (status, "")


def test_workload_killed_by_a_signal_is_seen_as_that_signal(run: Runner) -> None:
    # exec keeps the process: the caller sees the workload's own death by SIGTERM.
    result = run(["-q", "--", "sh", "-c", "kill -TERM $$"])
    assert (result.returncode, result.stderr) == (-15, "")


def test_workload_arguments_reach_it_unchanged(run: Runner) -> None:
    args = ["--as", "-p", "x y", "--", "-q", ""]
    result = run(["-q", "--", "python3", "-c", "import sys; print(sys.argv[1:])"] + args)
    assert (result.returncode, result.stdout) == (0, f"{args}\n")


def test_first_word_that_is_no_subcommand_starts_the_workload(run: Runner) -> None:
    result = run(["-q", "sh", "-c", "echo $0 $1", "check", "inspect"])
    assert (result.returncode, result.stdout) == (0, "check inspect\n")


# --- help and version --------------------------------------------------------------------------

HELP_EXIT_CODES = """exit codes:
  the workload's own   once it has been exec'd
  0                    check: the decision grants (raised, unchanged or partial)
  64                   bad command line
  70                   internal error (an unexpected syscall failure)
  73                   install: DIR/rlimit-init could not be written
  77                   refused by policy
  78                   policy file missing, unreadable or invalid
  126                  workload found but not executable
  127                  workload not found
"""


@pytest.mark.parametrize("args", [["--help"], ["-h"], ["help"]])
def test_help_ends_with_the_exit_code_table(run: Runner, args) -> None:
    result = run(args)
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout.startswith("usage: rlimit-init [OPTIONS] [--] COMMAND [ARG...]")
    assert result.stdout.endswith("\n\n" + HELP_EXIT_CODES)


@pytest.mark.parametrize("args", [["version"], ["--version"]])
def test_version_prints_name_and_version(run: Runner, args) -> None:
    version = (Path(__file__).parents[2] / "CMakeLists.txt").read_text()
    number = version.split("project(rlimit-init VERSION ", 1)[1].split()[0]
    result = run(args)
    assert (result.returncode, result.stdout, result.stderr) == (0, f"rlimit-init {number}\n",
                                                                 "")

# SPDX-License-Identifier: Apache-2.0
"""The documented exit codes of the real binary, the exact message for each, and that nothing is
exec'd after any error: 64 bad command line, 70 internal error, 77 refused, 78 bad policy,
126/127 workload not runnable, and the workload's own status once exec'd."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

import golden
from conftest import (CLEAN_PATH, KUBERNETES, NOBODY, POLICIES, REPO, Runner, marker_workload,
                      write_policy)
from expected import bad_policy_message

BAD = POLICIES / "bad"
GOOD = POLICIES / "good"
HELP = "; see rlimit-init --help"


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
], ids=["unknown-option", "nothing", "options-only", "nothing-after-dashes", "output-yaml",
        "output-xml-check", "policy-without-file", "check-extra-word", "inspect-workload",
        "check-word"])
def test_bad_command_line_exits_64_and_points_at_help(run: Runner, args, message) -> None:
    result = run(args)
    assert (result.returncode, result.stdout, result.stderr) == (
        64, "", f"rlimit-init: bad command line: {message}{HELP}\n")


@pytest.mark.parametrize("value, reason", [
    ("lots", 'invalid quantity "lots": expected a number such as 512Mi'),
    ("1GB", 'invalid quantity "1GB": unknown suffix "GB" (use Ki, Mi, Gi, Ti, Pi, Ei, or k, M, '
            'G, T, P, E)'),
    ("-1", 'invalid quantity "-1": must not be negative'),
    ("1000.01%", 'invalid percentage "1000.01%": must be at most 1000% of the memory ceiling; '
                 'for more, give a quantity or "unlimited"'),
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


# Every file in tests/fixtures/policies/bad is run by test_policy_files.py; check answers the
# same, on stdout. The message comes from the one table, bad-messages.txt.
def test_invalid_policy_in_check_exits_78(run: Runner, workdir: Path) -> None:
    path = workdir / "policy.yaml"
    shutil.copy(BAD / "duplicate-key.yaml", path)
    result = run(["check", "-p", str(path)])
    assert (result.returncode, result.stderr, result.stdout) == (
        78, "", f"rlimit-init: invalid policy: {bad_policy_message('duplicate-key.yaml', path)}\n")


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
    assert (result.returncode, result.stdout) == (77, "")
    golden.check("exit_codes/as-refused-kubernetes.txt", result.stderr)
    assert not marker.exists()


@pytest.mark.sets_rlimit_as
@pytest.mark.parametrize("request_", ["256Mi", "512Mi", "1Gi"])
def test_check_exits_0_when_granted(run: Runner, request_) -> None:
    result = run(["check", "-q", "--as", request_], as_limit=(256 * 1024**2, 1024**3))
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


@pytest.mark.sets_rlimit_as
def test_check_exits_77_when_refused(run: Runner) -> None:
    result = run(["check", "-q", "--as", "2Gi"], as_limit=(256 * 1024**2, 1024**3),
                 env=KUBERNETES)
    assert (result.returncode, result.stderr) == (77, "")
    golden.check("exit_codes/as-refused-kubernetes.txt", result.stdout)


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

MESSAGES_DOC = REPO / "docs" / "messages.md"


def help_exit_codes(help_text: str) -> list[tuple[str, str]]:
    """--help's exit-code table, which must be its last section: (code, meaning) per line."""
    _, found, table = help_text.partition("\n\nexit codes:\n")
    assert found, "--help has no exit codes section"
    assert table.endswith("\n"), "--help does not end with a line break"
    rows = [re.fullmatch(r"  (\S.*?) {2,}(\S.*)", line) for line in table.splitlines()]
    assert all(rows), f"--help has more after its exit code table:\n{table}"
    return [(row[1], row[2]) for row in rows]


def documented_exit_codes() -> list[tuple[str, str]]:
    """docs/messages.md's exit-code table, (code, meaning) per row as a reader sees it: links as
    their text, code spans without their backticks."""
    _, found, section = MESSAGES_DOC.read_text().partition("# Exit codes\n")
    assert found, f"{MESSAGES_DOC} has no Exit codes section"
    lines = [line for line in section.splitlines()[:40] if line.startswith("|")]
    rows = []
    for line in lines[2:]:  # past the header and its rule
        code, meaning = (cell.strip() for cell in line.strip("|").split("|"))
        meaning = re.sub(r"\[([^]]+)\]\([^)]+\)", r"\1", meaning).replace("`", "")
        rows.append((code, meaning))
    return rows


@pytest.mark.parametrize("args", [["--help"], ["-h"], ["help"]])
def test_help_ends_with_the_documented_exit_code_table(run: Runner, args) -> None:
    """The table is written once, in the code (--help); docs/messages.md must list the same
    codes in the same order, each meaning starting with --help's words."""
    result = run(args)
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout.startswith("usage: rlimit-init [OPTIONS] [--] COMMAND [ARG...]")
    shown = help_exit_codes(result.stdout)
    documented = documented_exit_codes()
    assert [code for code, _ in shown] == [code for code, _ in documented]
    assert [code for code, meaning in shown
            if not dict(documented)[code].startswith(meaning)] == [], (shown, documented)

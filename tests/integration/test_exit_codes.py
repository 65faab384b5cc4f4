# SPDX-License-Identifier: Apache-2.0
"""The documented exit codes of the real binary, the exact message for each, and that nothing is
exec'd after any error: 64 bad command line, 70 internal error, 77 refused, 78 bad policy,
126/127 workload not runnable, and the workload's own status once exec'd."""

from __future__ import annotations

import os
import re
import shlex
import shutil
from pathlib import Path

import pytest

import golden
from conftest import (KUBERNETES, NOBODY, POLICIES, REPO, Runner, marker_workload,
                      write_policy)
from expected import bad_policy_message

BAD = POLICIES / "bad"
GOOD = POLICIES / "good"


def transcript(run: Runner, cases: list[tuple[list[str], dict[str, str]]], code: int,
               workdir: Path | None = None) -> str:
    """Runs each (args, env) and returns `$ [ENV] rlimit-init ARGS` then its stderr, for a table
    of messages kept as one golden file; each must exit `code` with nothing on stdout and, with
    `workdir`, exec nothing (marker_workload)."""
    said = []
    for args, env in cases:
        result = run(args, env=env)
        assert (result.returncode, result.stdout) == (code, ""), (args, env, result.stderr)
        if workdir is not None:
            assert not (workdir / "workload-ran").exists(), (args, env)
        variables = "".join(f"{key}={shlex.quote(value)} " for key, value in env.items())
        said += [f"$ {variables}{shlex.join(['rlimit-init'] + args)}\n", result.stderr]
    text = "".join(said)
    return text if workdir is None else text.replace(str(workdir), "{workdir}")


# --- 64: bad command line ----------------------------------------------------------------------

BAD_COMMAND_LINES = [["--frobnicate", "--", "true"], [], ["-q"], ["--"],
                     ["--output", "yaml", "--", "true"], ["-o", "xml", "check"], ["--policy"],
                     ["check", "extra"], ["inspect", "--", "true"], ["check", "touch", "x"]]


def test_bad_command_line_exits_64_and_points_at_help(run: Runner) -> None:
    golden.check("exit_codes/bad-command-line.txt",
                 transcript(run, [(args, {}) for args in BAD_COMMAND_LINES], 64))


def test_bad_as_exits_64_naming_the_option_or_variable(run: Runner, workdir: Path) -> None:
    workload, _ = marker_workload(workdir)
    cases = [(["--as", value] + workload, {})
             for value in ("lots", "1GB", "-1", "1000.01%", "0%")]
    cases += [(workload, {"RLIMIT_INIT_AS": "1gi"}), (["-p"] + workload, {})]
    golden.check("exit_codes/bad-as.txt", transcript(run, cases, 64, workdir))


# --- 78: policy missing, unreadable or invalid -------------------------------------------------

def test_unreadable_policy_exits_78_and_execs_nothing(run: Runner, workdir: Path) -> None:
    """Absent, a directory, a FIFO no writer opens (a blocking open would hang until run()'s
    timeout), /dev/zero, a dangling symlink, a valid policy padded past the 256 KiB cap."""
    fifo = workdir / "fifo.yaml"
    os.mkfifo(fifo)
    (workdir / "link.yaml").symlink_to(workdir / "deleted.yaml")
    text = (GOOD / "request-512mi.yaml").read_text() + "#" * (256 * 1024) + "\n"
    large = write_policy(workdir, text, "large.yaml")
    workload, _ = marker_workload(workdir)
    paths = [workdir / "absent.yaml", workdir, fifo, "/dev/zero", workdir / "link.yaml", large]
    golden.check("exit_codes/unreadable-policy.txt", transcript(
        run, [(["-p", str(path)] + workload, {}) for path in paths], 78, workdir))


def test_policy_without_read_permission_exits_78(run: Runner, workdir: Path,
                                                 nobody_binary: Path) -> None:
    path = write_policy(workdir, (GOOD / "request-512mi.yaml").read_text())
    path.chmod(0o600)
    marker_dir = workdir / "out"
    marker_dir.mkdir(mode=0o777)
    marker_dir.chmod(0o777)
    workload, marker = marker_workload(marker_dir)
    result = run(["-p", str(path)] + workload, user=NOBODY, binary=nobody_binary)
    assert (result.returncode, result.stdout) == (78, "")
    golden.check("exit_codes/policy-without-read-permission.txt", result.stderr,
                 {str(path): "{policy}"})
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
    assert (result.returncode, result.stderr) == (78, "")
    golden.check("policy_files/invalid-policy.txt", result.stdout,
                 {bad_policy_message("duplicate-key.yaml", path): "{message}"})


def test_unknown_user_in_policy_exits_78(run: Runner, workdir: Path) -> None:
    path = write_policy(workdir, (GOOD / "request-512mi.yaml").read_text() +
                        "user: no-such-user-here\n")
    workload, marker = marker_workload(workdir)
    result = run(["-p", str(path)] + workload)
    assert (result.returncode, result.stdout) == (78, "")
    golden.check("exit_codes/unknown-user.txt", result.stderr, {str(path): "{policy}"})
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

def test_workload_not_found_exits_127(run: Runner) -> None:
    """On PATH (the search is named), and by a path whose directory is missing or a file."""
    cases = [["-q", "--", "no-such-workload-xyz", "--flag"], ["-q", "--", "/no/such/dir/job"],
             ["-q", "--", "/etc/passwd/job"]]
    golden.check("exit_codes/workload-not-found.txt",
                 transcript(run, [(args, {}) for args in cases], 127))


def test_workload_that_cannot_be_executed_exits_126(run: Runner, workdir: Path) -> None:
    """A script without execute permission, and a directory."""
    script = workdir / "job.sh"
    script.write_text(f"#!/bin/sh\ntouch {workdir / 'workload-ran'}\n")
    script.chmod(0o644)
    cases = [(["-q", "--", str(script)], {}), (["-q", "--", str(workdir)], {})]
    golden.check("exit_codes/workload-not-executable.txt", transcript(run, cases, 126, workdir))


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
    assert (result.returncode, result.stdout) == (70, "")
    golden.check("exit_codes/user-switch-failed.txt", result.stderr)
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

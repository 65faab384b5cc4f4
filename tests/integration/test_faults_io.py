# SPDX-License-Identifier: Apache-2.0
"""Faults around what rlimit-init writes and what can kill it, against the real binary: the
termination message file is written only as a regular file reached without a final symlink and
outside kernel interfaces; `install ""` is a usage error; a report that cannot be written (a
closed pipe, RLIMIT_FSIZE) changes neither the outcome nor the exit code; running out of memory
ends in exit 70 and a message, with nothing exec'd. docs/faults.md."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

import golden
from rlimit_json import parse as parse_json
from conftest import (NOBODY, REPO, TIMEOUT, Runner, clean_env, command_line, marker_workload,
                      policy, require_root, write_policy)

# Refused whatever the host: no machine has an exbibyte of memory.
REFUSED = policy("1Gi", memory_require="1Ei")
# A host copied from a real one (a 4 GiB cgroup v2 limit, no container), so that the refusal's
# words are the same on every machine.
FIXED_HOST = ["--host-root", str(REPO / "tests/fixtures/hosts/v2-nested")]


# --- the termination message file ---------------------------------------------------------------

def test_a_symlink_as_termination_file_is_not_followed(run: Runner, workdir: Path) -> None:
    target = workdir / "precious"
    target.write_text("keep me\n")
    link = workdir / "termination-log"
    link.symlink_to(target)
    path = write_policy(workdir, REFUSED.replace("memory:", f"report:\n  terminationMessagePath: "
                                                           f"{link}\nmemory:"))
    result = run(["check", "-p", str(path)] + FIXED_HOST)
    assert (result.returncode, result.stderr) == (77, "")
    golden.check("faults_io/refused-under-4-gib.txt", result.stdout, {str(path): "{policy}"})
    assert target.read_text() == "keep me\n"


# The release binary only: the AddressSanitizer build cannot start under a small RLIMIT_DATA
# (its shadow memory) and its LeakSanitizer cannot run under strace (both ptrace).
@pytest.mark.static_binary
def test_a_kernel_file_behind_a_symlinked_directory_is_not_written(run: Runner,
                                                                    workdir: Path) -> None:
    """/proc/PID/comm is a regular file whose writes rename the process: the text check of the
    path cannot see it behind a symlinked directory, the filesystem check on the open file
    does. Writing it leaves no trace once the process has gone, so strace watches the writes
    (-y names the file behind each descriptor)."""
    (workdir / "p").symlink_to("/proc/self")
    path = write_policy(workdir, REFUSED + f"report:\n  terminationMessagePath: {workdir}/p/comm\n")
    trace = workdir / "trace"
    result = run(["check", "-p", str(path)],
                 prefix=["strace", "-f", "-qq", "-y", "-e", "trace=write,ftruncate", "-o",
                         str(trace)])
    assert result.returncode == 77, result.stdout
    calls = trace.read_text().splitlines()
    assert any(" write(1<" in call for call in calls), calls  # strace saw the report
    assert [call for call in calls if "/comm>" in call] == []


# Each refused as golden/faults_io/termination-path-NAME.txt says.
KERNEL_PATHS = {"proc": "/proc/sysrq-trigger", "proc-spelled-otherwise": "//proc/./sysrq-trigger",
                "sys": "/sys/kernel/uevent_helper", "dot-dot": "/tmp/../proc/sysrq-trigger",
                "nul": '"/tmp/x\\0/etc/passwd"'}


@pytest.mark.parametrize("name", KERNEL_PATHS)
def test_termination_paths_into_the_kernel_are_refused_where_they_stand(
        run: Runner, workdir: Path, name: str) -> None:
    # A decision that grants, so that the unfixed binary, which accepted these paths, wrote
    # nothing to them while this test ran.
    path = write_policy(workdir, policy("1Gi") + "report:\n  terminationMessagePath: "
                                                 f"{KERNEL_PATHS[name]}\n")
    result = run(["check", "-p", str(path)])
    assert (result.returncode, result.stderr) == (78, "")
    golden.check(f"faults_io/termination-path-{name}.txt", result.stdout, {str(path): "{policy}"})


def test_termination_message_past_rlimit_fsize_keeps_the_refusal(run: Runner,
                                                                   workdir: Path) -> None:
    log = workdir / "termination-log"
    log.write_text("")
    path = write_policy(workdir, REFUSED + f"report:\n  terminationMessagePath: {log}\n")
    result = run(["check", "-p", str(path)] + FIXED_HOST, prefix=["prlimit", "--fsize=16"])
    assert (result.returncode, result.stderr) == (77, "")
    golden.check("faults_io/refused-under-4-gib.txt", result.stdout, {str(path): "{policy}"})
    # The termination message is the refusal's first line, cut at RLIMIT_FSIZE's 16 bytes.
    assert log.read_text() == result.stdout[:16]


# --- install ------------------------------------------------------------------------------------

def test_install_into_an_empty_directory_name_is_a_usage_error(run: Runner,
                                                               nobody_binary: Path) -> None:
    # As nobody, so that the unfixed binary could not write /rlimit-init on the test machine.
    result = run(["install", ""], user=NOBODY, binary=nobody_binary)
    assert (result.returncode, result.stdout) == (64, "")
    golden.check("faults_io/install-into-empty-name.txt", result.stderr)


def test_install_past_rlimit_fsize_fails_and_leaves_nothing(run: Runner, workdir: Path) -> None:
    target = workdir / "target"
    target.mkdir()
    result = run(["install", str(target)], prefix=["prlimit", "--fsize=65536"])
    assert (result.returncode, result.stdout) == (73, "")
    golden.check("faults_io/install-past-rlimit-fsize.txt", result.stderr, {str(target): "{dir}"})
    assert list(target.iterdir()) == []


# --- a report nobody reads ----------------------------------------------------------------------

def run_with_closed_pipe(args: list[str], cwd: Path, stream: str) -> subprocess.CompletedProcess:
    """Runs the binary with `stream` ("stdout" or "stderr") a pipe whose reader has gone."""
    reader, writer = os.pipe()
    os.close(reader)
    streams = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL, stream: writer}
    try:
        return subprocess.run(command_line(args), stdin=subprocess.DEVNULL, env=clean_env(),
                              cwd=cwd, timeout=TIMEOUT, **streams)
    finally:
        os.close(writer)


def test_stderr_a_closed_pipe_still_starts_the_workload(workdir: Path) -> None:
    workload, marker = marker_workload(workdir)
    result = run_with_closed_pipe(["--as", "512Mi"] + workload, workdir, "stderr")
    assert result.returncode == 0
    assert marker.exists()


@pytest.mark.parametrize("stream", ["stdout", "stderr"])
def test_a_closed_pipe_keeps_the_exit_code(workdir: Path, stream: str) -> None:
    """`check` answers on stdout, errors before a decision go to stderr: neither may kill it."""
    path = write_policy(workdir, REFUSED)
    assert run_with_closed_pipe(["check", "-p", str(path)], workdir, stream).returncode == 77
    bad = write_policy(workdir, "apiVersion: 1\n", "bad.yaml")
    assert run_with_closed_pipe(["-p", str(bad), "--", "true"], workdir, stream).returncode == 78


def test_the_workload_gets_no_ignored_or_blocked_signal_of_ours(run: Runner) -> None:
    """rlimit-init ignores SIGPIPE and SIGXFSZ for itself; the workload must not inherit that."""
    result = run(["--as", "512Mi", "--", "grep", "^Sig[IB]", "/proc/self/status"])
    assert (result.returncode, result.stdout) == (
        0, "SigBlk:\t0000000000000000\nSigIgn:\t0000000000000000\n")


# --- out of memory ------------------------------------------------------------------------------

def big_policy(workdir: Path) -> Path:
    # One 250,000-byte flow scalar: yaml-cpp copies it several times while it reads it.
    return write_policy(workdir, "{apiVersion: rlimit-init/v1, addressSpace: {request: \""
                                 + "x" * 250_000 + "\"}}\n")


@pytest.mark.static_binary  # see above: no AddressSanitizer under a small RLIMIT_DATA
@pytest.mark.parametrize("data_limit", [600_000, 1_000_000])
def test_out_of_memory_reading_the_policy_is_exit_70(run: Runner, workdir: Path,
                                                      data_limit: int) -> None:
    """Before: SIGABRT from an uncaught std::bad_alloc, or "invalid YAML: std::bad_alloc"
    with 78, blaming the policy for the host's limit."""
    workload, marker = marker_workload(workdir)
    result = run(["-p", str(big_policy(workdir))] + workload,
                 prefix=["prlimit", f"--data={data_limit}:{data_limit}"])
    assert (result.returncode, result.stdout) == (70, "")
    golden.check("faults_io/out-of-memory.txt", result.stderr)
    assert not marker.exists()


@pytest.mark.static_binary  # see above: no AddressSanitizer under a small RLIMIT_DATA
def test_out_of_memory_is_json_when_asked(run: Runner, workdir: Path) -> None:
    result = run(["check", "-o", "json", "-p", str(big_policy(workdir))],
                 prefix=["prlimit", "--data=600000:600000"])
    assert (result.returncode, result.stdout) == (70, "")
    assert parse_json(result.stderr)["exit_code"] == 70
    # The document as printed, one line: the message is the text one's, without the prefix.
    golden.check("faults_io/out-of-memory.json", result.stderr)


@pytest.mark.sets_rlimit_as
def test_out_of_memory_reading_a_host_file_is_exit_70(run: Runner, workdir: Path) -> None:
    """A limit file that is /dev/zero under a 3 MiB hard RLIMIT_AS: 1 MiB is read, and its
    message would need more."""
    root = workdir / "host"
    (root / "proc/self").mkdir(parents=True)
    (root / "proc/self/cgroup").write_text("0::/job\n")
    (root / "proc/self/mountinfo").write_text(
        "30 1 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n")
    (root / "sys/fs/cgroup/job").mkdir(parents=True)
    (root / "sys/fs/cgroup/job/memory.max").symlink_to("/dev/zero")
    workload, marker = marker_workload(workdir)
    result = run(["--as", "512Mi", "--host-root", str(root)] + workload,
                 as_limit=(3 << 20, 3 << 20))
    assert (result.returncode, result.stdout) == (70, "")
    golden.check("faults_io/out-of-memory.txt", result.stderr)
    assert not marker.exists()

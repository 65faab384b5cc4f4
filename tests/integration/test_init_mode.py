# SPDX-License-Identifier: Apache-2.0
"""Init mode: rlimit-init stays as the workload's parent, forwards signals and reaps zombies.

Run for real: in PID namespaces made with `unshare --pid --fork --mount-proc`, where rlimit-init
is PID 1 as in a container, and as an ordinary process, where it becomes a child subreaper. The
workloads are Python scripts that say when they are ready on stdout, so a signal is sent only
once they can receive it; their stdin stays open until the test closes it.
"""

from __future__ import annotations

import os
import select
import shlex
import signal
import subprocess
from pathlib import Path

import pytest

import golden
from conftest import BINARY, TIMEOUT, clean_env, require_root, write_policy

UNSHARE = ["unshare", "--pid", "--fork", "--mount-proc"]

# Says "ready PID", then answers every line on stdin with "pong" until stdin closes.
WORKLOAD = """
import os, signal, sys, time
{setup}
print("ready", os.getpid(), flush=True)
{wait}
"""
ANSWER = """for line in sys.stdin:
    print("pong", flush=True)"""
# A Python handler runs only between bytecodes: a signal that lands just before a blocking
# read or pause() leaves the handler waiting for that call to return. A workload whose
# handler must run therefore waits in short sleeps.
SLEEP = """while True:
    time.sleep(0.05)"""


def workload(setup: str = "", wait: str = ANSWER) -> list[str]:
    return ["python3", "-c", WORKLOAD.format(setup=setup, wait=wait)]


class Started:
    """rlimit-init -q ARGS, in a new PID namespace with `namespace` (so that it is PID 1 there),
    with pipes to stdin, stdout and stderr."""

    def __init__(self, args: list[str], namespace: bool = True,
                 env: dict[str, str] | None = None, cwd: Path | None = None) -> None:
        if namespace:
            require_root("unshare --pid")
        argv = (UNSHARE if namespace else []) + [str(BINARY), "-q"] + args
        self.namespace = namespace
        self.process = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE, text=True, env=clean_env(env),
                                        cwd=cwd)
        self.lines: list[str] = []

    def read_line(self) -> str:
        """The workload's next line of stdout; a workload silent past TIMEOUT is a hang."""
        ready, _, _ = select.select([self.process.stdout], [], [], TIMEOUT)
        assert ready, f"no line from the workload in {TIMEOUT} s"
        line = self.process.stdout.readline()
        self.lines.append(line)
        return line

    def rlimit_init_pid(self) -> int:
        """rlimit-init's PID as the host sees it: unshare's only child, or the process itself."""
        if not self.namespace:
            return self.process.pid
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        pids = children.read_text().split()
        assert len(pids) == 1, pids
        return int(pids[0])

    def send(self, signal_number: int) -> None:
        os.kill(self.rlimit_init_pid(), signal_number)

    def finish(self) -> tuple[int, str, str]:
        """Closes stdin and waits: (exit code, all stdout, stderr)."""
        stdout, stderr = self.process.communicate(timeout=TIMEOUT)
        return self.process.returncode, "".join(self.lines) + stdout, stderr

    def ended(self) -> tuple[int, str, str]:
        """Waits with stdin still open, so that only a signal can end the workload, then
        returns what finish() does."""
        self.process.wait(timeout=TIMEOUT)
        return self.finish()


# --- signals ----------------------------------------------------------------------------------


def test_python_as_pid_1_ignores_sigterm_without_init_mode() -> None:
    """The problem init mode solves: the kernel gives PID 1 no default action, so a Python job
    without a handler shrugs off SIGTERM and answers the next line."""
    job = Started(["--init", "exec", "--"] + workload())
    assert job.read_line() == "ready 1\n"
    job.send(signal.SIGTERM)
    job.process.stdin.write("ping\n")
    job.process.stdin.flush()
    assert job.read_line() == "pong\n"
    assert job.finish() == (0, "ready 1\npong\n", "")


def test_sigterm_to_pid_1_ends_a_workload_without_a_handler() -> None:
    job = Started(["--init", "child", "--"] + workload())
    assert job.read_line() == "ready 2\n"
    job.send(signal.SIGTERM)
    assert job.ended() == (128 + signal.SIGTERM, "ready 2\n", "")


def test_auto_mode_supervises_as_pid_1() -> None:
    job = Started(["--"] + workload())
    assert job.read_line() == "ready 2\n"
    job.send(signal.SIGTERM)
    assert job.ended() == (143, "ready 2\n", "")


def test_auto_mode_execs_when_not_pid_1() -> None:
    job = Started(["--"] + workload(), namespace=False)
    assert job.read_line() == f"ready {job.process.pid}\n"
    assert job.finish() == (0, f"ready {job.process.pid}\n", "")


def test_a_workload_with_a_handler_cleans_up_and_exits_zero() -> None:
    # os.write, not print: the signal may land while print("ready") is still flushing, and
    # print is not reentrant.
    setup = ("signal.signal(signal.SIGTERM, "
             "lambda s, f: (os.write(1, b'cleaned up after %d\\n' % s), sys.exit(0)))")
    job = Started(["--init", "child", "--"] + workload(setup, SLEEP))
    assert job.read_line() == "ready 2\n"
    job.send(signal.SIGTERM)
    assert job.ended() == (0, "ready 2\ncleaned up after 15\n", "")


@pytest.mark.parametrize("signal_number", [signal.SIGHUP, signal.SIGINT, signal.SIGQUIT,
                                           signal.SIGUSR1, signal.SIGUSR2, signal.SIGALRM])
def test_each_signal_is_forwarded_and_its_death_is_128_plus_n(signal_number: int,
                                                               workdir: Path) -> None:
    job = Started(["--init", "child", "--"] + workload(), cwd=workdir)
    assert job.read_line() == "ready 2\n"
    job.send(signal_number)
    code, stdout, stderr = job.ended()
    assert (code, stdout) == (128 + signal_number, "ready 2\n")
    # Python turns SIGINT into KeyboardInterrupt, then dies of SIGINT all the same.
    assert stderr.endswith("KeyboardInterrupt\n") if signal_number == signal.SIGINT else (
        stderr == "")


GROUP_WORKLOAD = """
import os, signal, sys, time
ready_r, ready_w = os.pipe()
helper = os.fork()
if helper == 0:
    signal.signal(signal.SIGTERM, lambda s, f: (os.write(1, b"helper got %d\\n" % s), os._exit(0)))
    os.write(ready_w, b"x")
    while True:
        time.sleep(0.05)  # not pause(): see SLEEP
os.read(ready_r, 1)
def stop(s, f):
    os.waitpid(helper, 0)
    os.write(1, b"workload got %d\\n" % s)  # not print: see the handler test above
    sys.exit(0)
signal.signal(signal.SIGTERM, stop)
print("ready", os.getpid(), flush=True)
while True:
    time.sleep(0.05)
"""


def test_group_mode_signals_every_process_of_the_workloads_group() -> None:
    job = Started(["--init", "group", "--", "python3", "-c", GROUP_WORKLOAD])
    assert job.read_line() == "ready 2\n"
    job.send(signal.SIGTERM)
    assert job.ended() == (0, "ready 2\nhelper got 15\nworkload got 15\n", "")


# Issue 22.1, exactly: the workload W forks H, which makes its own group, and C, which stays in
# W's; then W joins H's group. kill(-W) still reaches C, and W must get the signal as well. W
# answers TERM only once C has reported its own, so the two lines come in one order.
MOVED_WORKLOAD = """
import os, signal, sys, time
def child(name, own_group):
    ready_r, ready_w = os.pipe()
    pid = os.fork()
    if pid == 0:
        if own_group:
            os.setpgid(0, 0)
        signal.signal(signal.SIGTERM,
                      lambda s, f: (os.write(1, b"%s got %d\\n" % (name, s)), os._exit(0)))
        os.write(ready_w, b"x")
        while True:
            time.sleep(0.05)  # not pause(): see SLEEP
    os.read(ready_r, 1)
    return pid
helper = child(b"helper", True)
stayed = child(b"child", False)
os.setpgid(0, helper)
def stop(s, f):
    os.waitpid(stayed, 0)
    os.kill(helper, signal.SIGKILL)
    os.waitpid(helper, 0)
    moved = b" in the helper's group" if os.getpgid(0) == helper else b""
    os.write(1, b"workload got %d%s\\n" % (s, moved))
    sys.exit(0)
signal.signal(signal.SIGTERM, stop)
print("ready", os.getpid(), flush=True)
while True:
    time.sleep(0.05)
"""


def test_group_mode_signals_a_workload_that_left_its_group_while_a_child_stayed() -> None:
    """Fails as a hang (TIMEOUT) when only kill(-pgid) is sent: the child gets TERM, the
    workload never does."""
    job = Started(["--init", "group", "--", "python3", "-c", MOVED_WORKLOAD])
    assert job.read_line() == "ready 2\n"
    job.send(signal.SIGTERM)
    assert job.ended() == (0, "ready 2\nchild got 15\nworkload got 15 in the helper's group\n", "")


# --- reaping ----------------------------------------------------------------------------------

# A child that leaves an orphan behind and exits; the orphan reports the parent it was given,
# then exits. The workload waits (bounded) until the orphan is gone from /proc: reaped.
ORPHAN_WORKLOAD = """
import os, sys, time
report_r, report_w = os.pipe()
child = os.fork()
if child == 0:
    parent = os.getpid()
    if os.fork() == 0:
        while os.getppid() == parent:
            time.sleep(0.01)
        os.write(report_w, f"{os.getpid()} {os.getppid()}".encode())
        os._exit(0)
    os._exit(0)
os.waitpid(child, 0)
orphan, adopter = map(int, os.read(report_r, 100).split())
deadline = time.monotonic() + 30
while os.path.exists(f"/proc/{orphan}") and time.monotonic() < deadline:
    time.sleep(0.01)
gone = not os.path.exists(f"/proc/{orphan}")
print("adopted by my parent" if adopter == os.getppid() else f"adopted by {adopter}",
      "and reaped" if gone else "and left a zombie", flush=True)
"""


def test_an_orphan_is_reaped_by_pid_1() -> None:
    job = Started(["--init", "child", "--", "python3", "-c", ORPHAN_WORKLOAD])
    assert job.finish() == (0, "adopted by my parent and reaped\n", "")


def test_an_orphan_is_reaped_by_rlimit_init_as_a_subreaper_when_not_pid_1() -> None:
    job = Started(["--init", "child", "--", "python3", "-c", ORPHAN_WORKLOAD], namespace=False)
    assert job.finish() == (0, "adopted by my parent and reaped\n", "")


# --- exit codes -------------------------------------------------------------------------------


def test_every_exit_status_passes_through() -> None:
    seen = {}
    for status in range(256):
        done = subprocess.run([str(BINARY), "-q", "--init", "child", "--", "sh", "-c", f"exit {status}"],
                              env=clean_env(), capture_output=True, text=True, timeout=TIMEOUT)
        seen[status] = (done.returncode, done.stdout, done.stderr)
    assert seen == {status: (status, "", "") for status in range(256)}


@pytest.mark.parametrize("signal_number", [signal.SIGHUP, signal.SIGINT, signal.SIGQUIT,
                                           signal.SIGABRT, signal.SIGKILL, signal.SIGSEGV,
                                           signal.SIGPIPE, signal.SIGTERM])
def test_a_death_by_signal_n_exits_128_plus_n(signal_number: int, workdir: Path) -> None:
    done = subprocess.run([str(BINARY), "-q", "--init", "child", "--", "sh", "-c",
                           f"kill -{int(signal_number)} $$"], env=clean_env(), cwd=workdir,
                          capture_output=True, text=True, timeout=TIMEOUT)
    assert (done.returncode, done.stdout, done.stderr) == (128 + signal_number, "", "")


def test_workload_not_found_exits_127_with_the_exec_message() -> None:
    done = subprocess.run([str(BINARY), "-q", "--init", "child", "--", "/nonexistent/job"],
                          env=clean_env(), capture_output=True, text=True, timeout=TIMEOUT)
    assert (done.returncode, done.stdout) == (127, "")
    golden.check("init_mode/workload-not-found.txt", done.stderr)


# --- the workload's state ---------------------------------------------------------------------

# Prints what the workload inherited: ids, groups, signal mask and dispositions, every rlimit,
# and the environment.
STATE_WORKLOAD = """
import os
status = dict(line.split(":", 1) for line in open("/proc/self/status").read().splitlines())
for key in ("Uid", "Gid", "Groups", "SigBlk", "SigIgn"):
    print(key, status[key].split())
print(open("/proc/self/limits").read(), end="")
print(sorted(os.environ.items()))
"""

# Starts rlimit-init with SIGHUP ignored and SIGUSR1 blocked, as a careless wrapper would.
CARELESS_PARENT = ["python3", "-c", "import os, signal, sys; "
                   "signal.signal(signal.SIGHUP, signal.SIG_IGN); "
                   "signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGUSR1}); "
                   "os.execv(sys.argv[1], sys.argv[1:])"]


@pytest.mark.sets_rlimit_as
def test_the_workload_gets_the_same_state_as_in_exec_mode(workdir: Path) -> None:
    require_root("switching to uid 65534")
    policy = write_policy(workdir, "apiVersion: rlimit-init/v1\naddressSpace:\n  request: 512Mi\n"
                                   "user: \"65534:65534\"\n")

    def state(mode: str) -> str:
        done = subprocess.run(
            ["prlimit", "--as=268435456:4294967296"] + CARELESS_PARENT +
            [str(BINARY), "-q", "-p", str(policy), "--init", mode, "--", "python3", "-c",
             STATE_WORKLOAD], env=clean_env({"JOB": "x"}), capture_output=True, text=True,
            timeout=TIMEOUT, cwd=workdir)
        assert (done.returncode, done.stderr) == (0, "")
        return done.stdout

    exec_state = state("exec")
    lines = exec_state.splitlines()
    assert lines[:5] == ["Uid ['65534', '65534', '65534', '65534']",
                         "Gid ['65534', '65534', '65534', '65534']", "Groups ['65534']",
                         "SigBlk ['0000000000000000']",
                         # Python itself ignores SIGPIPE and SIGXFSZ; SIGHUP (bit 0) is not.
                         "SigIgn ['0000000001001000']"]
    assert ("Max address space         536870912            4294967296           bytes     "
            in lines)
    # exec mode's own rule for the environment after user: (see the README).
    assert lines[-1] == str(sorted(clean_env({"JOB": "x", "HOME": "/nonexistent",
                                              "USER": "nobody", "LOGNAME": "nobody"}).items()))
    assert state("child") == exec_state
    assert state("group") == exec_state


# --- how it is chosen ---------------------------------------------------------------------------


def test_the_policy_and_the_environment_choose_the_mode(workdir: Path) -> None:
    policy = write_policy(workdir, "apiVersion: rlimit-init/v1\naddressSpace:\n  request: hard\n"
                                   "init: child\n")
    print_parent = ["--", "sh", "-c", "echo $PPID"]
    by_policy = Started(["-p", str(policy)] + print_parent, namespace=False)
    assert by_policy.finish() == (0, f"{by_policy.process.pid}\n", "")
    overridden = Started(["-p", str(policy)] + print_parent, namespace=False,
                         env={"RLIMIT_INIT_INIT": "exec"})
    code, stdout, _ = overridden.finish()
    assert (code, stdout) != (0, f"{overridden.process.pid}\n")
    assert code == 0 and int(stdout) == os.getpid()


def test_a_bad_mode_is_refused_before_anything_runs(workdir: Path) -> None:
    marker = workdir / "ran"
    said = []
    for args, env in [(["--init", "on"], {}), ([], {"RLIMIT_INIT_INIT": "yes"})]:
        args = ["-q"] + args + ["--", "touch", str(marker)]
        done = subprocess.run([str(BINARY)] + args, env=clean_env(env), capture_output=True,
                              text=True, timeout=TIMEOUT)
        assert (done.returncode, done.stdout) == (64, ""), done.stderr
        variables = "".join(f"{key}={shlex.quote(value)} " for key, value in env.items())
        said += [f"$ {variables}{shlex.join(['rlimit-init'] + args)}\n", done.stderr]
    golden.check("init_mode/bad-mode.txt", "".join(said), {str(workdir): "{workdir}"})
    assert not marker.exists()

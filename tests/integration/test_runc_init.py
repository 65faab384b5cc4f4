# SPDX-License-Identifier: Apache-2.0
"""Init mode in runc containers: rlimit-init as the container's PID 1 forwards the stop signal
that Docker and kubelet send with `runc kill`, and reaps the container's orphans.

Two ways rlimit-init becomes PID 1: as the ENTRYPOINT of the user image of
tests/runc/user-image/ (`docker run` of the image with a Python workload as its command), and in
the pod that the chart renders with its init-container injection (`kubectl delete` of the pod,
whose container kubelet stops with SIGTERM to its PID 1). Each workload says "ready, parent
PPID" on stdout once its handlers are in place, so that a signal is sent only when it can be
received; PPID is 1 under rlimit-init in init mode (rlimit-init is PID 1), and 0 when the
workload itself is PID 1 (its parent is outside the container's PID namespace). The workload's
own PID is not fixed: `runc init`'s threads take the first PIDs of the namespace before
rlimit-init forks. As the control, the same workload exec'd as PID 1 (`--init exec`, or the
policy's `init: exec`) ignores SIGTERM and ends only with SIGKILL (137); a SIGUSR1 it answers
after the SIGTERM proves it still ran.

runc_node.py plays the node. Needs root, runc, a writable cgroup v1 memory hierarchy at
/sys/fs/cgroup/memory and helm (scripts/setup-runc.sh and scripts/setup-chart-tools.sh install
them), and strace for the tests of the workloads themselves (scripts/setup.sh); without them
the tests skip saying why, and fail instead where RLIMIT_INIT_NO_SKIP=1 (CI).
The timeouts in runc_node.py only detect a hang.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys

import pytest

import golden
from chart_render import WORKLOAD_CONTAINER, container, pod_spec
from conftest import skip_unless
from runc_node import (GiB, HANG_TIMEOUT, MiB, RAISED_TO_512_MIB, RLIM_INFINITY, USER_IMAGE, Node,
                       Running, installed, render_values)

# The runtime, images and node fixtures.
pytest_plugins = ["runc_fixtures"]

# What a containerd with LimitAS=268435456:infinity gives every container; the user image asks
# for 512Mi, the chart's values too, within a memory limit of 1 GiB.
NODE_RLIMIT_AS = (256 * MiB, RLIM_INFINITY)

# The image's ENTRYPOINT with init mode turned off, as `docker run --entrypoint
# /usr/local/bin/rlimit-init IMAGE --init exec --as 512Mi -- COMMAND` gives it.
EXEC_ENTRYPOINT = ["/usr/local/bin/rlimit-init"]
EXEC_ARGS = ["--init", "exec", "--as", "512Mi", "--"]

# A Python handler runs only between bytecodes, so the workloads wait in short sleeps rather
# than in pause(), which a signal landing just before it would leave blocked. They write their
# lines with os.write, not print: the signal may land when print("ready") has written its line
# but still holds sys.stdout's buffer, whose flush runs the handler; a print in the handler then
# raises "RuntimeError: reentrant call" and the workload exits 1 (seen on a loaded machine).
WAIT = """
os.write(1, b"ready, parent %d\\n" % os.getppid())
while True:
    time.sleep(0.05)
"""
# No SIGTERM handler; "usr1" for each SIGUSR1.
NO_HANDLER = ["python3", "-c", """
import os, signal, time
signal.signal(signal.SIGUSR1, lambda *_: os.write(1, b"usr1\\n"))
""" + WAIT]
# Says "cleanup" on SIGTERM and exits 0.
HANDLER = ["python3", "-c", """
import os, signal, sys, time
def stop(number, frame):
    os.write(1, b"cleanup\\n")
    sys.exit(0)
signal.signal(signal.SIGTERM, stop)
""" + WAIT]
# Orphans a grandchild: a child forks it and exits at once, so the grandchild's parent becomes
# the container's PID 1; the grandchild exits as soon as it sees that. Only PID 1 can reap it,
# so the workload waits for its /proc entry to go (a hang here is the failure), then lists the
# zombies in the container's /proc.
ORPHAN = ["python3", "-c", """
import os, signal, time
r, w = os.pipe()
if os.fork() == 0:
    grandchild = os.fork()
    if grandchild == 0:
        while os.getppid() != 1:
            time.sleep(0.01)
        os._exit(0)
    os.write(w, str(grandchild).encode())
    os._exit(0)
os.wait()
os.close(w)
orphan = int(os.read(r, 32))
while os.path.exists(f"/proc/{orphan}"):
    time.sleep(0.01)
def state(pid):
    with open(f"/proc/{pid}/stat") as stat:
        return stat.read().rpartition(")")[2].split()[0]
pids = sorted(int(p) for p in os.listdir("/proc") if p.isdigit())
print("orphan reaped; zombies:", [p for p in pids if state(p) == "Z"], flush=True)
""" + WAIT]


def stop_ignored_until_killed(job: Running) -> None:
    """The control: SIGTERM to a Python workload that is PID 1 itself does nothing; the SIGUSR1
    after it is answered, and only SIGKILL ends it."""
    assert job.read_line() == "ready, parent 0\n"
    job.kill("TERM")
    job.kill("USR1")
    assert job.read_line() == "usr1\n"
    job.kill("KILL")


def signaled_as_ready_is_written(command: list[str], signal_name: str,
                                 ends: bool) -> tuple[list[str], str, int | None]:
    """The workload on the host, its stdout a pipe as in the container (no PYTHONUNBUFFERED),
    with strace delivering SIGNAL_NAME just as its first write, the "ready" line, returns: the
    moment a loaded machine may leave it in when the test reads the line and signals, made
    certain. Its first two lines, its stderr, and its exit code when it `ends` by itself
    (killed after two lines otherwise)."""
    skip_unless(shutil.which("strace") is not None, "strace is missing: run scripts/setup.sh")
    process = subprocess.Popen(
        ["strace", "-qq", "-o", "/dev/null", "-e", "trace=write",
         "-e", f"inject=write:signal={signal_name}:when=1", sys.executable, *command[1:]],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={"PATH": os.environ["PATH"]}, start_new_session=True)
    lines = [process.stdout.readline(), process.stdout.readline()]
    if not ends:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
    _, stderr = process.communicate(timeout=HANG_TIMEOUT)
    # The workload is strace's child: its parent is strace.
    assert lines[0] == f"ready, parent {process.pid}\n"
    return lines[1:], stderr, process.returncode if ends else None


def chart_workload(values: str) -> list[str]:
    """The workload container's command that the chart renders from tests/runc/values/."""
    command = container(pod_spec(render_values(values)), WORKLOAD_CONTAINER)["command"]
    return command[command.index("--") + 1:]


@pytest.mark.parametrize("source", ["image", "chart"])
def test_the_workload_answers_usr1_that_lands_as_its_ready_line_is_written(source: str) -> None:
    command = NO_HANDLER if source == "image" else chart_workload("sigterm")
    assert signaled_as_ready_is_written(command, "USR1", ends=False) == (["usr1\n"], "", None)


@pytest.mark.parametrize("source", ["image", "chart"])
def test_the_workload_cleans_up_on_term_that_lands_as_its_ready_line_is_written(
        source: str) -> None:
    command = HANDLER if source == "image" else chart_workload("sigterm-handler")
    assert signaled_as_ready_is_written(command, "TERM", ends=True) == (["cleanup\n"], "", 0)


# --- rlimit-init as the ENTRYPOINT of the user's image ------------------------------------------

def start_user_image(node: Node, command: list[str], *, init_exec: bool = False) -> Running:
    """`docker run --memory=1g IMAGE COMMAND` of tests/runc/user-image/, whose ENTRYPOINT is
    `rlimit-init --as 512Mi --`, under the node's RLIMIT_AS."""
    if init_exec:
        return node.docker_start(USER_IMAGE, ulimit_as=NODE_RLIMIT_AS, memory=1 * GiB,
                                 entrypoint=EXEC_ENTRYPOINT, command=EXEC_ARGS + command)
    return node.docker_start(USER_IMAGE, ulimit_as=NODE_RLIMIT_AS, memory=1 * GiB,
                             command=command)


@pytest.mark.sets_rlimit_as
def test_docker_stop_ends_a_workload_without_a_handler_with_143(node: Node) -> None:
    job = start_user_image(node, NO_HANDLER)
    assert job.read_line() == "ready, parent 1\n"
    job.kill("USR1")
    assert job.read_line() == "usr1\n"
    job.kill("TERM")
    finished = job.wait()
    assert (finished.exit_code, finished.stdout) == (
        128 + signal.SIGTERM, "ready, parent 1\nusr1\n"), finished
    golden.check(RAISED_TO_512_MIB, finished.stderr)


@pytest.mark.sets_rlimit_as
def test_without_init_mode_the_workload_as_pid_1_ignores_docker_stop(node: Node) -> None:
    job = start_user_image(node, NO_HANDLER, init_exec=True)
    stop_ignored_until_killed(job)
    finished = job.wait()
    assert (finished.exit_code, finished.stdout) == (
        128 + signal.SIGKILL, "ready, parent 0\nusr1\n"), finished
    golden.check(RAISED_TO_512_MIB, finished.stderr)


@pytest.mark.sets_rlimit_as
def test_docker_stop_lets_a_workload_with_a_handler_clean_up_and_exit_0(node: Node) -> None:
    job = start_user_image(node, HANDLER)
    assert job.read_line() == "ready, parent 1\n"
    job.kill("TERM")
    finished = job.wait()
    assert (finished.exit_code, finished.stdout) == (
        0, "ready, parent 1\ncleanup\n"), finished
    golden.check(RAISED_TO_512_MIB, finished.stderr)


@pytest.mark.sets_rlimit_as
def test_an_orphaned_grandchild_is_reaped_by_rlimit_init_as_pid_1(node: Node) -> None:
    job = start_user_image(node, ORPHAN)
    assert job.read_line() == "orphan reaped; zombies: []\n"
    assert job.read_line() == "ready, parent 1\n"
    job.kill("TERM")
    finished = job.wait()
    assert (finished.exit_code, finished.stdout) == (
        128 + signal.SIGTERM, "orphan reaped; zombies: []\nready, parent 1\n"), finished
    golden.check(RAISED_TO_512_MIB, finished.stderr)


# --- the chart: the init container's binary as the workload container's PID 1 --------------------

def start_chart_pod(node: Node, values: str, set_values: tuple[str, ...] = ()) -> Running:
    """The Job's pod, as the chart renders it from tests/runc/values/VALUES.yaml: the init
    container installs the binary, then the workload container runs in the background."""
    objects = render_values(values, set_values)
    workload = container(pod_spec(objects), WORKLOAD_CONTAINER)
    assert workload["command"][:4] == ["/rlimit-init/rlimit-init", "--policy",
                                       "/etc/rlimit-init/policy.yaml", "--"]
    finished, running = node.start_pod(objects, rlimit_as=NODE_RLIMIT_AS)
    installed(finished)
    assert list(running) == [WORKLOAD_CONTAINER]
    return running[WORKLOAD_CONTAINER]


@pytest.mark.sets_rlimit_as
def test_kubectl_delete_ends_the_chart_workload_without_a_handler_with_143(node: Node) -> None:
    """kubelet stops the container with SIGTERM to its PID 1: the chart's rlimit-init, which
    in the default init mode `auto` supervises the job."""
    job = start_chart_pod(node, "sigterm")
    assert job.read_line() == "ready, parent 1\n"
    job.kill("TERM")
    finished = job.wait()
    assert (finished.exit_code, finished.stdout, finished.termination_message) == (
        128 + signal.SIGTERM, "ready, parent 1\n", ""), finished
    golden.check(RAISED_TO_512_MIB, finished.stderr)


@pytest.mark.sets_rlimit_as
def test_with_policy_init_exec_the_chart_workload_ignores_kubectl_delete(node: Node) -> None:
    job = start_chart_pod(node, "sigterm", ("policy.init=exec",))
    stop_ignored_until_killed(job)
    finished = job.wait()
    assert (finished.exit_code, finished.stdout, finished.termination_message) == (
        128 + signal.SIGKILL, "ready, parent 0\nusr1\n", ""), finished
    golden.check(RAISED_TO_512_MIB, finished.stderr)


@pytest.mark.sets_rlimit_as
def test_kubectl_delete_lets_the_chart_workload_with_a_handler_exit_0(node: Node) -> None:
    job = start_chart_pod(node, "sigterm-handler")
    assert job.read_line() == "ready, parent 1\n"
    job.kill("TERM")
    finished = job.wait()
    assert (finished.exit_code, finished.stdout, finished.termination_message) == (
        0, "ready, parent 1\ncleanup\n", ""), finished
    golden.check(RAISED_TO_512_MIB, finished.stderr)

# SPDX-License-Identifier: Apache-2.0
"""`measure`'s most tasks at once from the pids controller's pids.peak, on the real binary in
real cgroup v1 pids cgroups of the test's own (this host is hybrid: pids on v1, as memory):
exact when the job has its pids cgroup to itself, however short its burst of threads; sampled,
and the report says why, when another process shares the cgroup."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import yaml

from conftest import PidsCgroup, Runner
from rlimit_json import parse as parse_json

# N threads alive at once for a moment: each waits at the barrier and returns as soon as the
# main thread joins it there, so the burst lasts a few ms, less than one of measure's 100 ms
# samples. While all of them wait, the main thread reads the kernel's own count of its cgroup's
# tasks (measure's one task, its own and the N threads) and prints it.
BURST = (
    "import sys, threading\n"
    "count, current = int(sys.argv[1]), sys.argv[2]\n"
    "barrier = threading.Barrier(count + 1)\n"
    "threads = [threading.Thread(target=barrier.wait) for _ in range(count)]\n"
    "for t in threads: t.start()\n"
    "with open(current) as f: alive = f.read().strip()\n"
    "barrier.wait()\n"
    "for t in threads: t.join()\n"
    "print(f'pids.current with every thread alive: {alive}')\n")
THREADS = 300
NPROC = 384  # 301 + 25% = 377, rounded up to 64 (docs/measure.md)
COUNTS = "(processes and threads, as RLIMIT_NPROC counts them)"
NOT_THE_JOBS = (" when the job started, so its peak is not the job's (run measure as the only "
                "process of a cgroup, such as a container's entrypoint, to get it)")


def tasks_line(stderr: str) -> str:
    """The report's tasks-at-once line."""
    lines = [line for line in stderr.splitlines() if line.startswith("  tasks at once: ")]
    assert len(lines) == 1, stderr
    return lines[0]


def nproc(policy: str) -> tuple[int, int]:
    limits = yaml.safe_load(policy)["limits"]["nproc"]
    return limits["request"], limits["minimum"]


def test_a_burst_of_threads_is_counted_exactly_from_the_pids_cgroups_peak(
        run: Runner, workdir: Path, pids_cgroup) -> None:
    cgroup: PidsCgroup = pids_cgroup()
    script = workdir / "burst.py"
    script.write_text(BURST)
    job = ["python3", str(script), str(THREADS), str(cgroup.leaf / "pids.current")]
    text = run(["measure", "-q", "--"] + job, prefix=cgroup.join_prefix())
    assert text.returncode == 0, text.stderr
    # The kernel's count with the burst alive: measure, python's main thread and its 300.
    assert text.stdout == f"pids.current with every thread alive: {THREADS + 2}\n"
    assert (cgroup.leaf / "pids.peak").read_text() == f"{THREADS + 2}\n"
    assert tasks_line(text.stderr) == (
        f"  tasks at once: {THREADS + 1} {COUNTS}: exact, from {cgroup.leaf}/pids.peak less "
        "measure's own task")
    policy = text.stderr[text.stderr.index("rlimit-init: recommended policy:\n"):]
    assert nproc(policy.split("\n", 1)[1]) == (NPROC, NPROC)
    assert f"nproc:\n    request: {NPROC}  # most tasks alive at once {THREADS + 1} + 25%" in policy

    # The same in JSON, in a cgroup of its own (a cgroup's peak is over its whole life).
    cgroup = pids_cgroup()
    job[-1] = str(cgroup.leaf / "pids.current")
    json = run(["measure", "-q", "-o", "json", "--"] + job, prefix=cgroup.join_prefix())
    assert (json.returncode, json.stdout) == (0, text.stdout)
    report = parse_json(json.stderr)
    assert (report["tasks_at_once"], report["tasks_peak"]) == (
        THREADS + 1, {"source": "cgroup", "file": f"{cgroup.leaf}/pids.peak", "note": None})
    assert report["recommended"]["limits"]["nproc"] == {"request": NPROC, "minimum": NPROC}


def test_a_shared_pids_cgroup_leaves_the_figure_sampled_and_says_why(
        run: Runner, pids_cgroup) -> None:
    cgroup: PidsCgroup = pids_cgroup()
    other = subprocess.Popen(["sleep", "600"])
    try:
        (cgroup.leaf / "cgroup.procs").write_text(str(other.pid))
        job = ["python3", "-c", "pass"]
        text = run(["measure", "-q", "--"] + job, prefix=cgroup.join_prefix())
        json = run(["measure", "-q", "-o", "json", "--"] + job, prefix=cgroup.join_prefix())
    finally:
        other.kill()
        other.wait()
    assert (text.returncode, json.returncode) == (0, 0), text.stderr + json.stderr
    note = f"pids.peak not read: the cgroup {cgroup.leaf} held 1 other process{NOT_THE_JOBS}"
    assert tasks_line(text.stderr) == (
        f"  tasks at once: 1 {COUNTS}: sampled, a burst between two samples is missed; {note}")
    report = parse_json(json.stderr)
    assert (report["tasks_at_once"], report["tasks_peak"]) == (
        1, {"source": "sampled", "file": None, "note": note})
    assert report["recommended"]["limits"]["nproc"] == {"request": 64, "minimum": 64}
    assert re.search(r"\n    request: 64  # most tasks alive at once 1 \+ 25%",
                     report["recommended_policy"])


def test_tasks_in_a_cgroup_below_leave_the_figure_sampled_and_say_why(
        run: Runner, pids_cgroup) -> None:
    # cgroup.procs lists measure alone, but pids.peak also counts the cgroups below.
    cgroup: PidsCgroup = pids_cgroup()
    below = cgroup.leaf / "below"
    below.mkdir()
    other = subprocess.Popen(["sleep", "600"])
    try:
        (below / "cgroup.procs").write_text(str(other.pid))
        text = run(["measure", "-q", "--", "python3", "-c", "pass"], prefix=cgroup.join_prefix())
    finally:
        other.kill()
        other.wait()
        below.rmdir()
    assert text.returncode == 0, text.stderr
    assert tasks_line(text.stderr) == (
        f"  tasks at once: 1 {COUNTS}: sampled, a burst between two samples is missed; "
        f"pids.peak not read: the cgroup {cgroup.leaf} and the cgroups below it held 1 other task"
        f"{NOT_THE_JOBS}")

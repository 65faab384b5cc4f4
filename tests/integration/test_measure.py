# SPDX-License-Identifier: Apache-2.0
"""`rlimit-init measure` on the real binary: the workload runs traced under the policy, and its
report (per-process peaks read at each exit stop, the recommended policy) is checked whole
against expected.py, which works the report and the policy out from the values it names."""

from __future__ import annotations

import resource
import signal
import subprocess
from pathlib import Path

import pytest

from rlimit_json import parse as parse_json
from conftest import REPO, TIMEOUT, Runner, clean_env, command_line
from expected import (MIB, UNLIMITED, HostMemory, describe, measure_report_text,
                      own_cgroup_line, read_measure_report, recommended_request, round_up,
                      shared_cgroup_line, with_headroom)

SEED_JOB = REPO / "tests" / "fixtures" / "seed" / "job.py"
NUMPY_JOB = REPO / "tests" / "fixtures" / "measure" / "numpy_job.py"  # the README's example
INHERITED = (256 * MIB, UNLIMITED)  # the seed's ulimit -Sv 262144
SUCCESS = "allocation_status=success\nallocated_bytes=314572800\n"
MISSING = "/nonexistent/measured-workload"


def soft(which: int) -> int | str:
    value = resource.getrlimit(which)[0]
    return UNLIMITED if value == resource.RLIM_INFINITY else value


SOFT_NOFILE, SOFT_NPROC = soft(resource.RLIMIT_NOFILE), soft(resource.RLIMIT_NPROC)


# conftest.clean_env sets OPENBLAS_NUM_THREADS=1 for every test; the numpy example removes it.
OPENBLAS_THREADS_PER_CPU = {"OPENBLAS_NUM_THREADS": None}

def python(directory: Path, name: str, code: str) -> list[str]:
    path = directory / name
    path.write_text(code)
    return ["python3", str(path)]


def check_whole(stderr: str, host: HostMemory, job_stderr: str = ""):
    """Reads the report and holds all of it to the values it names."""
    measured = read_measure_report(stderr)
    assert shared_cgroup_line(host.directory).fullmatch(measured.cgroup_line)
    assert stderr == job_stderr + measure_report_text(measured, SOFT_NOFILE, SOFT_NPROC)
    return measured


@pytest.mark.sets_rlimit_as
def test_seed_job_measured_once_then_run_with_the_policy_it_wrote(run: Runner, workdir: Path,
                                                                  host: HostMemory) -> None:
    job = python(workdir, "job.py", SEED_JOB.read_text())
    written = workdir / "recommended.yaml"
    # Measured under the seed's inherited 256 MiB: without a policy measure asks for the hard
    # limit, so the job runs and shows what it really needs.
    result = run(["measure", "-q", "--recommend", str(written), "--"] + job, as_limit=INHERITED)
    assert (result.returncode, result.stdout) == (0, "soft=-1 hard=-1\n" + SUCCESS)
    measured = check_whole(result.stderr, host)
    assert measured.command == " ".join(job)
    assert measured.ending == "exit status 0"
    assert measured.processes == 1
    assert measured.peaks["vm_peak"].value > 300 * MIB
    assert measured.peaks["vm_hwm"].value > 300 * MIB
    assert written.read_text() == measured.policy

    # The policy it wrote, fed back through check under the same 256 MiB, grants the job...
    request = recommended_request(measured.peaks["vm_peak"].value)
    checked = run(["check", "-p", str(written)], as_limit=INHERITED)
    assert (checked.returncode, checked.stderr) == (0, "")
    assert checked.stdout.startswith(
        f"rlimit-init: would raise the soft address-space limit (RLIMIT_AS) from "
        f"{describe(256 * MIB)} to {describe(request)}; hard limit unlimited; ")
    # ... and a run with it succeeds where the job alone fails.
    ran = run(["-q", "-p", str(written), "--"] + job, as_limit=INHERITED,
              env=OPENBLAS_THREADS_PER_CPU)
    assert (ran.returncode, ran.stdout, ran.stderr) == (0, f"soft={request} hard=-1\n" + SUCCESS,
                                                        "")


def test_a_child_process_that_is_the_big_one_gives_the_peak(run: Runner, workdir: Path,
                                                            host: HostMemory) -> None:
    job = python(workdir, "parent.py", (
        "import os, subprocess, sys\n"
        "print(f'parent={os.getpid()}', flush=True)\n"
        "subprocess.run([sys.executable, '-c', 'import os; print(f\"child={os.getpid()}\"); "
        "data = bytearray(200 * 1024 * 1024)'], check=True)\n"))
    result = run(["measure", "-q", "--"] + job)
    parent, child = (int(line.split("=")[1]) for line in result.stdout.split())
    measured = check_whole(result.stderr, host)
    assert (result.returncode, measured.processes, measured.tasks_at_once) == (0, 2, 2)
    assert measured.peaks["vm_peak"].pid == child != parent
    assert measured.peaks["vm_peak"].value > 200 * MIB


# Python's join() returns just before the thread's kernel task is gone; a process that exits
# then kills its still-ending threads, which skip their exit stop (the README's "not measured"),
# more often the slower the tracer (the sanitizer build). The job waits for its tasks to be gone.
THREADS = (
    "import os, sys, threading, time\n"
    "threading.stack_size(64 * 1024 * 1024)\n"
    "started = threading.Barrier(int(sys.argv[1]) + 1)\n"
    "threads = [threading.Thread(target=started.wait) for _ in range(int(sys.argv[1]))]\n"
    "for t in threads: t.start()\n"
    "started.wait()\n"
    "for t in threads: t.join()\n"
    "while len(os.listdir('/proc/self/task')) > 1: time.sleep(0.001)\n")


def test_a_threaded_jobs_peak_includes_its_thread_stacks(run: Runner, workdir: Path,
                                                         host: HostMemory) -> None:
    job = python(workdir, "threads.py", THREADS)
    alone = run(["measure", "-q", "--"] + job + ["0"])
    threaded = run(["measure", "-q", "--"] + job + ["8"])
    assert (alone.returncode, threaded.returncode) == (0, 0)
    one, nine = check_whole(alone.stderr, host), check_whole(threaded.stderr, host)
    assert (one.peaks["threads"].value, nine.peaks["threads"].value) == (1, 9)
    assert nine.tasks_at_once == 9
    # Eight 64 MiB stacks, all alive together at the barrier.
    assert nine.peaks["vm_peak"].value - one.peaks["vm_peak"].value >= 8 * 64 * MIB


def test_a_job_killed_by_a_signal_still_gets_its_report_and_128_plus_n(run: Runner,
                                                                       workdir: Path,
                                                                       host: HostMemory) -> None:
    job = python(workdir, "die.py", "import os, signal\nos.kill(os.getpid(), signal.SIGTERM)\n")
    result = run(["measure", "-q", "--"] + job)
    assert result.returncode == 143
    assert check_whole(result.stderr, host).ending == "killed by signal 15 (exit code 143)"


def test_a_signal_to_measure_is_forwarded_and_the_report_follows(workdir: Path,
                                                                 built_binary: Path,
                                                                 host: HostMemory) -> None:
    job = python(workdir, "wait.py", "import time\nprint('ready', flush=True)\ntime.sleep(60)\n")
    process = subprocess.Popen(command_line(["measure", "-q", "--"] + job),
                               stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, env=clean_env())
    assert process.stdout.readline() == "ready\n"
    process.send_signal(signal.SIGTERM)  # as docker stop and kubectl delete send it
    _, stderr = process.communicate(timeout=TIMEOUT)
    assert process.returncode == 143
    assert check_whole(stderr, host).ending == "killed by signal 15 (exit code 143)"


def test_a_workload_that_is_not_found_exits_127_with_no_report(run: Runner) -> None:
    result = run(["measure", "--", MISSING])
    assert (result.returncode, result.stdout, result.stderr) == (
        127, "", f"rlimit-init: cannot execute {MISSING}: No such file or directory\n")


def test_json_is_one_object_with_the_same_values_and_the_run(run: Runner, workdir: Path,
                                                            host: HostMemory) -> None:
    job = python(workdir, "job.py", "data = bytearray(50 * 1024 * 1024)\n")
    result = run(["measure", "-o", "json", "--as", "1Gi", "--"] + job)
    assert result.returncode == 0
    report = parse_json(result.stderr)
    assert report["outcome"] == "measured"
    assert report["command"] == job
    assert report["exit_code"] == 0
    assert report["vm_peak"]["value"] > 50 * MIB
    assert report["recommended"]["addressSpace"]["request"] == \
        f"{recommended_request(report['vm_peak']['value']) // MIB}Mi"
    assert report["cgroup_peak_bytes"] is None
    assert shared_cgroup_line(host.directory).fullmatch(
        f"  cgroup peak:   not read: {report['cgroup_note']}\n")
    assert report["run"]["outcome"] == "raised" or report["run"]["outcome"] == "unchanged"
    assert report["run"]["request_bytes"] == 1024 * MIB


def test_report_goes_to_the_named_file_and_stderr_stays_the_jobs(run: Runner,
                                                                workdir: Path,
                                                                host: HostMemory) -> None:
    job = python(workdir, "job.py", "import sys\nsys.stderr.write('job says\\n')\n")
    report = workdir / "report.txt"
    result = run(["measure", "-q", "--report", str(report), "--"] + job)
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "job says\n")
    check_whole(report.read_text(), host)


def test_the_cgroup_peak_is_read_when_the_job_has_its_cgroup_to_itself(
        run: Runner, workdir: Path, memory_cgroup) -> None:
    cgroup = memory_cgroup(None, None)
    job = python(workdir, "job.py", "data = bytearray(100 * 1024 * 1024)\n")
    result = run(["measure", "-q", "--"] + job, prefix=cgroup.join_prefix())
    assert result.returncode == 0
    measured = read_measure_report(result.stderr)
    peak = int((cgroup.leaf / "memory.max_usage_in_bytes").read_text())
    assert measured.cgroup_line == own_cgroup_line(peak, str(cgroup.leaf /
                                                             "memory.max_usage_in_bytes"))
    # The 100 MiB are anonymous memory, charged to the job's cgroup; VmHWM also counts pages of
    # python3 and its libraries that are already in the page cache, charged to whichever cgroup
    # read them first, so the cgroup's peak may be below it.
    assert peak >= 100 * MIB
    assert result.stderr == measure_report_text(measured, SOFT_NOFILE, SOFT_NPROC,
                                                cgroup_peak=peak)


@pytest.mark.sets_rlimit_as
def test_a_refusal_measures_nothing_and_runs_nothing(run: Runner, workdir: Path) -> None:
    marker = workdir / "ran"
    result = run(["measure", "--as", "1Gi", "--", "touch", str(marker)],
                 as_limit=(256 * MIB, 512 * MIB))
    assert (result.returncode, result.stdout) == (77, "")
    assert result.stderr.startswith("rlimit-init: refused: the job asks for 1 GiB ")
    assert "rlimit-init: measured" not in result.stderr
    assert not marker.exists()


@pytest.mark.sets_rlimit_as
def test_numpy_job_needs_its_virtual_peak_which_its_resident_one_does_not_tell(
        run: Runner, workdir: Path, host: HostMemory) -> None:
    """The README's worked example: a matrix product whose threads and arenas make its address
    space about twice its resident memory, so a limit guessed from resident memory fails. It runs
    with OpenBLAS's own thread per CPU, as the README's example does: conftest.clean_env's
    OPENBLAS_NUM_THREADS=1 is taken away (with one thread and a grant below its peak, OpenBLAS
    0.3.21 hangs instead of failing)."""
    job = python(workdir, "numpy_job.py", NUMPY_JOB.read_text())
    written = workdir / "numpy-policy.yaml"
    measured_run = run(["measure", "-q", "--recommend", str(written), "--"] + job,
                       as_limit=INHERITED, env=OPENBLAS_THREADS_PER_CPU)
    assert measured_run.returncode == 0, measured_run.stderr
    measured = check_whole(measured_run.stderr, host)
    resident, virtual = measured.peaks["vm_hwm"].value, measured.peaks["vm_peak"].value
    assert virtual > resident + 128 * MIB
    guess = round_up(with_headroom(resident), 64 * MIB)
    guessed = run(["-q", "--as", str(guess), "--"] + job, as_limit=INHERITED,
                  env=OPENBLAS_THREADS_PER_CPU)
    assert guessed.returncode == 1
    assert guessed.stdout == ""
    assert "numpy.core._exceptions._ArrayMemoryError: Unable to allocate" in guessed.stderr
    ran = run(["-q", "-p", str(written), "--"] + job, as_limit=INHERITED,
              env=OPENBLAS_THREADS_PER_CPU)
    assert (ran.returncode, ran.stdout, ran.stderr) == (0, measured_run.stdout, "")

# SPDX-License-Identifier: Apache-2.0
"""`rlimit-init measure` on the real binary: the workload runs watched under the policy, and its
report (per-process peaks read where each process ends, the recommended policy) is checked whole: its
words against a golden file with the run's numbers masked, its numbers against the rules of
docs/measure.md (measure_values.py), the policy read back as YAML."""

from __future__ import annotations

import re
import signal
import subprocess
from pathlib import Path

import pytest
import yaml

import golden
from rlimit_json import parse as parse_json
from conftest import KUBERNETES, REPO, TIMEOUT, Runner, clean_env, command_line
from expected import MIB, UNLIMITED, HostMemory, own_pids_directory
from measure_values import (Measured, host_settings, masked, policy_values, read_measure_report,
                            recommended_policy, recommended_request, round_up, with_headroom)

SEED_JOB = REPO / "tests" / "fixtures" / "seed" / "job.py"
NUMPY_JOB = REPO / "tests" / "fixtures" / "measure" / "numpy_job.py"  # the README's example
INHERITED = (256 * MIB, UNLIMITED)  # the seed's ulimit -Sv 262144
SUCCESS = "allocation_status=success\nallocated_bytes=314572800\n"
MISSING = "/nonexistent/measured-workload"


# conftest.clean_env sets OPENBLAS_NUM_THREADS=1 for every test; the numpy example removes it.
OPENBLAS_THREADS_PER_CPU = {"OPENBLAS_NUM_THREADS": None}

def python(directory: Path, name: str, code: str) -> list[str]:
    path = directory / name
    path.write_text(code)
    return ["python3", str(path)]


def check_whole(golden_name: str, stderr: str, host: HostMemory, workdir: Path,
                job_stderr: str = "", env: dict[str, str | None] | None = None,
                cgroup_peak: int | None = None, replace: dict[str, str] | None = None
                ) -> Measured:
    """Reads the report and holds all of it to the run's settings, the rules of the policy and
    the golden file measure/GOLDEN_NAME.txt (numbers masked; `replace`, the test's directory
    and cgroup turned into placeholders first)."""
    assert stderr.startswith(job_stderr), stderr
    measured = read_measure_report(stderr)
    assert measured.settings == host_settings(clean_env(env))
    assert policy_values(measured.policy) == recommended_policy(measured, cgroup_peak)
    report = stderr[len(job_stderr):]
    # The pids cgroup (the test run's own, shared: the tasks-at-once line says so) is the host's.
    pids = {own_pids_directory(): "{pids_cgroup}"} if own_pids_directory() else {}
    for actual, placeholder in {**(replace or {}), str(workdir): "{workdir}",
                                host.directory: "{cgroup}", **pids}.items():
        report = report.replace(actual, placeholder)
    # How many other processes share the test's cgroup is the host's, and so is its plural.
    report = re.sub(r"held \d+ other process(es)? ", "held {others} other processes ", report)
    golden.check(f"measure/{golden_name}.txt", masked(report))
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
    measured = check_whole("seed-job", result.stderr, host, workdir)
    assert measured.command == " ".join(job)
    assert measured.ending == "exit status 0"
    assert measured.processes == 1
    assert measured.peaks["vm_peak"].value > 300 * MIB
    assert measured.peaks["vm_hwm"].value > 300 * MIB
    assert written.read_text() == measured.policy

    # The policy it wrote, fed back through check under the same 256 MiB, grants the job...
    request = recommended_request(measured.peaks["vm_peak"].value)
    checked = run(["check", "-p", str(written), "-o", "json"], as_limit=INHERITED)
    assert (checked.returncode, checked.stderr) == (0, "")
    decision = parse_json(checked.stdout)
    assert (decision["outcome"], decision["soft_before"], decision["soft_after"],
            decision["hard_after"]) == ("raised", 256 * MIB, request, UNLIMITED)
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
    measured = check_whole("child-process-peak", result.stderr, host, workdir)
    assert (result.returncode, measured.processes, measured.tasks_at_once) == (0, 2, 2)
    assert measured.peaks["vm_peak"].pid == child != parent
    assert measured.peaks["vm_peak"].value > 200 * MIB


# Threads are not notified (issue 24.7): their number is read from the samples. Here the
# eight threads are still alive, parked at a second barrier, when the main thread calls
# os._exit: its exit_group's sample reads all nine, whatever the timer saw.
THREADS = (
    "import os, sys, threading\n"
    "threading.stack_size(64 * 1024 * 1024)\n"
    "started = threading.Barrier(int(sys.argv[1]) + 1)\n"
    "never = threading.Event()\n"
    "def park():\n"
    "    started.wait()\n"
    "    never.wait()\n"
    "threads = [threading.Thread(target=park, daemon=True) for _ in range(int(sys.argv[1]))]\n"
    "for t in threads: t.start()\n"
    "started.wait()\n"
    "os._exit(0)\n")


def test_a_threaded_jobs_peak_includes_its_thread_stacks(run: Runner, workdir: Path,
                                                         host: HostMemory) -> None:
    job = python(workdir, "threads.py", THREADS)
    alone = run(["measure", "-q", "--"] + job + ["0"])
    threaded = run(["measure", "-q", "--"] + job + ["8"])
    assert (alone.returncode, threaded.returncode) == (0, 0)
    one = check_whole("threads-0", alone.stderr, host, workdir)
    nine = check_whole("threads-8", threaded.stderr, host, workdir)
    assert (one.peaks["threads"].value, nine.peaks["threads"].value) == (1, 9)
    assert nine.tasks_at_once == 9
    # Eight 64 MiB stacks, all alive together at the barrier.
    assert nine.peaks["vm_peak"].value - one.peaks["vm_peak"].value >= 8 * 64 * MIB


# Issue 24.7: 2,000 short threads cost 1.6 times the job while ptrace stopped each at its
# clone. The seccomp filter notifies no thread: strace on measure itself shows every
# notification its listener receives (SECCOMP_IOCTL_NOTIF_RECV), the same for 50 threads as for
# none: the job's exec and its exit_group. Not timed: the notifications are counted. The
# release binary only: a sanitizer build's LeakSanitizer cannot run under strace.
FIFTY_THREADS = ("import sys, threading\n"
                 "threads = [threading.Thread(target=int) for _ in range(int(sys.argv[1]))]\n"
                 "for t in threads: t.start()\n"
                 "for t in threads: t.join()\n")


@pytest.mark.static_binary
def test_threads_are_not_notified(run: Runner, workdir: Path, host: HostMemory) -> None:
    job = python(workdir, "fifty.py", FIFTY_THREADS)
    notified = {}
    for threads in (0, 50):
        trace = workdir / f"ioctl-{threads}"
        result = run(["measure", "-q", "--"] + job + [str(threads)],
                     prefix=["strace", "-qq", "-e", "trace=ioctl", "-e", "status=successful",
                             "-o", str(trace)])
        assert result.returncode == 0, result.stderr
        notified[threads] = re.findall(r"SECCOMP_IOCTL_NOTIF_RECV, \{.*?data=\{nr=__NR_(\w+)",
                                       trace.read_text())
    measured = check_whole("fifty-threads", result.stderr, host, workdir)
    assert measured.processes == 1  # and no "not measured" line: the golden file has none
    # The execs of rlimit-init's child looking for python3 along PATH (one per directory tried),
    # then the job's exit_group: the same with 50 threads as with none.
    assert notified[50] == notified[0], notified
    assert set(notified[0][:-1]) == {"execve"} and notified[0][-1] == "exit_group", notified


def test_a_measured_job_can_trace_its_own_children(run: Runner, workdir: Path) -> None:
    """measure traces nothing (a seccomp listener tells it of the calls it reads at), so a job
    may run strace itself, which under ptrace failed with EPERM."""
    trace = workdir / "strace.out"
    result = run(["measure", "-q", "--", "strace", "-qq", "-e", "trace=execve", "-o", str(trace),
                  "true"])
    assert result.returncode == 0, result.stderr
    assert trace.read_text().count("execve(") == 1


# A thread that ends its process (os._exit is exit_group; a signal sent to the thread itself
# kills the process from it) while the main thread waits: the exit_group, or the tgkill that
# sends the signal, is notified from the thread, and the process is read there.
ENDED_BY_A_THREAD = ("import mmap, os, signal, sys, threading\n"
                     "held = mmap.mmap(-1, 256 << 20)\n"
                     "def end():\n"
                     "    if sys.argv[1] == 'exit': os._exit(3)\n"
                     "    signal.pthread_kill(threading.get_ident(), signal.SIGTERM)\n"
                     "worker = threading.Thread(target=end)\n"
                     "worker.start()\n"
                     "worker.join()\n")


@pytest.mark.parametrize("how, code, ending", [
    ("exit", 3, "exit status 3"), ("signal", 143, "killed by signal 15 (exit code 143)")])
def test_a_process_ended_by_one_of_its_threads_is_measured(run: Runner, workdir: Path,
                                                          host: HostMemory, how: str, code: int,
                                                          ending: str) -> None:
    job = python(workdir, "ended.py", ENDED_BY_A_THREAD)
    result = run(["measure", "-q", "--"] + job + [how])
    assert result.returncode == code, result.stderr
    measured = check_whole(f"ended-by-a-thread-{how}", result.stderr, host, workdir)
    assert (measured.ending, measured.processes) == (ending, 1)
    assert measured.peaks["vm_peak"].value > 256 * MIB


def test_a_job_killed_by_a_signal_still_gets_its_report_and_128_plus_n(run: Runner,
                                                                       workdir: Path,
                                                                       host: HostMemory) -> None:
    job = python(workdir, "die.py", "import os, signal\nos.kill(os.getpid(), signal.SIGTERM)\n")
    result = run(["measure", "-q", "--"] + job)
    assert result.returncode == 143
    assert check_whole("killed-by-a-signal", result.stderr, host, workdir).ending == \
        "killed by signal 15 (exit code 143)"


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
    assert check_whole("signal-forwarded", stderr, host, workdir).ending == \
        "killed by signal 15 (exit code 143)"


def test_a_workload_that_is_not_found_exits_127_with_no_report(run: Runner) -> None:
    result = run(["measure", "--", MISSING])
    assert (result.returncode, result.stdout) == (127, "")
    golden.check("measure/workload-not-found.txt", result.stderr)


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
    assert report["runtime"] is None  # python with no runtime of docs/runtimes.md mapped
    assert report["recommended"]["addressSpace"]["request"] == \
        f"{recommended_request(report['vm_peak']['value']) // MIB}Mi"
    assert report["cgroup_peak_bytes"] is None
    assert report["cgroup_note"].startswith(f"the cgroup {host.directory} held "), report
    assert report["run"]["outcome"] == "raised" or report["run"]["outcome"] == "unchanged"
    assert report["run"]["request_bytes"] == 1024 * MIB


def test_json_report_that_cannot_be_written_stays_one_object(run: Runner,
                                                              workdir: Path) -> None:
    """A --report file that fails as it is written (past RLIMIT_FSIZE, which the checks before
    the job cannot foresee): the one JSON document goes to stderr and says why inside, instead
    of a text line before it."""
    report_path, policy_path = workdir / "r.json", workdir / "p.yaml"
    result = run(["measure", "-o", "json", "--report", str(report_path),
                  "--recommend", str(policy_path), "--", "true"],
                 prefix=["prlimit", "--fsize=16"])
    assert (result.returncode, result.stdout) == (0, "")
    report = parse_json(result.stderr)
    assert (report["outcome"], report["report_error"], report["recommend_error"]) == (
        "measured", f"cannot write the report to {report_path}: File too large",
        f"cannot write the recommended policy to {policy_path}: File too large")


def test_report_goes_to_the_named_file_and_stderr_stays_the_jobs(run: Runner,
                                                                workdir: Path,
                                                                host: HostMemory) -> None:
    job = python(workdir, "job.py", "import sys\nsys.stderr.write('job says\\n')\n")
    report = workdir / "report.txt"
    result = run(["measure", "-q", "--report", str(report), "--"] + job)
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "job says\n")
    check_whole("report-to-a-file", report.read_text(), host, workdir)


def test_the_cgroup_peak_is_read_when_the_job_has_its_cgroup_to_itself(
        run: Runner, workdir: Path, memory_cgroup, host: HostMemory) -> None:
    cgroup = memory_cgroup(None, None)
    job = python(workdir, "job.py", "data = bytearray(100 * 1024 * 1024)\n")
    result = run(["measure", "-q", "--"] + job, prefix=cgroup.join_prefix())
    assert result.returncode == 0
    peak = int((cgroup.leaf / "memory.max_usage_in_bytes").read_text())
    measured = check_whole("cgroup-to-itself", result.stderr, host, workdir, cgroup_peak=peak,
                           replace={str(cgroup.leaf): "{leaf}"})
    assert f"({peak} bytes) from {cgroup.leaf}/memory.max_usage_in_bytes" in measured.cgroup_line
    # The 100 MiB are anonymous memory, charged to the job's cgroup; VmHWM also counts pages of
    # python3 and its libraries that are already in the page cache, charged to whichever cgroup
    # read them first, so the cgroup's peak may be below it.
    assert peak >= 100 * MIB


@pytest.mark.sets_rlimit_as
def test_a_refusal_measures_nothing_and_runs_nothing(run: Runner, workdir: Path) -> None:
    marker = workdir / "ran"
    result = run(["measure", "--as", "1Gi", "--", "touch", str(marker)],
                 as_limit=(256 * MIB, 512 * MIB), env=KUBERNETES)
    assert (result.returncode, result.stdout) == (77, "")
    # The refusal alone: no report follows it.
    golden.check("measure/refused-before-measuring.txt", result.stderr)
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
    measured = check_whole("numpy-job", measured_run.stderr, host, workdir,
                           env=OPENBLAS_THREADS_PER_CPU)
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


# Issue 24.1: a launcher whose peak is gone by the time its exec is reported.
LAUNCHER = (
    "import os\n"
    "data = bytearray(400 * 1024 * 1024)\n"
    "os.execv('/bin/true', ['true'])\n")


@pytest.mark.sets_rlimit_as
def test_a_launchers_peak_before_it_execs_is_measured_and_the_policy_lets_it_run(
        run: Runner, workdir: Path, host: HostMemory) -> None:
    job = python(workdir, "launcher.py", LAUNCHER)
    written = workdir / "recommended.yaml"
    measured_run = run(["measure", "-q", "--recommend", str(written), "--"] + job,
                       as_limit=INHERITED)
    assert measured_run.returncode == 0, measured_run.stderr
    measured = check_whole("launcher", measured_run.stderr, host, workdir)
    assert (measured.processes, measured.peaks["vm_peak"].name) == (1, "python3")
    assert measured.peaks["vm_peak"].value > 400 * MIB
    ran = run(["-q", "-p", str(written), "--"] + job, as_limit=INHERITED)
    assert (ran.returncode, ran.stdout, ran.stderr) == (0, "", "")


# Issue 24.2: descriptors counted at their peak, not at exit.
MANY_FILES = (
    "import os\n"
    "fds = [os.open('/dev/null', os.O_RDONLY) for _ in range(3000)]\n"
    "for fd in fds: os.close(fd)\n"
    "print('closed', flush=True)\n")


def test_descriptors_held_then_closed_count_and_a_lower_hard_limit_refuses(
        run: Runner, workdir: Path, host: HostMemory) -> None:
    job = python(workdir, "files.py", MANY_FILES)
    written = workdir / "recommended.yaml"
    # Below 3 + 3000 only the standard streams are open: the need is the highest one + 1.
    measured_run = run(["measure", "-q", "--recommend", str(written), "--"] + job,
                       prefix=["prlimit", "--nofile=8192:8192"])
    assert (measured_run.returncode, measured_run.stdout) == (0, "closed\n")
    measured = check_whole("descriptors-held-then-closed", measured_run.stderr, host, workdir)
    assert measured.peaks["fds"].value == 3003
    policy = yaml.safe_load(written.read_text())
    assert policy["limits"]["nofile"] == {"request": 3776, "minimum": 3776}
    # It runs where the hard limit allows the need and the soft one does not...
    ran = run(["-q", "-p", str(written), "--"] + job, prefix=["prlimit", "--nofile=1024:3776"])
    assert (ran.returncode, ran.stdout, ran.stderr) == (0, "closed\n", "")
    # ... and is refused before it starts where the hard limit is below it.
    refused = run(["-q", "-p", str(written), "--"] + job, prefix=["prlimit", "--nofile=1024:1024"],
                  env=KUBERNETES)
    assert (refused.returncode, refused.stdout) == (77, "")
    golden.check("measure/nofile-refused-below-the-need.txt", refused.stderr,
                 {str(written): "{policy}"})


# Issue 24.3: the requests come from the job, and a machine above them hears nothing.
def test_the_policy_asks_for_the_need_and_is_silent_where_the_limits_are_above_it(
        run: Runner, workdir: Path, host: HostMemory) -> None:
    job = python(workdir, "small.py", "print('small')\n")
    written = workdir / "recommended.yaml"
    measured_run = run(["measure", "-q", "--recommend", str(written), "--"] + job,
                       prefix=["prlimit", "--nofile=20000:20000", "--nproc=96364:96364"])
    assert measured_run.returncode == 0, measured_run.stderr
    check_whole("small-job", measured_run.stderr, host, workdir)
    limits = yaml.safe_load(written.read_text())["limits"]
    assert limits == {"nofile": {"request": 64, "minimum": 64},
                      "nproc": {"request": 64, "minimum": 64}}
    ran = run(["-p", str(written), "--"] + job,
              prefix=["prlimit", "--nofile=20000:20000", "--nproc=96364:96364"])
    assert (ran.returncode, ran.stdout) == (0, "small\n")
    assert "warning" not in ran.stderr, ran.stderr


# Issue 24.4: 64 threads, each making a malloc arena while glibc's cap allows, then the work.
ARENAS = (
    "import sys, threading\n"
    "release = threading.Event()\n"
    "held = []\n"
    "def work(ready):\n"
    "    held.append(bytearray(200_000))  # glibc's malloc, in this thread's own arena\n"
    "    ready.set()\n"
    "    release.wait()\n"
    "threads = []\n"
    "for _ in range(int(sys.argv[1])):\n"
    "    ready = threading.Event()\n"
    "    t = threading.Thread(target=work, args=(ready,), daemon=True)\n"
    "    t.start()\n"
    "    ready.wait()\n"
    "    threads.append(t)\n"
    "big = bytearray(256 * 1024 * 1024)  # the work, once the pool is up\n"
    "release.set()\n"
    "for t in threads: t.join()\n"
    "print('done')\n")


@pytest.mark.sets_rlimit_as
def test_a_policy_measured_on_two_cpus_holds_on_a_32_cpu_node(run: Runner, workdir: Path,
                                                              host: HostMemory) -> None:
    """glibc 2.36 caps malloc arenas at 8 per CPU of /sys/devices/system/cpu/online; a private
    mount namespace binding "0-31" over it stands in for a bigger node."""
    job = python(workdir, "arenas.py", ARENAS) + ["64"]
    written = workdir / "recommended.yaml"
    measured_run = run(["measure", "-q", "--recommend", str(written), "--"] + job,
                       as_limit=INHERITED)
    assert (measured_run.returncode, measured_run.stdout) == (0, "done\n"), measured_run.stderr
    measured = check_whole("arenas", measured_run.stderr, host, workdir)
    assert measured.settings["online"] == 2
    env = yaml.safe_load(written.read_text())["env"]
    assert env["MALLOC_ARENA_MAX"] == "16"
    online = workdir / "online"
    online.write_text("0-31\n")
    node = ["unshare", "--mount", "sh", "-c",
            'mount --bind "$0" /sys/devices/system/cpu/online && exec "$@"', str(online)]
    ran = run(["-q", "-p", str(written), "--"] + job, as_limit=INHERITED, prefix=node)
    assert (ran.returncode, ran.stdout, ran.stderr) == (0, "done\n", "")
    # Without the pin the bigger node makes four times the arenas and the job fails.
    unpinned = workdir / "unpinned.yaml"
    policy = yaml.safe_load(written.read_text())
    del policy["env"]
    unpinned.write_text(yaml.safe_dump(policy))
    failed = run(["-q", "-p", str(unpinned), "--"] + job, as_limit=INHERITED, prefix=node)
    assert (failed.returncode, failed.stdout) == (1, "")
    assert failed.stderr.endswith("RuntimeError: can't start new thread\n"), failed.stderr


# Issue 24.5: a policy with user: is measured as that user.
def test_a_policy_with_a_user_is_measured_as_that_user(run: Runner, workdir: Path,
                                                       host: HostMemory) -> None:
    policy = workdir / "user.yaml"
    policy.write_text("apiVersion: rlimit-init/v1\naddressSpace:\n  request: 1Gi\nuser: nobody\n")
    result = run(["measure", "-q", "-p", str(policy), "--", "id", "-u"])
    assert (result.returncode, result.stdout) == (0, "65534\n"), result.stderr
    assert check_whole("as-a-user", result.stderr, host, workdir).processes == 1


# Issue 19.4: whatever the command is called, the recommended policy is YAML that says it.
HOSTILE = ["it's: \"quoted\" # not a comment", "- dash", "line\nbreak", "next\u0085line",
           "sep\u2028arator", "tab\tand \\ backslash"]


def test_the_recommended_policy_reads_back_whatever_the_command_is_called(
        run: Runner, workdir: Path) -> None:
    written = workdir / "recommended.yaml"
    result = run(["measure", "-q", "--recommend", str(written), "--", "true"] + HOSTILE)
    assert result.returncode == 0, result.stderr
    text = written.read_text()
    policy = yaml.safe_load(text)
    assert sorted(policy) == ["addressSpace", "apiVersion", "env", "limits", "memory"]
    # The command sits in the first line, a comment, made printable ASCII.
    golden.check("measure/recommended-for-a-hostile-command.txt", text.splitlines(True)[0])
    checked = run(["check", "-p", str(written)])
    assert (checked.returncode, checked.stderr) == (0, ""), checked.stdout


# Issue 24.6: measure's own files are checked before the job runs.
# Each refused as golden/measure/unusable-file-NAME.txt says.
UNUSABLE_FILES = {
    "same-file": ["--report", "{w}/same.txt", "--recommend", "{w}/./same.txt"],
    "directory": ["--report", "{w}"],
    "missing-directory": ["--recommend", "{w}/missing/policy.yaml"],
    "device": ["--report", "/dev/null"],
    "empty-name": ["--report", ""],
}


@pytest.mark.parametrize("name", UNUSABLE_FILES)
def test_an_unusable_report_or_policy_file_is_refused_before_the_job_runs(
        run: Runner, workdir: Path, name: str) -> None:
    marker = workdir / "ran"
    args = [flag.format(w=workdir) for flag in UNUSABLE_FILES[name]]
    result = run(["measure", "-q"] + args + ["--", "touch", str(marker)])
    assert (result.returncode, result.stdout) == (64, "")
    golden.check(f"measure/unusable-file-{name}.txt", result.stderr, {str(workdir): "{workdir}"})
    assert not marker.exists()

# SPDX-License-Identifier: Apache-2.0
"""The address-space budget on the real binary: the warning under a finite grant with the real
CPU count (taskset), stack limit (prlimit) and cgroup v1 CPU quota of this machine, a GPU device
node made with mknod in a private /dev, and the policy's env: reaching the workload. (The
callgrind budget is test_budget.py; this file is the address-space budget.)"""

from __future__ import annotations

import itertools
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from rlimit_json import parse as parse_json
from conftest import Runner, require_root, skip_unless, write_policy
import golden
from expected import MIB, HostMemory

pytestmark = pytest.mark.sets_rlimit_as

# conftest.clean_env sets OPENBLAS_NUM_THREADS=1 for every other test; these remove it.
NO_THREADS_SET = {"OPENBLAS_NUM_THREADS": None}

GRANT = 256 * MIB
START_AS = (128 * MIB, "unlimited")
STACK = 8 * MIB
CPU_MOUNT = Path("/sys/fs/cgroup/cpu")
_numbers = itertools.count(1)


def pinned(cpus: str, stack: int | str = STACK) -> list[str]:
    """taskset to CPUS and prlimit's RLIMIT_STACK, between prlimit --as and the binary."""
    skip_unless(shutil.which("taskset") is not None, "taskset (util-linux) is not installed")
    skip_unless(len(os.sched_getaffinity(0)) >= 2, "needs two CPUs in the affinity mask")
    return ["taskset", "-c", cpus, "prlimit", f"--stack={stack}"]


# The tail of the summary says this host's cgroup memory limit or MemTotal.
HOST_MEMORY = re.compile(r"(?<=; hard limit unlimited; ).*$", re.MULTILINE)


def check_said(name: str, text: str, replace: dict | None = None) -> None:
    golden.check(f"as_budget/{name}.txt", text, {HOST_MEMORY: "{host memory}", **(replace or {})})


def check(run: Runner, prefix: list[str], *args: str, env=None):
    return run(["check", *args], as_limit=START_AS, prefix=prefix,
               env={**NO_THREADS_SET, **(env or {})})


def test_two_cpus_warn_under_a_tight_grant_in_text_and_json(run: Runner,
                                                            host: HostMemory) -> None:
    result = check(run, pinned("0,1"), "--as", "256Mi")
    assert (result.returncode, result.stderr) == (0, "")
    check_said("two-cpus-tight-grant", result.stdout)
    report = parse_json(check(run, pinned("0,1"), "--as", "256Mi", "-o", "json").stdout)
    # The words of the text's warning line, as a JSON string.
    golden.check_json("as_budget/two-cpus-tight-grant-warnings.json", report["warnings"])


def test_a_roomy_grant_or_one_cpu_reserves_nothing(run: Runner, host: HostMemory) -> None:
    # 2 x 136 MiB is not tight: the threads take exactly half.
    roomy = check(run, pinned("0,1"), "--as", "272Mi")
    assert (roomy.returncode, roomy.stdout.count("warning")) == (0, 0)
    one = check(run, pinned("0"), "--as", "256Mi")
    assert one.returncode == 0
    check_said("one-cpu-no-warning", one.stdout)


def test_an_unlimited_stack_counts_glibcs_default(run: Runner, host: HostMemory) -> None:
    result = check(run, pinned("0,1", stack="unlimited"), "--as", "256Mi")
    check_said("unlimited-stack", result.stdout)


def test_openblas_num_threads_from_the_environment(run: Runner, host: HostMemory) -> None:
    result = check(run, pinned("0,1"), "--as", "256Mi", env={"OMP_NUM_THREADS": "1"})
    check_said("one-cpu-no-warning", result.stdout)
    result = check(run, pinned("0,1"), "--as", "256Mi",
                   env={"OPENBLAS_NUM_THREADS": "2", "MALLOC_ARENA_MAX": "2"})
    check_said("threads-and-arenas-from-the-environment", result.stdout)


def test_the_cgroup_cpu_quota_is_named(run: Runner, host: HostMemory) -> None:
    require_root("creating a cgroup v1 cpu cgroup")
    skip_unless((CPU_MOUNT / "cpu.cfs_quota_us").exists(),
                f"needs the cgroup v1 cpu controller at {CPU_MOUNT}")
    skip_unless(os.access(CPU_MOUNT, os.W_OK), f"needs write access to {CPU_MOUNT}")
    cgroup = CPU_MOUNT / f"rlimit-init-budget-{os.getpid()}-{next(_numbers)}"
    cgroup.mkdir()
    try:
        (cgroup / "cpu.cfs_period_us").write_text("100000")
        (cgroup / "cpu.cfs_quota_us").write_text("100000")  # one CPU
        join = ["sh", "-c", 'echo $$ > "$0" && exec "$@"', str(cgroup / "cgroup.procs")]
        result = check(run, pinned("0,1") + join, "--as", "256Mi")
    finally:
        cgroup.rmdir()
    check_said("cgroup-cpu-quota", result.stdout, {str(cgroup): "{cgroup}"})


def test_the_policy_env_reaches_the_workload_over_the_inherited_one(
        run: Runner, workdir: Path) -> None:
    path = write_policy(workdir, "apiVersion: rlimit-init/v1\naddressSpace:\n  request: 256Mi\n"
                                 "env:\n  MALLOC_ARENA_MAX: \"2\"\n  OPENBLAS_NUM_THREADS: \"1\"\n")
    result = run(["-q", "-p", str(path), "--", "sh", "-c",
                  'echo "$MALLOC_ARENA_MAX $OPENBLAS_NUM_THREADS"'], as_limit=START_AS,
                 prefix=pinned("0,1"), env={"OPENBLAS_NUM_THREADS": "8"})
    # Quiet leaves only warnings: the policy's settings fit the grant, so there are none.
    assert (result.returncode, result.stdout, result.stderr) == (0, "2 1\n", "")


def test_the_printed_env_is_a_policy_the_binary_accepts(run: Runner, workdir: Path,
                                                        host: HostMemory) -> None:
    warning = check(run, pinned("0,1"), "--as", "256Mi").stdout.splitlines()[1]
    fragment = re.search(r"set env: (\{.*\}) in the policy", warning).group(1)
    path = write_policy(workdir, "apiVersion: rlimit-init/v1\naddressSpace:\n  request: 256Mi\n"
                                 f"env: {fragment}\n")
    result = check(run, pinned("0,1"), "-p", str(path))
    assert result.returncode == 0
    check_said("one-cpu-no-warning", result.stdout)


def test_bad_env_names_are_refused_before_anything_runs(run: Runner, workdir: Path) -> None:
    path = write_policy(workdir, "apiVersion: rlimit-init/v1\naddressSpace:\n  request: 256Mi\n"
                                 "env:\n  OPENBLAS-NUM-THREADS: \"1\"\n")
    marker = workdir / "ran"
    result = run(["-p", str(path), "--", "touch", str(marker)], as_limit=START_AS)
    assert (result.returncode, marker.exists()) == (78, False)
    check_said("bad-env-name", result.stderr, {str(path): "{policy}"})


def test_a_gpu_device_node_under_a_finite_grant(run: Runner, workdir: Path,
                                                host: HostMemory) -> None:
    require_root("mknod in a private mount namespace")
    skip_unless(shutil.which("unshare") is not None, "unshare (util-linux) is not installed")
    # A private /dev: a tmpfs with the device nodes an NVIDIA container gets (major 195), made
    # with mknod. The machine's /dev is not touched.
    private_dev = ["unshare", "--mount", "sh", "-c",
                   "mount -t tmpfs tmpfs /dev && mknod /dev/nvidia0 c 195 0 && "
                   "mknod /dev/nvidiactl c 195 255 && mknod -m 666 /dev/null c 1 3 && "
                   'exec "$@"', "sh"]
    result = check(run, private_dev + pinned("0"), "--as", "256Mi")
    assert result.returncode == 0
    check_said("gpu-device-node", result.stdout)
    unlimited = check(run, private_dev + pinned("0"), "--as", "unlimited")
    assert unlimited.stdout.count("warning") == 0

# SPDX-License-Identifier: Apache-2.0
"""The address-space budget's real example: Debian's python3-numpy with the threaded OpenBLAS
(libopenblas0-pthread), imported under grants rlimit-init sets. The least grants are the ones
measured on this machine and quoted in the README (expected.NUMPY_LEAST_GRANT). Only the grants
that import, and the one-thread grant that fails fast, are run: under a grant too small for two
OpenBLAS threads the import can hang instead of failing (seen here at 100 and 129 MiB)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import Runner, skip_unless, write_policy
import golden
from expected import MIB, NUMPY_LEAST_GRANT, HostMemory
from test_as_budget import HOST_MEMORY

pytestmark = pytest.mark.sets_rlimit_as

# conftest.clean_env sets OPENBLAS_NUM_THREADS=1 for every other test; these remove it.
NO_THREADS_SET = {"OPENBLAS_NUM_THREADS": None}

PYTHON = "/usr/bin/python3"
OPENBLAS = Path("/usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblas.so.0")
START_AS = (64 * MIB, "unlimited")
IMPORT = [PYTHON, "-c", "import numpy; print(numpy.__version__)"]


def numpy_version() -> str:
    skip_unless(OPENBLAS.exists(), f"{OPENBLAS} is missing (scripts/setup.sh --tests installs "
                                   "libopenblas0-pthread)")
    probe = subprocess.run(IMPORT, capture_output=True, text=True, cwd="/", timeout=60)
    skip_unless(probe.returncode == 0, "python3-numpy is not installed (scripts/setup.sh --tests "
                                       f"installs it): {probe.stderr.strip()[-200:]}")
    return probe.stdout


def two_cpus() -> list[str]:
    skip_unless(len(os.sched_getaffinity(0)) >= 2, "needs two CPUs in the affinity mask")
    skip_unless(shutil.which("taskset") is not None, "taskset (util-linux) is not installed")
    return ["taskset", "-c", "0,1", "prlimit", f"--stack={8 * MIB}"]


def test_the_policy_env_lets_numpy_import_under_128mi(run: Runner, workdir: Path,
                                                      host: HostMemory) -> None:
    version = numpy_version()
    bare = write_policy(workdir, "apiVersion: rlimit-init/v1\naddressSpace:\n  request: 128Mi\n",
                        "bare.yaml")
    checked = run(["check", "-p", str(bare)], as_limit=START_AS, prefix=two_cpus(),
                  env=NO_THREADS_SET)
    golden.check("as_budget/numpy-bare-policy.txt", checked.stdout,
                 {HOST_MEMORY: "{host memory}"})
    fixed = write_policy(workdir, "apiVersion: rlimit-init/v1\naddressSpace:\n  request: 128Mi\n"
                                  "env:\n  OPENBLAS_NUM_THREADS: \"1\"\n  MALLOC_ARENA_MAX: \"2\"\n")
    result = run(["-p", str(fixed), "--", *IMPORT], as_limit=START_AS, prefix=two_cpus(),
                 env=NO_THREADS_SET, cwd="/")
    assert (result.returncode, result.stdout) == (0, version)
    golden.check("as_budget/numpy-fixed-policy.txt", result.stderr,
                 {HOST_MEMORY: "{host memory}"})


@pytest.mark.parametrize("threads", ["two OpenBLAS threads", "OPENBLAS_NUM_THREADS=1"])
def test_the_least_grants_measured_for_the_readme_import_numpy(run: Runner, threads: str) -> None:
    version = numpy_version()
    least = NUMPY_LEAST_GRANT[threads]
    env = {"OPENBLAS_NUM_THREADS": "1"} if threads.startswith("OPENBLAS") else NO_THREADS_SET
    result = run(["-q", "--as", str(least), "--", *IMPORT], as_limit=START_AS,
                 prefix=two_cpus(), env=env, cwd="/")
    assert (result.returncode, result.stdout) == (0, version)


def test_two_mib_less_than_the_one_thread_grant_fails_to_import(run: Runner) -> None:
    numpy_version()
    least = NUMPY_LEAST_GRANT["OPENBLAS_NUM_THREADS=1"]
    result = run(["-q", "--as", str(least - 2 * MIB), "--", *IMPORT], as_limit=START_AS,
                 prefix=two_cpus(), env={"OPENBLAS_NUM_THREADS": "1"}, cwd="/")
    assert (result.returncode, result.stdout) == (1, "")
    # Which allocation fails first moves with the layout the kernel picks: an extension module's
    # mapping or an interpreter allocation.
    last = result.stderr.splitlines()[-1]
    assert last == "MemoryError" or (last.startswith("ImportError: ") and
                                     last.endswith(": failed to map segment from shared object"))

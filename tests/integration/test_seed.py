# SPDX-License-Identifier: Apache-2.0
"""The seed report reproduced end to end: a Python job that allocates 300 MiB dies with
MemoryError under an inherited 256 MiB soft RLIMIT_AS, and succeeds through rlimit-init with a
512Mi request; below what python3 needs to start at all, only rlimit-init helps."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from conftest import (KUBERNETES, POLICIES, REPO, TIMEOUT, Runner, clean_env, policy,
                      write_policy)
import golden
from expected import MIB, UNLIMITED

pytestmark = pytest.mark.sets_rlimit_as

POLICY = POLICIES / "good" / "request-512mi.yaml"
INHERITED = (256 * MIB, UNLIMITED)  # ulimit -Sv 262144, as in the transcript
JOB = REPO / "tests" / "fixtures" / "seed" / "job.py"  # scripts/demo.sh runs it too
SUCCESS = "allocation_status=success\nallocated_bytes=314572800\n"
# python3 is dynamically linked; under a few MiB the loader cannot map its libraries.
LOADER_FAILURE = re.compile(r"python3: error while loading shared libraries: \S+: failed to map "
                            r"segment from shared object\n")


@pytest.fixture
def job(workdir: Path) -> list[str]:
    path = workdir / "job.py"
    path.write_text(JOB.read_text())
    return ["python3", str(path)]


def alone(job: list[str], soft: int, hard: int | str = UNLIMITED) -> subprocess.CompletedProcess:
    """The job without rlimit-init, under prlimit as in the transcript."""
    return subprocess.run(["prlimit", f"--as={soft}:{hard}"] + job, stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, env=clean_env(), timeout=TIMEOUT)


def check_said(name: str, text: str, replace: dict | None = None) -> None:
    golden.check(f"seed/{name}.txt", text, {**(replace or {}), str(POLICY): "{policy}",
                                            golden.HOST_MEMORY: "{host memory}"})


def test_job_alone_under_256_mib_fails_with_memory_error(job: list[str]) -> None:
    result = alone(job, 256 * MIB)
    assert (result.returncode, result.stdout, result.stderr) == (
        0, "soft=268435456 hard=-1\nallocation_status=memory_error\n", "")


def test_job_through_rlimit_init_with_512mi_policy_succeeds(run: Runner, job: list[str]) -> None:
    result = run(["--policy", str(POLICY), "--"] + job, as_limit=INHERITED)
    assert (result.returncode, result.stdout) == (0, "soft=536870912 hard=-1\n" + SUCCESS)
    check_said("raised-from-256-mib", result.stderr)


def test_job_through_rlimit_init_with_no_configuration_succeeds(run: Runner,
                                                                job: list[str]) -> None:
    result = run(["-q", "--"] + job, as_limit=INHERITED)
    assert (result.returncode, result.stdout) == (0, "soft=-1 hard=-1\n" + SUCCESS)


def test_python_alone_cannot_even_start_under_8_mib(job: list[str]) -> None:
    result = alone(job, 8 * MIB)
    assert (result.returncode, result.stdout) == (127, "")
    assert LOADER_FAILURE.fullmatch(result.stderr), result.stderr


def test_job_through_rlimit_init_under_8_mib_succeeds(run: Runner, job: list[str]) -> None:
    # rlimit-init is static and lifts its own soft limit first, so 8 MiB does not stop it.
    result = run(["--policy", str(POLICY), "--"] + job, as_limit=(8 * MIB, UNLIMITED))
    assert (result.returncode, result.stdout) == (0, "soft=536870912 hard=-1\n" + SUCCESS)
    check_said("raised-from-8-mib", result.stderr)


def test_job_under_a_256_mib_hard_limit_is_refused_before_it_starts(
        run: Runner, job: list[str]) -> None:
    result = run(["--policy", str(POLICY), "--"] + job, as_limit=(256 * MIB, 256 * MIB),
                 env=KUBERNETES)
    assert (result.returncode, result.stdout) == (77, "")
    check_said("refused-under-a-256-mib-hard-limit", result.stderr)


def test_job_that_accepts_less_runs_and_still_meets_memory_error(
        run: Runner, workdir: Path, job: list[str]) -> None:
    # A minimum the hard limit meets starts the job; 256 MiB still cannot hold 300 MiB, so the
    # job sees MemoryError, as it would have, but after a warning that says why.
    path = write_policy(workdir, policy("512Mi", minimum="128Mi"))
    result = run(["-q", "--policy", str(path), "--"] + job, as_limit=(128 * MIB, 256 * MIB))
    assert (result.returncode, result.stdout) == (
        0, "soft=268435456 hard=268435456\nallocation_status=memory_error\n")
    check_said("partial-grant-warning", result.stderr)


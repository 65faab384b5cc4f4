# SPDX-License-Identifier: Apache-2.0
"""Every rlimit but the address space, on the real binary under real limits set with prlimit:
what the workload sees after exec (`ulimit`), and the exact lines rlimit-init says. The
limits are first lowered with prlimit to values below any CI host's hard limits, so that no
test depends on the machine it runs on; lowering needs no privilege."""

from __future__ import annotations

from pathlib import Path

import pytest

import golden
from rlimit_json import parse as parse_json
from conftest import KUBERNETES, Runner, write_policy
from expected import KIB, MIB, UNLIMITED

pytestmark = pytest.mark.sets_rlimit_as

# RLIMIT_AS is pinned too, so the address-space line that starts every report is known.
AS_PINNED = (UNLIMITED, UNLIMITED)
SHOW = ["bash", "-c", "ulimit -Sn; ulimit -Hn; ulimit -Sl; ulimit -Hl; ulimit -Ss; ulimit -Hs; "
        "ulimit -Sc; ulimit -Hc; ulimit -Su; ulimit -Hu"]


def prlimit(**limits: str) -> list[str]:
    return ["prlimit"] + [f"--{name}={value}" for name, value in limits.items()]


# What every test starts from: nofile 1024:4096, memlock 64 KiB:1 MiB, stack 8 MiB:64 MiB,
# core 1 MiB:1 MiB, nproc 1024:4096.
START = prlimit(nofile="1024:4096", memlock=f"{64 * KIB}:{MIB}",
                stack=f"{8 * MIB}:{64 * MIB}", core=f"{MIB}:{MIB}", nproc="1024:4096")


def seen(nofile=("1024", "4096"), memlock=("64", "1024"), stack=("8192", "65536"),
         core=("1024", "1024"), nproc=("1024", "4096")) -> str:
    """SHOW's output: bash's units, KiB for memlock, stack and core."""
    return "".join(f"{soft}\n{hard}\n" for soft, hard in (nofile, memlock, stack, core, nproc))


def run_policy(run: Runner, workdir: Path, body: str, *args: str, env=None):
    path = write_policy(workdir, "apiVersion: rlimit-init/v1\nlimits:\n" + body)
    return path, run(["-p", str(path), *args], as_limit=AS_PINNED, prefix=START, env=env)


def test_each_limit_is_raised_within_its_hard_limit(run: Runner, workdir: Path) -> None:
    _, result = run_policy(run, workdir, "  nofile: 4096\n  memlock: hard\n  stack: 64Mi\n"
                           "  nproc: 2048\n", "--", *SHOW)
    assert (result.returncode, result.stdout) == (
        0, seen(nofile=("4096", "4096"), memlock=("1024", "1024"), stack=("65536", "65536"),
                nproc=("2048", "4096")))
    golden.check("rlimits/each-raised-within-its-hard-limit.txt", result.stderr,
                 {golden.HOST_MEMORY: "{host memory}"})


def test_core_is_lowered_only_when_the_policy_says_lower(run: Runner, workdir: Path) -> None:
    _, kept = run_policy(run, workdir, "  core: 0\n", "--", *SHOW)
    assert (kept.returncode, kept.stdout) == (0, seen())
    golden.check("rlimits/core-kept-without-lower.txt", kept.stderr,
                 {golden.HOST_MEMORY: "{host memory}"})
    _, lowered = run_policy(run, workdir, "  core:\n    request: 0\n    lower: true\n", "--",
                            *SHOW)
    assert (lowered.returncode, lowered.stdout) == (0, seen(core=("0", "1024")))
    golden.check("rlimits/core-lowered-with-lower.txt", lowered.stderr,
                 {golden.HOST_MEMORY: "{host memory}"})


def test_hard_limit_meeting_the_minimum_is_granted_with_a_warning(
        run: Runner, workdir: Path) -> None:
    # Under Slurm (SLURM_JOB_ID), whatever layer this host is, for the fix that follows.
    _, result = run_policy(run, workdir, "  memlock:\n    request: unlimited\n"
                           "    minimum: 512Ki\n", "--", *SHOW, env={"SLURM_JOB_ID": "7"})
    assert (result.returncode, result.stdout) == (0, seen(memlock=("1024", "1024")))
    # After the address space's line, which golden/rlimits/core-kept-without-lower.txt has whole
    # (its tail is this host's memory).
    golden.check("rlimits/memlock-hard-limit-meets-the-minimum.txt",
                 result.stderr.split("\n", 1)[1])


def test_nofile_above_the_hard_limit_is_refused_and_nothing_runs(
        run: Runner, workdir: Path) -> None:
    marker = workdir / "ran"
    path, result = run_policy(run, workdir, "  nofile: 65536\n", "-q", "--", "touch",
                              str(marker), env=KUBERNETES)
    assert (result.returncode, result.stdout) == (77, "")
    golden.check("rlimits/nofile-refused.txt", result.stderr, {str(path): "{policy}"})
    assert not marker.exists()


def test_json_carries_every_limit_decision(run: Runner, workdir: Path) -> None:
    path, result = run_policy(run, workdir, "  nofile: hard\n  core:\n    request: 0\n"
                              "    lower: true\n", "-o", "json", "check")
    assert result.returncode == 0
    limits = parse_json(result.stdout)["limits"]
    assert [(entry["name"], entry["outcome"], entry["soft_before"], entry["soft_after"],
             entry["hard_before"], entry["hard_after"]) for entry in limits] == [
        ("core", "lowered", MIB, 0, MIB, MIB), ("nofile", "raised", 1024, 4096, 4096, 4096)]
    golden.check_json("rlimits/json-core-lowered-nofile-raised.json", limits,
                      {str(path): "{policy}"})

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
from expected import KIB, MIB, UNLIMITED, HostMemory, describe

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


def as_line(host: HostMemory) -> str:
    return ("rlimit-init: left the soft address-space limit (RLIMIT_AS) at unlimited: it already "
            f"covers the request unlimited; hard limit unlimited; {host.memory_part()}\n")


def run_policy(run: Runner, workdir: Path, body: str, *args: str, env=None):
    path = write_policy(workdir, "apiVersion: rlimit-init/v1\nlimits:\n" + body)
    return path, run(["-p", str(path), *args], as_limit=AS_PINNED, prefix=START, env=env)


def test_each_limit_is_raised_within_its_hard_limit(run: Runner, workdir: Path,
                                                     host: HostMemory) -> None:
    _, result = run_policy(run, workdir, "  nofile: 4096\n  memlock: hard\n  stack: 64Mi\n"
                           "  nproc: 2048\n", "--", *SHOW)
    assert (result.returncode, result.stdout, result.stderr) == (
        0, seen(nofile=("4096", "4096"), memlock=("1024", "1024"), stack=("65536", "65536"),
                nproc=("2048", "4096")),
        as_line(host) +
        "rlimit-init: raised the soft memlock limit (RLIMIT_MEMLOCK, ulimit -l) from 64 KiB "
        "(65536 bytes, ulimit -l 64) to 1 MiB (1048576 bytes, ulimit -l 1024); hard limit 1 MiB "
        "(1048576 bytes, ulimit -l 1024)\n"
        "rlimit-init: raised the soft nofile limit (RLIMIT_NOFILE, ulimit -n) from 1024 to 4096; "
        "hard limit 4096\n"
        "rlimit-init: raised the soft nproc limit (RLIMIT_NPROC, ulimit -u) from 1024 to 2048; "
        "hard limit 4096\n"
        "rlimit-init: raised the soft stack limit (RLIMIT_STACK, ulimit -s) from 8 MiB (8388608 "
        "bytes, ulimit -s 8192) to 64 MiB (67108864 bytes, ulimit -s 65536); hard limit 64 MiB "
        "(67108864 bytes, ulimit -s 65536)\n")


def test_core_is_lowered_only_when_the_policy_says_lower(run: Runner, workdir: Path,
                                                        host: HostMemory) -> None:
    _, kept = run_policy(run, workdir, "  core: 0\n", "--", *SHOW)
    assert (kept.returncode, kept.stdout, kept.stderr) == (
        0, seen(),
        as_line(host) +
        "rlimit-init: left the soft core limit (RLIMIT_CORE, ulimit -c) at 1 MiB (1048576 bytes, "
        "ulimit -c 1024): it already covers the request 0 bytes (ulimit -c 0); hard limit 1 MiB "
        "(1048576 bytes, ulimit -c 1024)\n"
        "rlimit-init: warning: core: the request 0 bytes is below the inherited soft limit 1 MiB, "
        "which is kept; set limits.core.lower: true to lower it\n")
    _, lowered = run_policy(run, workdir, "  core:\n    request: 0\n    lower: true\n", "--",
                            *SHOW)
    assert (lowered.returncode, lowered.stdout, lowered.stderr) == (
        0, seen(core=("0", "1024")),
        as_line(host) +
        "rlimit-init: lowered the soft core limit (RLIMIT_CORE, ulimit -c) from 1 MiB (1048576 "
        "bytes, ulimit -c 1024) to 0 bytes (ulimit -c 0), as limits.core.lower asks; hard limit "
        "1 MiB (1048576 bytes, ulimit -c 1024)\n")


def test_hard_limit_meeting_the_minimum_is_granted_with_a_warning(
        run: Runner, workdir: Path, host: HostMemory) -> None:
    # Under Slurm (SLURM_JOB_ID), whatever layer this host is, for the fix that follows.
    _, result = run_policy(run, workdir, "  memlock:\n    request: unlimited\n"
                           "    minimum: 512Ki\n", "--", *SHOW, env={"SLURM_JOB_ID": "7"})
    assert (result.returncode, result.stdout) == (0, seen(memlock=("1024", "1024")))
    assert result.stderr.startswith(as_line(host))
    golden.check("rlimits/memlock-hard-limit-meets-the-minimum.txt",
                 result.stderr[len(as_line(host)):])


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
    report = parse_json(result.stdout)
    assert report["limits"] == [
        {"name": "core", "outcome": "lowered", "request": 0, "minimum": None,
         "soft_before": MIB, "soft_after": 0, "hard_before": MIB, "hard_after": MIB,
         "origin": f"limits.core in {path}", "blocker": None, "fix": None, "alternatives": [],
         "warnings": [],
         "message": "would lower the soft core limit (RLIMIT_CORE, ulimit -c) from 1 MiB "
                    "(1048576 bytes, ulimit -c 1024) to 0 bytes (ulimit -c 0), as "
                    "limits.core.lower asks; hard limit 1 MiB (1048576 bytes, ulimit -c 1024)"},
        {"name": "nofile", "outcome": "raised", "request": 4096, "minimum": None,
         "soft_before": 1024, "soft_after": 4096, "hard_before": 4096, "hard_after": 4096,
         "origin": f"limits.nofile in {path}", "blocker": None, "fix": None, "alternatives": [],
         "warnings": [],
         "message": "would raise the soft nofile limit (RLIMIT_NOFILE, ulimit -n) from 1024 to "
                    "4096; hard limit 4096"}]
    assert describe(MIB) == "1 MiB (1048576 bytes, ulimit -v 1024)"

# SPDX-License-Identifier: Apache-2.0
"""Percentages of the memory ceiling above 100% (issue 9 part 4), on the real binary in real
cgroup v1 memory cgroups under real rlimits set with prlimit: the grant is a share of the
ceiling like any other, up to the bound of 1000%, and a grant above the cgroup memory limit goes
through aboveCgroup's warn, allow and refuse like any other grant."""

from __future__ import annotations

from pathlib import Path

import pytest

from rlimit_json import parse as parse_json
from conftest import KUBERNETES, MemoryCgroup, Runner, marker_workload, policy, write_policy
from expected import (GIB, MIB, SHOW_LIMITS, UNLIMITED, describe, limits_seen, mem_total,
                      oom_warning, raised_summary)

PAGE = 4096


def cgroup_part(limit: int, source: str) -> str:
    return f"cgroup memory limit {describe(limit).split(' (')[0]} from {source}"


def quantity(value: int) -> str:
    """Bytes as the binary writes a Kubernetes quantity: the largest binary suffix that divides
    them exactly, else plain bytes."""
    for power, suffix in ((5, "Pi"), (4, "Ti"), (3, "Gi"), (2, "Mi"), (1, "Ki")):
        if value % 1024**power == 0:
            return f"{value // 1024**power}{suffix}"
    return str(value)


def run_in(run: Runner, cgroup: MemoryCgroup, args: list[str], **kwargs):
    return run(args, prefix=cgroup.join_prefix(), **kwargs)


@pytest.mark.sets_rlimit_as
@pytest.mark.parametrize("percent, expected", [
    ("150%", 1536 * MIB), ("100.01%", GIB + GIB // 10000), ("1000%", 10 * GIB)])
def test_a_share_above_the_cgroup_limit_is_granted_with_the_oom_warning(
        run: Runner, memory_cgroup, percent, expected) -> None:
    cgroup = memory_cgroup(GIB, None)
    source = cgroup.limit_file(cgroup.parent)
    result = run_in(run, cgroup, ["--as", percent, "--"] + SHOW_LIMITS,
                    as_limit=(64 * MIB, UNLIMITED))
    assert (result.returncode, result.stdout, result.stderr) == (
        0, limits_seen(expected, UNLIMITED),
        f"rlimit-init: {raised_summary(64 * MIB, expected, UNLIMITED, cgroup_part(GIB, source))}\n"
        f"rlimit-init: warning: {oom_warning(expected, GIB, source)}\n")


@pytest.mark.sets_rlimit_as
def test_above_cgroup_allow_grants_a_share_above_the_limit_silently(
        run: Runner, memory_cgroup, workdir: Path) -> None:
    cgroup = memory_cgroup(None, GIB)
    source = cgroup.limit_file(cgroup.leaf)
    path = write_policy(workdir, policy("150%", aboveCgroup="allow"))
    result = run_in(run, cgroup, ["-p", str(path), "--"] + SHOW_LIMITS,
                    as_limit=(64 * MIB, UNLIMITED))
    assert (result.returncode, result.stdout, result.stderr) == (
        0, limits_seen(1536 * MIB, UNLIMITED),
        f"rlimit-init: {raised_summary(64 * MIB, 1536 * MIB, UNLIMITED, cgroup_part(GIB, source))}"
        "\n")


@pytest.mark.sets_rlimit_as
def test_above_cgroup_refuse_refuses_a_share_above_the_limit_and_runs_nothing(
        run: Runner, memory_cgroup, workdir: Path) -> None:
    cgroup = memory_cgroup(None, GIB)
    source = cgroup.limit_file(cgroup.leaf)
    path = write_policy(workdir, policy("150%", aboveCgroup="refuse"))
    workload, marker = marker_workload(workdir)
    result = run_in(run, cgroup, ["-p", str(path)] + workload, as_limit=(64 * MIB, UNLIMITED),
                    env=KUBERNETES)
    # Raising resources.limits.memory cannot help: 150% of it grows with it.
    assert (result.returncode, result.stdout, result.stderr) == (
        77, "",
        f"rlimit-init: refused: granting {describe(1536 * MIB)} of address space would exceed "
        f"the cgroup memory limit {describe(GIB)}, and addressSpace.aboveCgroup is refuse\n"
        f"  asked:   addressSpace.request in {path} = 150% ({1536 * MIB} bytes)\n"
        f"  blocked: memory limit {describe(GIB)} from {source}\n"
        "  layer:   Kubernetes (KUBERNETES_SERVICE_HOST is set)\n"
        "  fix:     150% of the cgroup memory limit stays above it however high the limit is: "
        "set addressSpace.aboveCgroup to warn (or allow) to grant it, or lower the request to at "
        "most 100% (1Gi)\n")
    assert not marker.exists()
    # The fix, followed: the same policy with aboveCgroup: warn grants it.
    path = write_policy(workdir, policy("150%", aboveCgroup="warn"))
    result = run_in(run, cgroup, ["-p", str(path)] + workload, as_limit=(64 * MIB, UNLIMITED),
                    env=KUBERNETES)
    assert (result.returncode, result.stderr.splitlines()[1]) == (
        0, f"rlimit-init: warning: {oom_warning(1536 * MIB, GIB, source)}")
    assert marker.exists()


def memtotal_ceiling_cgroup(memory_cgroup, factor_percent: int) -> tuple[MemoryCgroup, int]:
    """A cgroup whose limit is `factor_percent` of MemTotal (above it), so that MemTotal is the
    memory ceiling; v1 keeps whole pages."""
    limit = mem_total() * factor_percent // 100 // PAGE * PAGE
    return memory_cgroup(None, limit), limit


@pytest.mark.sets_rlimit_as
def test_a_share_of_memtotal_below_the_cgroup_limit_is_not_above_it(
        run: Runner, memory_cgroup) -> None:
    cgroup, limit = memtotal_ceiling_cgroup(memory_cgroup, 200)
    seen = parse_json(run_in(run, cgroup, ["check", "-o", "json", "--as", "150%"],
                             as_limit=(64 * MIB, UNLIMITED)).stdout)
    granted = mem_total() * 15000 // 10000
    assert {key: seen[key] for key in ("outcome", "request_bytes", "soft_after",
                                       "memory_limit_bytes", "memory_ceiling_bytes",
                                       "memory_ceiling_source", "warnings")} == {
        "outcome": "raised", "request_bytes": granted, "soft_after": granted,
        "memory_limit_bytes": limit, "memory_ceiling_bytes": mem_total(),
        "memory_ceiling_source": "/proc/meminfo MemTotal", "warnings": []}


@pytest.mark.sets_rlimit_as
def test_a_share_of_memtotal_above_the_cgroup_limit_names_a_larger_limit(
        run: Runner, memory_cgroup, workdir: Path) -> None:
    cgroup, limit = memtotal_ceiling_cgroup(memory_cgroup, 120)
    path = write_policy(workdir, policy("150%", aboveCgroup="refuse"))
    seen = parse_json(run_in(run, cgroup, ["check", "-o", "json", "-p", str(path)],
                             as_limit=(64 * MIB, UNLIMITED), env=KUBERNETES).stdout)
    granted = mem_total() * 15000 // 10000
    # MemTotal is the ceiling: a memory limit at least the grant does let it through.
    assert {key: seen[key] for key in ("outcome", "request_bytes", "blocker", "fix")} == {
        "outcome": "refused", "request_bytes": granted, "blocker": "above_cgroup",
        "fix": f"raise resources.limits.memory of this container to at least "
               f"{quantity(granted)} (a LimitRange or ResourceQuota in the namespace may cap "
               "it)"}


@pytest.mark.sets_rlimit_as
def test_a_minimum_above_100_percent_is_met_by_the_hard_limit(
        run: Runner, memory_cgroup, workdir: Path) -> None:
    cgroup = memory_cgroup(GIB, None)
    source = cgroup.limit_file(cgroup.parent)
    path = write_policy(workdir, policy("300%", minimum="150%"))
    seen = parse_json(run_in(run, cgroup, ["check", "-o", "json", "-p", str(path)],
                             as_limit=(64 * MIB, 2 * GIB)).stdout)
    assert {key: seen[key] for key in ("outcome", "request_bytes", "minimum_bytes",
                                       "soft_after", "hard_after", "warnings")} == {
        "outcome": "partial", "request_bytes": 3 * GIB, "minimum_bytes": 1536 * MIB,
        "soft_after": 2 * GIB, "hard_after": 2 * GIB,
        "warnings": ["granted the hard limit 2 GiB, less than the 3 GiB requested; the minimum "
                     "1.5 GiB is met", oom_warning(2 * GIB, GIB, source)]}


@pytest.mark.parametrize("percent", ["1000.01%", "1001%", "1500%"])
def test_a_share_above_the_bound_is_a_bad_policy(run: Runner, workdir: Path,
                                                 percent: str) -> None:
    path = write_policy(workdir, policy(percent))
    workload, marker = marker_workload(workdir)
    result = run(["-p", str(path)] + workload)
    assert (result.returncode, result.stdout, result.stderr) == (
        78, "",
        f"rlimit-init: invalid policy: {path}:3:12: addressSpace.request: invalid percentage "
        f'"{percent}": must be at most 1000% of the memory ceiling; for more, give a quantity or '
        '"unlimited"\n')
    assert not marker.exists()

# SPDX-License-Identifier: Apache-2.0
"""Percentages of the memory ceiling above 100% (issue 9 part 4), on the real binary in real
cgroup v1 memory cgroups under real rlimits set with prlimit: the grant is a share of the
ceiling like any other, up to the bound of 1000%, and a grant above the cgroup memory limit goes
through aboveCgroup's warn, allow and refuse like any other grant. What the binary says is
compared with tests/fixtures/golden/percentages/."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import golden
from rlimit_json import parse as parse_json
from chart_render import quantity_bytes
from conftest import KUBERNETES, MemoryCgroup, Runner, marker_workload, policy, write_policy
from expected import GIB, MIB, SHOW_LIMITS, UNLIMITED, limits_seen, mem_total

PAGE = 4096


def run_values(cgroup: MemoryCgroup, path: Path | None = None) -> dict[str, str]:
    """The test's cgroups and policy file, as placeholders (the leaf first: it is below)."""
    found = {str(cgroup.leaf): "{leaf}", str(cgroup.parent): "{parent}"}
    return {str(path): "{policy}", **found} if path is not None else found


def run_in(run: Runner, cgroup: MemoryCgroup, args: list[str], **kwargs):
    return run(args, prefix=cgroup.join_prefix(), **kwargs)


@pytest.mark.sets_rlimit_as
@pytest.mark.parametrize("percent, expected", [
    ("150%", 1536 * MIB), ("100.01%", GIB + GIB // 10000), ("1000%", 10 * GIB)])
def test_a_share_above_the_cgroup_limit_is_granted_with_the_oom_warning(
        run: Runner, memory_cgroup, percent, expected) -> None:
    cgroup = memory_cgroup(GIB, None)
    result = run_in(run, cgroup, ["--as", percent, "--"] + SHOW_LIMITS,
                    as_limit=(64 * MIB, UNLIMITED))
    assert (result.returncode, result.stdout) == (0, limits_seen(expected, UNLIMITED))
    golden.check(f"percentages/share-above-the-limit-{percent}.txt", result.stderr,
                 run_values(cgroup))


@pytest.mark.sets_rlimit_as
def test_above_cgroup_allow_grants_a_share_above_the_limit_silently(
        run: Runner, memory_cgroup, workdir: Path) -> None:
    cgroup = memory_cgroup(None, GIB)
    path = write_policy(workdir, policy("150%", aboveCgroup="allow"))
    result = run_in(run, cgroup, ["-p", str(path), "--"] + SHOW_LIMITS,
                    as_limit=(64 * MIB, UNLIMITED))
    assert (result.returncode, result.stdout) == (0, limits_seen(1536 * MIB, UNLIMITED))
    golden.check("percentages/above-cgroup-allow-silent.txt", result.stderr, run_values(cgroup))


@pytest.mark.sets_rlimit_as
def test_above_cgroup_refuse_refuses_a_share_above_the_limit_and_runs_nothing(
        run: Runner, memory_cgroup, workdir: Path) -> None:
    cgroup = memory_cgroup(None, GIB)
    path = write_policy(workdir, policy("150%", aboveCgroup="refuse"))
    workload, marker = marker_workload(workdir)
    result = run_in(run, cgroup, ["-p", str(path)] + workload, as_limit=(64 * MIB, UNLIMITED),
                    env=KUBERNETES)
    # Raising resources.limits.memory cannot help: 150% of it grows with it.
    assert (result.returncode, result.stdout) == (77, "")
    golden.check("percentages/above-cgroup-refuse-refused.txt", result.stderr,
                 run_values(cgroup, path))
    assert not marker.exists()
    # The fix, followed: the same policy with aboveCgroup: warn grants it.
    path = write_policy(workdir, policy("150%", aboveCgroup="warn"))
    result = run_in(run, cgroup, ["-p", str(path)] + workload, as_limit=(64 * MIB, UNLIMITED),
                    env=KUBERNETES)
    assert result.returncode == 0
    golden.check("percentages/above-cgroup-warn-granted.txt", result.stderr,
                 run_values(cgroup, path))
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
    assert {key: seen[key] for key in ("outcome", "request_bytes", "blocker")} == {
        "outcome": "refused", "request_bytes": granted, "blocker": "above_cgroup"}
    # The limit the fix names, read back as Kubernetes reads it, lets the grant through.
    named = re.search(r"to at least (\S+) ", seen["fix"])
    assert named and quantity_bytes(named[1]) == granted, seen["fix"]
    golden.check("percentages/share-of-memtotal-above-the-limit-fix.txt",
                 seen["fix"].replace(named[1], "{quantity}") + "\n")


@pytest.mark.sets_rlimit_as
def test_a_minimum_above_100_percent_is_met_by_the_hard_limit(
        run: Runner, memory_cgroup, workdir: Path) -> None:
    cgroup = memory_cgroup(GIB, None)
    path = write_policy(workdir, policy("300%", minimum="150%"))
    seen = parse_json(run_in(run, cgroup, ["check", "-o", "json", "-p", str(path)],
                             as_limit=(64 * MIB, 2 * GIB)).stdout)
    assert {key: seen[key] for key in ("outcome", "request_bytes", "minimum_bytes",
                                       "soft_after", "hard_after")} == {
        "outcome": "partial", "request_bytes": 3 * GIB, "minimum_bytes": 1536 * MIB,
        "soft_after": 2 * GIB, "hard_after": 2 * GIB}
    golden.check_json("percentages/minimum-above-100-percent-warnings.json", seen["warnings"],
                      run_values(cgroup))


@pytest.mark.parametrize("percent", ["1000.01%", "1001%", "1500%"])
def test_a_share_above_the_bound_is_a_bad_policy(run: Runner, workdir: Path,
                                                 percent: str) -> None:
    path = write_policy(workdir, policy(percent))
    workload, marker = marker_workload(workdir)
    result = run(["-p", str(path)] + workload)
    assert (result.returncode, result.stdout) == (78, "")
    golden.check(f"percentages/share-above-the-bound-{percent}.txt", result.stderr,
                 {str(path): "{policy}"})
    assert not marker.exists()

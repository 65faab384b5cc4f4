# SPDX-License-Identifier: Apache-2.0
"""What rlimit-init should report inside the test VM, worked out on the host from what the VM's
cases set up (cgroup files, limits) and from the VM's own facts (MemTotal, CommitLimit), which
the case FACTS reads at the start of every boot."""

from __future__ import annotations

from dataclasses import dataclass

from expected import (KIB, UNLIMITED, HostMemory, describe, inspect_limit_lines,
                      inspect_limits_json)
from vm_machine import CaseResult, VmCase

CGROUP_ROOT = "/sys/fs/cgroup"
MEMINFO_SOURCE = "/proc/meminfo MemTotal"
SHELL_LAYER = ("shell", "no container, scheduler or service manager detected")

# Runs first (cases run in name order). Each fact is a file the host reads back.
FACTS = VmCase("00-facts", """
cat /proc/self/cgroup >"$OUT/cgroup"
grep -E ' - cgroup2? ' /proc/self/mountinfo | cut -d' ' -f4,5,9 >"$OUT/cgroup_mounts"
cat "$CG/cgroup.controllers" >"$OUT/controllers"
cat "$CG/cgroup.subtree_control" >"$OUT/subtree_control"
grep '^CapEff:' /proc/self/status | cut -f2 >"$OUT/cap_eff"
tr -s ' ' <"/proc/self/uid_map" >"$OUT/uid_map"
cat /proc/sys/vm/overcommit_memory >"$OUT/overcommit_memory"
cat /proc/meminfo >"$OUT/meminfo"
uname -r >"$OUT/release"
""")


def meminfo(text: str) -> dict[str, int]:
    """/proc/meminfo in bytes (every "kB" value times 1024)."""
    values = {}
    for line in text.splitlines():
        key, _, rest = line.partition(":")
        fields = rest.split()
        values[key] = int(fields[0]) * (KIB if fields[1:] == ["kB"] else 1)
    return values


@dataclass(frozen=True)
class VmFacts:
    cgroup: str
    cgroup_mounts: str
    controllers: list[str]
    subtree_control: list[str]
    cap_eff: int
    uid_map: str
    overcommit_memory: int
    mem_total: int
    commit_limit: int
    release: str


def facts_of(result: CaseResult) -> VmFacts:
    assert result.status == 0, result.stderr
    files = result.files
    info = meminfo(files["meminfo"])
    return VmFacts(files["cgroup"], files["cgroup_mounts"], files["controllers"].split(),
                   files["subtree_control"].split(), int(files["cap_eff"], 16),
                   files["uid_map"].strip(), int(files["overcommit_memory"]),
                   info["MemTotal"], info["CommitLimit"], files["release"].strip())


def memory(facts: VmFacts, path: str, limit: int | str = UNLIMITED, source: str = "",
           directory: str | None = None) -> HostMemory:
    """What rlimit-init should find for a process in cgroup PATH whose binding memory.max is
    LIMIT, read from SOURCE (a cgroup directory name relative to /sys/fs/cgroup)."""
    if directory is None:
        directory = CGROUP_ROOT + ("" if path == "/" else path)
    if source:
        source = f"{CGROUP_ROOT}{source}/memory.max"
    return HostMemory("v2", path, directory, limit, source, facts.mem_total)


def unknown_memory(facts: VmFacts, path: str, reason: str) -> HostMemory:
    """What rlimit-init should find for a process in cgroup PATH that no mount shows."""
    return HostMemory("v2", path, "", None, "", facts.mem_total, reason)


def check_json(memory_seen: HostMemory, outcome: str, request: int | str,
               before: tuple[int | str, int | str], after: tuple[int | str, int | str],
               message: str, minimum: int | str | None = None, blocker: str | None = None,
               fix: str | None = None, alternatives: tuple[str, ...] = (),
               warnings: tuple[str, ...] = (), layer: str = SHELL_LAYER[0]) -> dict:
    """The whole object `check -o json` prints."""
    return {
        "outcome": outcome, "request_bytes": request, "minimum_bytes": minimum,
        "soft_before": before[0], "soft_after": after[0],
        "hard_before": before[1], "hard_after": after[1],
        "memory_limit_bytes": memory_seen.limit, "memory_limit_source": memory_seen.limit_source,
        "memory_limit_unknown": memory_seen.unknown,
        "memory_ceiling_bytes": memory_seen.ceiling,
        "memory_ceiling_source": memory_seen.ceiling_source,
        "cgroup_version": "v2", "layer": layer, "blocker": blocker, "fix": fix,
        "alternatives": list(alternatives),
        # The other rlimits a policy's limits section sets; these cases set none.
        "limits": [], "warnings": list(warnings), "message": message,
    }


@dataclass(frozen=True)
class Inspected:
    """Everything `inspect` shows, as the VM case set it up."""
    memory_seen: HostMemory
    facts: VmFacts
    as_limit: tuple[int | str, int | str]
    data_limit: tuple[int | str, int | str]
    high: int | str
    high_source: str
    swap_max: int | str
    mem_available: int
    committed_as: int
    limits: dict  # every rlimit by prlimit's name: (soft, hard)
    origins: dict  # where inspect should say each came from
    notes: tuple[str, ...] = ()


def inspect_json(i: Inspected) -> dict:
    m = i.memory_seen
    return {
        "as_soft": i.as_limit[0], "as_hard": i.as_limit[1],
        "data_soft": i.data_limit[0], "data_hard": i.data_limit[1],
        "may_raise_hard": True, "cgroup_version": "v2", "cgroup_path": m.cgroup_path,
        "cgroup_directory": m.directory, "memory_limit_bytes": m.limit,
        "memory_limit_source": m.limit_source, "memory_limit_unknown": m.unknown,
        "memory_high_bytes": i.high,
        "memory_high_source": i.high_source, "swap_max_bytes": i.swap_max,
        "mem_total_bytes": i.facts.mem_total, "mem_available_bytes": i.mem_available,
        "overcommit_memory": i.facts.overcommit_memory,
        "commit_limit_bytes": i.facts.commit_limit, "committed_as_bytes": i.committed_as,
        "memory_ceiling_bytes": m.ceiling, "memory_ceiling_source": m.ceiling_source,
        "layer": SHELL_LAYER[0], "layer_evidence": SHELL_LAYER[1], "notes": list(i.notes),
        "limits": inspect_limits_json(i.limits, i.origins),
    }


def _from(source: str) -> str:
    return f" from {source}" if source else ""


def inspect_text(i: Inspected) -> str:
    m = i.memory_seen
    lines = [
        f"address space (RLIMIT_AS): soft {describe(i.as_limit[0])}, hard {describe(i.as_limit[1])}",
        f"data (RLIMIT_DATA):        soft {describe(i.data_limit[0])}, hard {describe(i.data_limit[1])}",
        "may raise hard limit:      yes (CAP_SYS_RESOURCE in the initial user namespace)",
        f"cgroup:                    v2 {m.cgroup_path} at {m.directory or '-'}",
        (f"cgroup memory limit:       unknown ({m.unknown})" if m.unknown is not None
         else f"cgroup memory limit:       {describe(m.limit)}{_from(m.limit_source)}"),
        f"cgroup memory.high:        {describe(i.high)}{_from(i.high_source)}",
        f"cgroup swap limit:         {describe(i.swap_max)}",
        f"MemTotal:                  {describe(i.facts.mem_total)}",
        f"MemAvailable:              {describe(i.mem_available)}",
        f"vm.overcommit_memory:      {i.facts.overcommit_memory}",
        f"CommitLimit:               {describe(i.facts.commit_limit)}",
        f"Committed_AS:              {describe(i.committed_as)}",
        ("memory ceiling:            unknown (the cgroup memory limit is unknown)"
         if m.ceiling is None else
         f"memory ceiling:            {describe(m.ceiling)}{_from(m.ceiling_source)}"),
        f"layer:                     {SHELL_LAYER[0]} ({SHELL_LAYER[1]})",
    ] + [f"note: {note}" for note in i.notes] + inspect_limit_lines(i.limits, i.origins)
    return "\n".join(lines) + "\n"


# MemAvailable and Committed_AS move with every process the VM starts, so they cannot be
# known exactly: the value inspect read must lie between what /proc/meminfo said just before
# and just after it ran, give or take this much (a few pages move between reads; seen: 40 KiB).
VOLATILE_SLACK = 1024 * KIB


def within_snapshots(key: str, value: int, before: str, after: str) -> bool:
    low, high = sorted((meminfo(before)[key], meminfo(after)[key]))
    return low - VOLATILE_SLACK <= value <= high + VOLATILE_SLACK

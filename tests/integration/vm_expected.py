# SPDX-License-Identifier: Apache-2.0
"""The test VM's own facts (its cgroups, capabilities, MemTotal, CommitLimit), which the case
FACTS reads at the start of every boot, and the placeholders that put them into golden files:
what rlimit-init says in the VM is compared with tests/fixtures/golden/vm/."""

from __future__ import annotations

from dataclasses import dataclass

import golden
from expected import KIB
from vm_machine import CaseResult, VmCase

CGROUP_ROOT = "/sys/fs/cgroup"

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


def placeholders(facts: VmFacts) -> dict:
    """The VM's MemTotal, in words and in bytes, as placeholders: its kernel's, not the binary's."""
    return {golden.MEM_TOTAL: "{mem_total}", str(facts.mem_total): "{mem_total_bytes}"}


# MemAvailable and Committed_AS move with every process the VM starts, so they cannot be
# known exactly: the value inspect read must lie between what /proc/meminfo said just before
# and just after it ran, give or take this much (a few pages move between reads; seen: 40 KiB).
VOLATILE_SLACK = 1024 * KIB


def within_snapshots(key: str, value: int, before: str, after: str) -> bool:
    low, high = sorted((meminfo(before)[key], meminfo(after)[key]))
    return low - VOLATILE_SLACK <= value <= high + VOLATILE_SLACK

# SPDX-License-Identifier: Apache-2.0
"""`inspect` on a real cgroup v2 kernel, compared whole, in text and JSON: the binding
memory.max, memory.high (the lowest over the hierarchy, here the parent's), the leaf's
memory.swap.max, the inherited RLIMIT_AS and RLIMIT_DATA, CAP_SYS_RESOURCE, the VM's
/proc/meminfo, and every rlimit with where it came from: the VM's /init is the kernel's first
process, so every limit but the two the case sets is the kernel's own (INIT_RLIMITS)."""

from __future__ import annotations

import re

import pytest

from rlimit_json import parse as parse_json
from expected import (GIB, KERNEL_ORIGIN, MIB, SHELL_ORIGIN, UNLIMITED, kernel_init_rlimits,
                      proc_limits)
from vm_expected import (CGROUP_ROOT, FACTS, Inspected, facts_of, inspect_json, inspect_text,
                         memory, within_snapshots)
from vm_machine import VM_BINARY, CaseResult, VmCase, VmRun, vm  # noqa: F401 (vm is a fixture)

pytestmark = pytest.mark.static_binary

AS_LIMIT = (64 * MIB, GIB)
DATA_LIMIT = (512 * MIB, UNLIMITED)
PARENT_MAX, PARENT_HIGH = 320 * MIB, 96 * MIB
LEAF_MAX, LEAF_HIGH, LEAF_SWAP = 256 * MIB, 160 * MIB, 32 * MIB


def case(name: str, output: str) -> VmCase:
    """inspect OUTPUT in <name>/job, between two snapshots of /proc/meminfo."""
    return VmCase(name, f"cg_make /{name} memory.max={PARENT_MAX} memory.high={PARENT_HIGH}\n"
                        f"cg_make /{name}/job memory.max={LEAF_MAX} memory.high={LEAF_HIGH} "
                        f"memory.swap.max={LEAF_SWAP}\n"
                        f"ulimit -Sv {AS_LIMIT[0] // 1024} && ulimit -Hv {AS_LIMIT[1] // 1024}"
                        f" && ulimit -Sd {DATA_LIMIT[0] // 1024}\n"
                        "cat /proc/self/limits >\"$OUT/limits\"\n"
                        "cat /proc/sys/kernel/threads-max >\"$OUT/threads_max\"\n"
                        "cat /proc/meminfo >\"$OUT/before\"\n"
                        f"cg_run /{name}/job {VM_BINARY} inspect -o {output}\n"
                        "cat /proc/meminfo >\"$OUT/after\"\n")


CASES = [case("inspect-json", "json"), case("inspect-text", "text")]


def vm_limits(vm: VmRun, name: str) -> dict:
    """The kernel's limits for its first process, but for the two the case sets."""
    threads_max = int(vm.case(name).files["threads_max"])
    return {**kernel_init_rlimits(threads_max), "as": AS_LIMIT, "data": DATA_LIMIT}


def expected(vm: VmRun, name: str, mem_available: int, committed_as: int) -> Inspected:
    facts = facts_of(vm.case(FACTS.name))
    origins = {limit: KERNEL_ORIGIN for limit in vm_limits(vm, name)}
    origins.update({"as": SHELL_ORIGIN, "data": SHELL_ORIGIN})
    return Inspected(memory(facts, f"/{name}/job", LEAF_MAX, f"/{name}/job"), facts, AS_LIMIT,
                     DATA_LIMIT, PARENT_HIGH, f"{CGROUP_ROOT}/{name}/memory.high", LEAF_SWAP,
                     mem_available, committed_as, vm_limits(vm, name), origins)


@pytest.mark.parametrize("name", ["inspect-json", "inspect-text"])
def test_the_vms_first_process_has_the_kernels_limits(vm: VmRun, name: str) -> None:
    # What inspect calls "the kernel's default", read from the kernel's source, against what a
    # real kernel gives the process inspect runs as.
    assert proc_limits(vm.case(name).files["limits"]) == vm_limits(vm, name)


def check_volatile(result: CaseResult, key: str, value: int) -> None:
    assert within_snapshots(key, value, result.files["before"], result.files["after"]), (
        key, value, result.files)


def test_inspect_json_whole(vm: VmRun) -> None:
    result = vm.case("inspect-json")
    assert (result.status, result.stderr) == (0, "")
    seen = parse_json(result.stdout)
    check_volatile(result, "MemAvailable", seen["mem_available_bytes"])
    check_volatile(result, "Committed_AS", seen["committed_as_bytes"])
    assert seen == inspect_json(expected(vm, "inspect-json", seen["mem_available_bytes"],
                                         seen["committed_as_bytes"]))


def test_inspect_text_whole(vm: VmRun) -> None:
    result = vm.case("inspect-text")
    assert (result.status, result.stderr) == (0, "")
    volatile = {key: int(value) for key, value in re.findall(
        r"^(MemAvailable|Committed_AS): .*\((\d+) bytes", result.stdout, re.MULTILINE)}
    assert set(volatile) == {"MemAvailable", "Committed_AS"}, result.stdout
    for key, value in volatile.items():
        check_volatile(result, key, value)
    assert result.stdout == inspect_text(expected(vm, "inspect-text", volatile["MemAvailable"],
                                                  volatile["Committed_AS"]))

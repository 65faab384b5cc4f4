# SPDX-License-Identifier: Apache-2.0
"""`inspect` on a real cgroup v2 kernel, compared whole, in text and JSON: the binding
memory.max, memory.high (the lowest over the hierarchy, here the parent's), the leaf's
memory.swap.max, the inherited RLIMIT_AS and RLIMIT_DATA, CAP_SYS_RESOURCE, the VM's
/proc/meminfo, and every rlimit with where it came from: the VM's /init is the kernel's first
process, so every limit but the two the case sets is the kernel's own (INIT_RLIMITS). The values
are checked against what the case set up and the kernel's source; the words against golden
files under tests/fixtures/golden/vm/, with the VM's memory figures as placeholders."""

from __future__ import annotations

import re

import pytest

import golden
from rlimit_json import parse as parse_json
from expected import GIB, MIB, UNLIMITED, kernel_init_rlimits, proc_limits
from vm_expected import FACTS, facts_of, within_snapshots
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


@pytest.mark.parametrize("name", ["inspect-json", "inspect-text"])
def test_the_vms_first_process_has_the_kernels_limits(vm: VmRun, name: str) -> None:
    # What inspect calls "the kernel's default", read from the kernel's source, against what a
    # real kernel gives the process inspect runs as.
    assert proc_limits(vm.case(name).files["limits"]) == vm_limits(vm, name)


def check_volatile(result: CaseResult, key: str, value: int) -> None:
    assert within_snapshots(key, value, result.files["before"], result.files["after"]), (
        key, value, result.files)


# The VM's memory figures, which the text says in words and bytes: the lines' values become
# placeholders (the JSON's are checked against the VM's /proc/meminfo, the text's against it
# through the bytes they name).
MEMINFO_LINES = re.compile(r"(?m)^(MemTotal|MemAvailable|CommitLimit|Committed_AS):( +).*$")


def test_inspect_json_whole(vm: VmRun) -> None:
    facts = facts_of(vm.case(FACTS.name))
    result = vm.case("inspect-json")
    assert (result.status, result.stderr) == (0, "")
    seen = parse_json(result.stdout)
    check_volatile(result, "MemAvailable", seen["mem_available_bytes"])
    check_volatile(result, "Committed_AS", seen["committed_as_bytes"])
    assert (seen["mem_total_bytes"], seen["commit_limit_bytes"],
            seen["overcommit_memory"]) == (facts.mem_total, facts.commit_limit,
                                           facts.overcommit_memory)
    assert {limit["name"]: (limit["soft"], limit["hard"]) for limit in seen["limits"]} == \
        vm_limits(vm, "inspect-json")
    # Every limit but the two the case's shell set is the kernel's own (the words: the golden).
    assert {limit["name"]: limit["kernel_default"] for limit in seen["limits"]} == {
        name: name not in ("as", "data") for name in vm_limits(vm, "inspect-json")}
    assert (seen["as_soft"], seen["as_hard"], seen["data_soft"], seen["data_hard"]) == (
        *AS_LIMIT, *DATA_LIMIT)
    assert (seen["memory_limit_bytes"], seen["memory_high_bytes"], seen["swap_max_bytes"]) == (
        LEAF_MAX, PARENT_HIGH, LEAF_SWAP)
    for key in ("mem_total_bytes", "mem_available_bytes", "commit_limit_bytes",
                "committed_as_bytes"):
        seen[key] = "{" + key + "}"
    half = vm_limits(vm, "inspect-json")["nproc"][0]
    for limit in seen["limits"]:
        if limit["name"] in ("nproc", "sigpending"):
            limit["soft"] = limit["hard"] = "{threads_max / 2}" if limit["soft"] == half else \
                limit["soft"]
    golden.check_json("vm/inspect.json", seen)


def test_inspect_text_whole(vm: VmRun) -> None:
    facts = facts_of(vm.case(FACTS.name))
    result = vm.case("inspect-text")
    assert (result.status, result.stderr) == (0, "")
    said = {key: int(value) for key, value in re.findall(
        r"^(MemTotal|MemAvailable|CommitLimit|Committed_AS): .*\((\d+) bytes", result.stdout,
        re.MULTILINE)}
    assert set(said) == {"MemTotal", "MemAvailable", "CommitLimit", "Committed_AS"}, result.stdout
    for key in ("MemAvailable", "Committed_AS"):
        check_volatile(result, key, said[key])
    assert (said["MemTotal"], said["CommitLimit"]) == (facts.mem_total, facts.commit_limit)
    half = vm_limits(vm, "inspect-text")["nproc"][0]
    golden.check("vm/inspect.txt", result.stdout, {
        MEMINFO_LINES: r"\1:\2{\1}",
        re.compile(rf"(?m)^(  (?:nproc|sigpending): +soft) {half}, hard {half};"):
            r"\1 {threads_max / 2}, hard {threads_max / 2};"})

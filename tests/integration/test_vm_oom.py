# SPDX-License-Identifier: Apache-2.0
"""Why an address-space grant above memory.max is a warning: in the VM, the same job (vmhelper
alloc, which mallocs and touches 128 MiB as an interpreter would) is OOM-killed by the kernel
when rlimit-init grants it more address space than its cgroup's 64 MiB memory.max, and fails
its allocation cleanly, the MemoryError a Python job could catch, under a grant below it."""

from __future__ import annotations

import pytest

import golden
from expected import MIB
from vm_expected import CGROUP_ROOT, FACTS, facts_of, placeholders
from vm_machine import VM_BINARY, VM_HELPER, VmCase, VmRun, vm  # noqa: F401 (vm is a fixture)

pytestmark = pytest.mark.static_binary

SOFT = 16 * MIB  # inherited soft RLIMIT_AS, hard unlimited
MEMORY_MAX = 64 * MIB
JOB = 128 * MIB
ABOVE, BELOW = 256 * MIB, 48 * MIB  # the two grants


def case(name: str, grant: int, memory_max: int | str) -> VmCase:
    """Runs the job through rlimit-init --as GRANT in a cgroup with MEMORY_MAX and no swap,
    then prints how it ended and how many OOM kills the cgroup saw."""
    return VmCase(name, f"cg_make /{name} memory.max={memory_max} memory.swap.max=0\n"
                        f"ulimit -Sv {SOFT // 1024}\n"
                        f"cg_run /{name} {VM_BINARY} --as {grant // MIB}Mi -- "
                        f"{VM_HELPER} alloc {JOB}\n"
                        "echo \"exit status $?\"\n"
                        f"grep '^oom_kill ' {CGROUP_ROOT}/{name}/memory.events\n")


CASES = [
    case("oom-grant-above-memory-max", ABOVE, MEMORY_MAX),
    case("oom-grant-below-memory-max", BELOW, MEMORY_MAX),
    # The control: without memory.max the VM has the memory, so the job itself is sound.
    case("oom-no-memory-max", ABOVE, "max"),
]


def check_said(vm: VmRun, name: str, said: str) -> None:
    """What rlimit-init said on stderr in case NAME, against vm/NAME.txt."""
    golden.check(f"vm/{name}.txt", said, placeholders(facts_of(vm.case(FACTS.name))))


def test_grant_above_memory_max_gets_the_job_oom_killed_as_warned(vm: VmRun) -> None:
    name = "oom-grant-above-memory-max"
    result = vm.case(name)
    assert (result.status, result.stdout) == (
        0,
        # 137: killed by SIGKILL, which the OOM killer sends; the cgroup counted it.
        "exit status 137\noom_kill 1\n")
    # The case's shell reports the kill of its child after rlimit-init's lines.
    assert result.stderr.endswith("\nKilled\n"), result.stderr
    check_said(vm, name, result.stderr[:-len("Killed\n")])


def test_grant_below_memory_max_gets_a_clean_allocation_failure(vm: VmRun) -> None:
    name = "oom-grant-below-memory-max"
    result = vm.case(name)
    assert (result.status, result.stdout) == (
        0, f"allocation of {JOB} failed: Cannot allocate memory\nexit status 1\noom_kill 0\n")
    check_said(vm, name, result.stderr)


def test_the_job_fits_the_vm_without_memory_max(vm: VmRun) -> None:
    name = "oom-no-memory-max"
    result = vm.case(name)
    assert (result.status, result.stdout) == (0, f"allocated {JOB}\nexit status 0\noom_kill 0\n")
    check_said(vm, name, result.stderr)

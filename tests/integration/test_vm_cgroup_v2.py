# SPDX-License-Identifier: Apache-2.0
"""cgroup v2 for real: rlimit-init in a VM whose only cgroup hierarchy is cgroup2 with the
memory controller (this host is hybrid, memory on v1), in cgroups its cases create. Each test
reads back what `rlimit-init check -o json` said in one case, checks the values the case set up
and compares the whole object with its golden file under tests/fixtures/golden/vm/."""

from __future__ import annotations


import pytest

import golden
from rlimit_json import parse as parse_json
from expected import MIB, UNLIMITED
from vm_expected import CGROUP_ROOT, FACTS, facts_of, placeholders
from vm_machine import VM_BINARY, VmCase, VmRun, vm  # noqa: F401 (vm is a fixture)

pytestmark = pytest.mark.static_binary

CAP_SYS_RESOURCE = 24
SOFT = 64 * MIB  # every case inherits this soft RLIMIT_AS (hard unlimited)
REQUEST = 128 * MIB
LEAF_MAX = 256 * MIB
PARENT_MAX = 192 * MIB
NAMESPACE_PARENT_MAX = 160 * MIB
REQUIRE_BEFORE, REQUIRE = 128 * MIB, 256 * MIB


def check(cgroup: str, request: str = "128Mi", prefix: str = "") -> str:
    """Runs `check --as REQUEST -o json` in CGROUP under the inherited soft limit."""
    return (f"ulimit -Sv {SOFT // 1024}\n"
            f"cg_run {cgroup} {prefix}{VM_BINARY} check --as {request} -o json\n")


CASES = [
    VmCase("v2-leaf-memory-max", f"cg_make /v2-leaf memory.max={LEAF_MAX}\n" + check("/v2-leaf")),
    VmCase("v2-parent-binds", f"cg_make /v2-parent memory.max={PARENT_MAX}\n"
                              "cg_make /v2-parent/job memory.max=max\n"
                              + check("/v2-parent/job", request="50%")),
    VmCase("v2-max-everywhere", "cg_make /v2-max memory.max=max\n"
                                "cg_make /v2-max/job memory.max=max\n" + check("/v2-max/job")),
    # A container's view: its own cgroup namespace (vmhelper cgroupns is `unshare -C`) and its
    # own cgroup2 mount, which shows the namespace's root, the job's cgroup, as /.
    VmCase("v2-cgroupns-own-mount",
           f"cg_make /v2-ns memory.max={NAMESPACE_PARENT_MAX}\n"
           "cg_make /v2-ns/job memory.max=max\n"
           + check("/v2-ns/job", prefix="unshare -m vmhelper cgroupns sh -c "
                   "'umount /sys/fs/cgroup && mount -t cgroup2 cgroup2 /sys/fs/cgroup && "
                   "exec \"$@\"' sh ")),
    # memory.require above a parent's limit: refused, then the fix it names is followed as
    # root (written to the parent's memory.max, not the leaf's) and the job runs.
    VmCase("v2-require-fix-followed",
           f"cg_make /v2-require memory.max={REQUIRE_BEFORE}\n"
           "cg_make /v2-require/job memory.max=max\n"
           "cat >policy.yaml <<'EOF'\n"
           "apiVersion: rlimit-init/v1\naddressSpace:\n  request: 128Mi\n"
           f"memory:\n  require: {REQUIRE // MIB}Mi\nEOF\n"
           f"ulimit -Sv {SOFT // 1024}\n"
           f"cg_run /v2-require/job {VM_BINARY} -p policy.yaml -- true 2>refusal\n"
           "echo \"exit status $?\"\n"
           "cat refusal >&2\n"
           "fix=$(sed -n 's/^  fix:     as root, write \\([0-9]*\\) or more to \\(.*\\), or "
           "start the job outside that cgroup$/echo \\1 >\\2/p' refusal)\n"
           "echo \"following: $fix\"\n"
           "eval \"$fix\"\n"
           f"cg_run /v2-require/job {VM_BINARY} -p policy.yaml -- true\n"
           "echo \"exit status $?\"\n"),
    # `unshare -C` alone: the host's mount stays, and its root lies outside the namespace.
    VmCase("v2-cgroupns-host-mount",
           f"cg_make /v2-ns2 memory.max={NAMESPACE_PARENT_MAX}\n"
           "cg_make /v2-ns2/job memory.max=max\n"
           + check("/v2-ns2/job", prefix="vmhelper cgroupns ")),
    # automaxprocs' "untranslatable" cgroup: a bind mount of the sibling /v2-unknown/a takes
    # the place of the cgroup2 mount while the job sits in /v2-unknown/b, whose memory.max
    # binds. aboveCgroup: refuse must not pass on a guess.
    VmCase("v2-bind-mount-of-a-sibling",
           "cg_make /v2-unknown/a\n"
           f"cg_make /v2-unknown/b memory.max={NAMESPACE_PARENT_MAX}\n"
           "cat >policy.yaml <<'EOF'\n"
           "apiVersion: rlimit-init/v1\naddressSpace:\n  request: 128Mi\n  aboveCgroup: refuse\n"
           "EOF\n"
           "mkdir stage\n"
           f"ulimit -Sv {SOFT // 1024}\n"
           f"cg_run /v2-unknown/b unshare -m sh -c 'mount -o bind {CGROUP_ROOT}/v2-unknown/a "
           f"stage && umount -l {CGROUP_ROOT} && mount -o move stage {CGROUP_ROOT} && grep \" - cgroup2 \" /proc/self/mountinfo "
           "| cut -d\" \" -f4,5 >&2 && exec \"$@\"' sh "
           f"{VM_BINARY} check -p policy.yaml -o json\n"),
]


def seen(vm: VmRun, name: str) -> dict:
    result = vm.case(name)
    assert (result.status, result.stderr) == (0, ""), result
    return parse_json(result.stdout)


def limits_of(report: dict) -> tuple:
    """The values a decision report holds that the case set up or the VM has."""
    return (report["outcome"], report["request_bytes"], report["soft_before"],
            report["soft_after"], report["hard_before"], report["hard_after"],
            report["memory_limit_bytes"], report["memory_limit_source"],
            report["memory_ceiling_bytes"], report["memory_ceiling_source"])


def test_the_vm_is_pure_cgroup_v2_with_memory_and_real_root(vm: VmRun) -> None:
    facts = facts_of(vm.case(FACTS.name))
    assert facts.cgroup == "0::/\n"  # no v1 hierarchy at all
    assert facts.cgroup_mounts == f"/ {CGROUP_ROOT} cgroup2\n"
    assert "memory" in facts.controllers and facts.subtree_control == ["memory"]
    assert facts.cap_eff >> CAP_SYS_RESOURCE & 1 == 1
    assert facts.uid_map == "0 0 4294967295"  # the initial user namespace
    assert facts.release.endswith("-cloud-amd64")


def test_leaf_memory_max_binds(vm: VmRun) -> None:
    facts = facts_of(vm.case(FACTS.name))
    report = seen(vm, "v2-leaf-memory-max")
    source = f"{CGROUP_ROOT}/v2-leaf/memory.max"
    assert limits_of(report) == ("raised", REQUEST, SOFT, REQUEST, UNLIMITED, UNLIMITED,
                                 LEAF_MAX, source, LEAF_MAX, source)
    golden.check_json("vm/v2-leaf-memory-max.json", report, placeholders(facts))


def test_parent_limit_binds_when_the_leaf_says_max_and_percentages_use_it(vm: VmRun) -> None:
    facts = facts_of(vm.case(FACTS.name))
    report = seen(vm, "v2-parent-binds")
    half, source = PARENT_MAX // 2, f"{CGROUP_ROOT}/v2-parent/memory.max"
    assert limits_of(report) == ("raised", half, SOFT, half, UNLIMITED, UNLIMITED,
                                 PARENT_MAX, source, PARENT_MAX, source)
    golden.check_json("vm/v2-parent-binds.json", report, placeholders(facts))


def test_max_everywhere_is_no_limit_and_memtotal_is_the_ceiling(vm: VmRun) -> None:
    facts = facts_of(vm.case(FACTS.name))
    report = seen(vm, "v2-max-everywhere")
    assert limits_of(report) == ("raised", REQUEST, SOFT, REQUEST, UNLIMITED, UNLIMITED,
                                 UNLIMITED, "", facts.mem_total, "/proc/meminfo MemTotal")
    golden.check_json("vm/v2-max-everywhere.json", report, placeholders(facts))


def test_cgroup_namespace_hides_the_parents_limit_and_says_so(vm: VmRun) -> None:
    facts = facts_of(vm.case(FACTS.name))
    # Outside the namespace the parent's 160 MiB would bind; inside, / is the job's cgroup.
    report = seen(vm, "v2-cgroupns-own-mount")
    assert limits_of(report) == ("raised", REQUEST, SOFT, REQUEST, UNLIMITED, UNLIMITED,
                                 UNLIMITED, "", facts.mem_total, "/proc/meminfo MemTotal")
    assert len(report["warnings"]) == 1  # the namespace's note, in the golden file
    golden.check_json("vm/v2-cgroupns-own-mount.json", report, placeholders(facts))


def test_cgroup_namespace_under_the_hosts_mount_makes_the_limit_unknown(vm: VmRun) -> None:
    facts = facts_of(vm.case(FACTS.name))
    # /proc/self/mountinfo gives the mount's root relative to the namespace, "/../..": two
    # levels up, by names the namespace does not show, so no directory can be found, and the
    # parent's 160 MiB, which binds, cannot be read: the limit is unknown, not "none".
    report = seen(vm, "v2-cgroupns-host-mount")
    assert limits_of(report) == ("raised", REQUEST, SOFT, REQUEST, UNLIMITED, UNLIMITED,
                                 None, "", None, "")
    assert "/../.." in report["memory_limit_unknown"], report
    golden.check_json("vm/v2-cgroupns-host-mount.json", report, placeholders(facts))


def test_a_bind_mount_of_a_sibling_makes_the_limit_unknown_and_refuse_refuses(
        vm: VmRun) -> None:
    facts = facts_of(vm.case(FACTS.name))
    result = vm.case("v2-bind-mount-of-a-sibling")
    # The mount really shows the sibling, not the job's cgroup.
    assert (result.status, result.stderr) == (77, f"/v2-unknown/a {CGROUP_ROOT}\n"), result
    report = parse_json(result.stdout)
    assert limits_of(report) == ("refused", REQUEST, SOFT, SOFT, UNLIMITED, UNLIMITED,
                                 None, "", None, "")
    assert report["blocker"] == "memory_limit_unknown"
    golden.check_json("vm/v2-bind-mount-of-a-sibling.json", report, placeholders(facts))


def test_memory_require_fix_names_the_parents_file_and_works_when_followed(vm: VmRun) -> None:
    facts = facts_of(vm.case(FACTS.name))
    source = f"{CGROUP_ROOT}/v2-require/memory.max"
    result = vm.case("v2-require-fix-followed")
    assert (result.status, result.stdout) == (
        0, f"exit status 77\nfollowing: echo {REQUIRE} >{source}\nexit status 0\n")
    golden.check("vm/v2-require-fix-followed.txt", result.stderr, placeholders(facts))

# SPDX-License-Identifier: Apache-2.0
"""raiseHard for real: in the VM rlimit-init runs as root with CAP_SYS_RESOURCE in the initial
user namespace (this host's root lacks it), so the hard RLIMIT_AS really is raised and the
workload really sees both limits; then the same after a drop to another user, a refusal when
raiseHard is not set, and a root in a user namespace, which may not raise it."""

from __future__ import annotations

import shlex

import pytest

from rlimit_json import parse as parse_json
import golden
from expected import MIB, SHOW_LIMITS, limits_seen
from vm_expected import FACTS, facts_of, placeholders
from vm_machine import VM_BINARY, VmCase, VmRun, vm  # noqa: F401 (vm is a fixture)

pytestmark = pytest.mark.static_binary

SOFT, HARD = 64 * MIB, 128 * MIB  # inherited by every case
REQUEST = 256 * MIB
CGROUP_MAX = 384 * MIB
NOBODY = 65534
# The workload: what it sees of its limits, who it is, and whether it could raise them again.
WORKLOAD = shlex.join(SHOW_LIMITS) + (
    " && grep -E '^(Uid|Gid|Groups|CapEff):' /proc/self/status"
    " && { ulimit -Hv unlimited 2>/dev/null; echo \"raise hard again: $?\"; }")


# The command of the shell's first alternative that a root follows.
ULIMIT_COMMAND = f"ulimit -Hv {REQUEST // 1024}"


def case(name: str, policy_lines: str, body: str) -> VmCase:
    """Writes policy.yaml (request 256Mi plus POLICY_LINES), makes the cgroup /NAME with
    memory.max 384 MiB, sets soft 64 MiB and hard 128 MiB, then runs BODY, in which %IN% runs a
    command in that cgroup and %BIN% is rlimit-init."""
    return VmCase(name, f"cg_make /{name} memory.max={CGROUP_MAX}\n"
                        "cat >policy.yaml <<'EOF'\n"
                        "apiVersion: rlimit-init/v1\naddressSpace:\n  request: 256Mi\n"
                        f"{policy_lines}EOF\n"
                        f"ulimit -Sv {SOFT // 1024} && ulimit -Hv {HARD // 1024}\n"
                        + body.replace("%IN%", f"cg_run /{name}").replace("%BIN%", VM_BINARY))


SHOW = f"sh -c {shlex.quote(WORKLOAD)}"
CASES = [
    case("raise-hard", "  raiseHard: true\n", f"%IN% %BIN% -p policy.yaml -- {SHOW}\n"),
    case("raise-hard-check", "  raiseHard: true\n", "%IN% %BIN% check -p policy.yaml -o json\n"),
    case("raise-hard-then-user", f"  raiseHard: true\nuser: \"{NOBODY}:{NOBODY}\"\n",
         f"%IN% %BIN% -p policy.yaml -- {SHOW}\n"),
    case("raise-hard-unset", "", "%IN% %BIN% -p policy.yaml -- touch \"$OUT/workload-ran\"\n"),
    # Follows the refusal's fix, as root: the policy key it names goes into the policy.
    case("raise-hard-fix-followed", "",
         "%IN% %BIN% -p policy.yaml -- true 2>refusal\n"
         "cat refusal >&2\n"
         "key=$(sed -n 's/^  fix: .*: set addressSpace\\.\\(raiseHard: true\\) in the policy .*$/\\1/p' "
         "refusal)\n"
         "echo \"following: $key\"\n"
         "echo \"  $key\" >>policy.yaml\n"
         f"%IN% %BIN% -p policy.yaml -- {shlex.join(SHOW_LIMITS)}\n"),
    # Follows the shell's alternative instead: the ulimit command it names, as root.
    case("raise-hard-ulimit-followed", "",
         "%IN% %BIN% -p policy.yaml -- true 2>refusal\n"
         "cat refusal >&2\n"
         "fix=$(sed -n 's/^  or: .*as root, run \\(ulimit -Hv [0-9]*\\) in the shell .*$/\\1/p' "
         "refusal)\n"
         "echo \"following: $fix\"\n"
         "eval \"$fix\"\n"
         f"%IN% %BIN% -p policy.yaml -- {shlex.join(SHOW_LIMITS)}\n"),
    # Root of a new user namespace has every capability, but only in that namespace.
    case("raise-hard-user-namespace", "  raiseHard: true\n",
         "%IN% unshare -r %BIN% -p policy.yaml -- touch \"$OUT/workload-ran\"\n"),
]


def check_said(vm: VmRun, name: str, said: str) -> None:
    """What rlimit-init said on stderr in case NAME, against vm/NAME.txt."""
    golden.check(f"vm/{name}.txt", said, placeholders(facts_of(vm.case(FACTS.name))))


def status_lines(uid: int, cap_eff: str) -> str:
    """/proc/self/status of a process with uid and gid UID, only group UID (none for root)."""
    # The kernel ends the Groups list with a space, even an empty one.
    groups = f"{uid} " if uid else " "
    return (f"Uid:\t{uid}\t{uid}\t{uid}\t{uid}\nGid:\t{uid}\t{uid}\t{uid}\t{uid}\n"
            f"Groups:\t{groups}\nCapEff:\t{cap_eff}\n")


def test_hard_limit_is_raised_and_the_workload_sees_both(vm: VmRun) -> None:
    result = vm.case("raise-hard")
    assert (result.status, result.stdout) == (
        0,
        # Root keeps CAP_SYS_RESOURCE, so it could raise the hard limit again itself.
        limits_seen(REQUEST, REQUEST) + status_lines(0, "000001ffffffffff")
        + "raise hard again: 0\n")
    check_said(vm, "raise-hard", result.stderr)


def test_check_says_it_would_raise_both(vm: VmRun) -> None:
    result = vm.case("raise-hard-check")
    assert (result.status, result.stderr) == (0, "")
    report = parse_json(result.stdout)
    assert (report["outcome"], report["soft_before"], report["hard_before"],
            report["soft_after"], report["hard_after"]) == ("raised", SOFT, HARD, REQUEST, REQUEST)
    golden.check_json("vm/raise-hard-check.json", report,
                      placeholders(facts_of(vm.case(FACTS.name))))


def test_user_drop_after_the_raise_keeps_both_limits_and_no_way_back(vm: VmRun) -> None:
    result = vm.case("raise-hard-then-user")
    assert (result.status, result.stdout) == (
        0,
        # uid 65534 without capabilities: raising the hard limit fails (ulimit's status 1).
        limits_seen(REQUEST, REQUEST) + status_lines(NOBODY, "0000000000000000")
        + "raise hard again: 1\n")
    check_said(vm, "raise-hard-then-user", result.stderr)


def test_without_raise_hard_it_refuses_and_runs_nothing(vm: VmRun) -> None:
    result = vm.case("raise-hard-unset")
    assert (result.status, result.stdout, result.files) == (77, "", {})
    check_said(vm, "raise-hard-unset", result.stderr)


def test_the_fix_it_names_works_when_followed_as_root(vm: VmRun) -> None:
    result = vm.case("raise-hard-fix-followed")
    assert (result.status, result.stdout) == (
        0, "following: raiseHard: true\n" + limits_seen(REQUEST, REQUEST))
    # The refusal, then the raise once the policy has the key it named.
    check_said(vm, "raise-hard-fix-followed", result.stderr)


def test_the_ulimit_alternative_works_when_followed_as_root(vm: VmRun) -> None:
    result = vm.case("raise-hard-ulimit-followed")
    assert (result.status, result.stdout) == (
        0, f"following: {ULIMIT_COMMAND}\n" + limits_seen(REQUEST, REQUEST))
    check_said(vm, "raise-hard-ulimit-followed", result.stderr)


def test_root_in_a_user_namespace_may_not_raise_it(vm: VmRun) -> None:
    result = vm.case("raise-hard-user-namespace")
    assert (result.status, result.stdout, result.files) == (77, "", {})
    check_said(vm, "raise-hard-user-namespace", result.stderr)

# SPDX-License-Identifier: Apache-2.0
"""What the exec'd workload sees: its `ulimit -Sv`/`ulimit -Hv` and the "Max address space" line
of /proc/self/limits, after rlimit-init ran under a real RLIMIT_AS set with prlimit, and the
exact line rlimit-init said about it on stderr."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import golden
from conftest import KUBERNETES, POLICIES, Runner, policy, write_policy
from expected import (GIB, MIB, SHOW_LIMITS, UNLIMITED, HostMemory, cap_sys_resource, describe,
                      human, limits_seen)

pytestmark = pytest.mark.sets_rlimit_as



def raised(before: int | str, after: int | str, hard: int | str, host: HostMemory) -> str:
    return (f"rlimit-init: raised the soft address-space limit (RLIMIT_AS) from "
            f"{describe(before)} to {describe(after)}; hard limit {describe(hard)}; "
            f"{host.memory_part()}\n")


def unchanged(soft: int | str, request: int | str, hard: int | str, host: HostMemory) -> str:
    return (f"rlimit-init: left the soft address-space limit (RLIMIT_AS) at {describe(soft)}: "
            f"it already covers the request {describe(request)}; hard limit {describe(hard)}; "
            f"{host.memory_part()}\n")


def oom_warnings(granted: int | str, host: HostMemory, what: str = "the address space granted",
                 tail: str = "") -> str:
    """The warning for address space past this host's own cgroup limit, if it has one."""
    if host.limit == UNLIMITED or (granted != UNLIMITED and granted <= host.limit):
        return ""
    return (f"rlimit-init: warning: {what} ({human(granted)}) is above the cgroup memory limit "
            f"{human(host.limit)} ({host.limit_source}): past {human(host.limit)} the kernel "
            f"OOM-kills the job instead of letting it catch MemoryError{tail}\n")


def test_request_within_hard_limit_raises_soft_limit(run: Runner, host: HostMemory) -> None:
    result = run(["--as", "512Mi", "--"] + SHOW_LIMITS, as_limit=(256 * MIB, GIB))
    assert (result.returncode, result.stdout, result.stderr) == (
        0, limits_seen(512 * MIB, GIB), raised(256 * MIB, 512 * MIB, GIB, host))


def test_request_equal_to_hard_limit_raises_soft_to_it(run: Runner, host: HostMemory) -> None:
    result = run(["--as", "1Gi", "--"] + SHOW_LIMITS, as_limit=(256 * MIB, GIB))
    assert (result.returncode, result.stdout, result.stderr) == (
        0, limits_seen(GIB, GIB), raised(256 * MIB, GIB, GIB, host))


def test_higher_soft_limit_is_never_lowered(run: Runner, host: HostMemory) -> None:
    result = run(["--as", "512Mi", "--"] + SHOW_LIMITS, as_limit=(GIB, 2 * GIB))
    assert (result.returncode, result.stdout, result.stderr) == (
        0, limits_seen(GIB, 2 * GIB), unchanged(GIB, 512 * MIB, 2 * GIB, host))


def test_unlimited_soft_limit_is_left_alone(run: Runner, host: HostMemory) -> None:
    result = run(["--as", "512Mi", "--"] + SHOW_LIMITS, as_limit=(UNLIMITED, UNLIMITED))
    assert (result.returncode, result.stdout, result.stderr) == (
        0, limits_seen(UNLIMITED, UNLIMITED),
        unchanged(UNLIMITED, 512 * MIB, UNLIMITED, host) +
        oom_warnings(UNLIMITED, host, "the inherited soft limit",
                     "; rlimit-init does not lower limits"))


def test_request_above_hard_limit_with_minimum_grants_the_hard_limit(
        run: Runner, workdir: Path, host: HostMemory) -> None:
    path = write_policy(workdir, policy("2Gi", minimum="512Mi"))
    result = run(["-p", str(path), "--"] + SHOW_LIMITS, as_limit=(256 * MIB, GIB))
    assert (result.returncode, result.stdout, result.stderr) == (
        0, limits_seen(GIB, GIB),
        f"rlimit-init: raised the soft address-space limit (RLIMIT_AS) from {describe(256 * MIB)}"
        f" to the hard limit {describe(GIB)}, less than the 2 GiB requested; "
        f"{host.memory_part()}\n"
        "rlimit-init: warning: granted the hard limit 1 GiB, less than the 2 GiB requested; the "
        "minimum 512 MiB is met\n")


def test_request_above_hard_limit_is_refused_naming_the_runtime_setting(
        run: Runner, workdir: Path) -> None:
    path = write_policy(workdir, policy("2Gi"))
    marker = workdir / "ran"
    result = run(["-p", str(path), "--", "touch", str(marker)], as_limit=(256 * MIB, GIB),
                 env=KUBERNETES)
    assert (result.returncode, result.stdout) == (77, "")
    golden.check("limits/as-refused-kubernetes.txt", result.stderr, {str(path): "{policy}"})
    assert not marker.exists()


def test_refusal_under_slurm_names_slurmds_limit(run: Runner) -> None:
    """SLURM_JOB_ID alone picks the Slurm advice; test_slurm.py follows it on a real slurmd."""
    result = run(["--as", "2Gi", "check"], as_limit=(256 * MIB, GIB), env={"SLURM_JOB_ID": "7"})
    assert result.returncode == 77
    golden.check("limits/as-refused-slurm.txt", result.stdout)


def test_no_policy_gives_the_workload_its_hard_limit(run: Runner, host: HostMemory) -> None:
    result = run(["--"] + SHOW_LIMITS, as_limit=(256 * MIB, GIB))
    assert (result.returncode, result.stdout, result.stderr) == (
        0, limits_seen(GIB, GIB), raised(256 * MIB, GIB, GIB, host) + oom_warnings(GIB, host))


def test_no_policy_under_unlimited_hard_limit_lifts_soft_limit_entirely(
        run: Runner, host: HostMemory) -> None:
    result = run(SHOW_LIMITS, as_limit=(256 * MIB, UNLIMITED))
    assert (result.returncode, result.stdout, result.stderr) == (
        0, limits_seen(UNLIMITED, UNLIMITED),
        raised(256 * MIB, UNLIMITED, UNLIMITED, host) + oom_warnings(UNLIMITED, host))


def test_unlimited_request_lifts_soft_limit(run: Runner, host: HostMemory) -> None:
    result = run(["--as", "unlimited", "--"] + SHOW_LIMITS, as_limit=(8 * MIB, UNLIMITED))
    assert (result.returncode, result.stdout, result.stderr) == (
        0, limits_seen(UNLIMITED, UNLIMITED),
        raised(8 * MIB, UNLIMITED, UNLIMITED, host) + oom_warnings(UNLIMITED, host))


def test_unlimited_request_under_a_hard_limit_is_refused(run: Runner) -> None:
    result = run(["--as", "unlimited", "check"], as_limit=(256 * MIB, GIB), env=KUBERNETES)
    assert result.returncode == 77
    assert result.stdout.splitlines()[:3] == [
        "rlimit-init: refused: the job asks for unlimited address space, but the hard limit "
        f"is {describe(GIB)} and raiseHard is not set",
        "  asked:   --as = unlimited",
        f"  blocked: hard RLIMIT_AS {describe(GIB)}, set before rlimit-init started",
    ]


@pytest.mark.parametrize("percent, basis_points", [("50%", 5000), ("12.5%", 1250), ("1%", 100)])
def test_percentage_is_of_the_memory_ceiling(run: Runner, host: HostMemory, percent,
                                             basis_points) -> None:
    # No memory cgroup limit here, so the ceiling is MemTotal from /proc/meminfo.
    expected = host.ceiling * basis_points // 10000
    result = run(["--as", percent, "--"] + SHOW_LIMITS, as_limit=(8 * MIB, UNLIMITED))
    assert (result.returncode, result.stdout, result.stderr) == (
        0, limits_seen(expected, UNLIMITED),
        raised(8 * MIB, expected, UNLIMITED, host) + oom_warnings(expected, host))


def test_rlimit_init_as_sets_the_request(run: Runner, host: HostMemory) -> None:
    result = run(SHOW_LIMITS, as_limit=(256 * MIB, GIB), env={"RLIMIT_INIT_AS": "768Mi"})
    assert (result.returncode, result.stdout, result.stderr) == (
        0, limits_seen(768 * MIB, GIB), raised(256 * MIB, 768 * MIB, GIB, host))


def test_as_option_wins_over_rlimit_init_as(run: Runner) -> None:
    result = run(["--as", "2Gi", "check"], as_limit=(256 * MIB, GIB),
                 env={"RLIMIT_INIT_AS": "768Mi"})
    assert result.returncode == 77
    assert result.stdout.splitlines()[1] == "  asked:   --as = 2Gi (2147483648 bytes)"


def test_rlimit_init_as_is_named_when_it_is_refused(run: Runner) -> None:
    result = run(["check"], as_limit=(256 * MIB, GIB), env={"RLIMIT_INIT_AS": "2Gi"})
    assert result.returncode == 77
    assert result.stdout.splitlines()[1] == "  asked:   RLIMIT_INIT_AS = 2Gi (2147483648 bytes)"


def test_rlimit_init_policy_names_the_policy_file(run: Runner, host: HostMemory) -> None:
    path = POLICIES / "good" / "request-512mi.yaml"
    result = run(SHOW_LIMITS, as_limit=(256 * MIB, GIB), env={"RLIMIT_INIT_POLICY": str(path)})
    assert (result.returncode, result.stdout, result.stderr) == (
        0, limits_seen(512 * MIB, GIB), raised(256 * MIB, 512 * MIB, GIB, host))


def test_policy_option_wins_over_rlimit_init_policy(run: Runner, workdir: Path,
                                                    host: HostMemory) -> None:
    path = write_policy(workdir, policy("768Mi"))
    result = run(["-p", str(path), "--"] + SHOW_LIMITS, as_limit=(256 * MIB, GIB),
                 env={"RLIMIT_INIT_POLICY": str(workdir / "absent.yaml")})
    assert (result.returncode, result.stdout, result.stderr) == (
        0, limits_seen(768 * MIB, GIB), raised(256 * MIB, 768 * MIB, GIB, host))


def test_as_option_overrides_the_policy_request(run: Runner, workdir: Path,
                                                host: HostMemory) -> None:
    path = write_policy(workdir, policy("2Gi"))
    result = run(["-p", str(path), "--as", "640Mi", "--"] + SHOW_LIMITS,
                 as_limit=(256 * MIB, GIB))
    assert (result.returncode, result.stdout, result.stderr) == (
        0, limits_seen(640 * MIB, GIB), raised(256 * MIB, 640 * MIB, GIB, host))


def test_rlimit_init_as_overrides_the_policy_request(run: Runner, workdir: Path,
                                                     host: HostMemory) -> None:
    path = write_policy(workdir, policy("2Gi"))
    result = run(["-p", str(path), "--"] + SHOW_LIMITS, as_limit=(256 * MIB, GIB),
                 env={"RLIMIT_INIT_AS": "640Mi"})
    assert (result.returncode, result.stdout, result.stderr) == (
        0, limits_seen(640 * MIB, GIB), raised(256 * MIB, 640 * MIB, GIB, host))


# --- raiseHard: needs CAP_SYS_RESOURCE in the initial user namespace ---------------------------

# setpriv drops CAP_SYS_RESOURCE from the bounding set, so that even root execs rlimit-init
# without it; as another user it is missing already.
DROP_CAP_SYS_RESOURCE = ["setpriv", "--bounding-set=-sys_resource"]


def without_cap_sys_resource() -> list[str]:
    return DROP_CAP_SYS_RESOURCE if os.geteuid() == 0 else []


def test_raise_hard_without_the_capability_is_refused_saying_so(run: Runner,
                                                                 workdir: Path) -> None:
    path = write_policy(workdir, policy("2Gi", raiseHard="true"))
    result = run(["-p", str(path), "check"], as_limit=(256 * MIB, GIB), env=KUBERNETES,
                 prefix=without_cap_sys_resource())
    assert result.returncode == 77
    assert result.stdout.splitlines()[0] == (
        f"rlimit-init: refused: the job asks for {describe(2 * GIB)} of address space, but the "
        f"hard limit is {describe(GIB)} and this process lacks CAP_SYS_RESOURCE to raise it")


def test_raise_hard_without_the_capability_falls_back_to_the_minimum(
        run: Runner, workdir: Path, host: HostMemory) -> None:
    path = write_policy(workdir, policy("2Gi", minimum="512Mi", raiseHard="true"))
    result = run(["-p", str(path), "--"] + SHOW_LIMITS, as_limit=(256 * MIB, GIB),
                 prefix=without_cap_sys_resource())
    assert (result.returncode, result.stdout) == (0, limits_seen(GIB, GIB))
    assert result.stderr.splitlines()[1:] == [
        "rlimit-init: warning: granted the hard limit 1 GiB, less than the 2 GiB requested; the "
        "minimum 512 MiB is met",
        "rlimit-init: warning: raiseHard is set but the process lacks CAP_SYS_RESOURCE in the "
        "initial user namespace, so the hard limit stays 1 GiB",
    ]


def test_raise_hard_as_this_test_run_is(run: Runner, workdir: Path, host: HostMemory) -> None:
    """Root on the development machine lacks CAP_SYS_RESOURCE (CapEff bit 24 is clear), so the
    hard limit stays and the request is refused; where the bit is set both limits move."""
    path = write_policy(workdir, policy("2Gi", raiseHard="true"))
    result = run(["-p", str(path), "--"] + SHOW_LIMITS, as_limit=(256 * MIB, GIB))
    if cap_sys_resource():
        assert (result.returncode, result.stdout, result.stderr) == (
            0, limits_seen(2 * GIB, 2 * GIB),
            f"rlimit-init: raised the soft and hard address-space limits (RLIMIT_AS) from "
            f"{describe(256 * MIB)} and {describe(GIB)} to {describe(2 * GIB)}; "
            f"{host.memory_part()}\n" + oom_warnings(2 * GIB, host))
    else:
        assert (result.returncode, result.stdout) == (77, "")
        assert result.stderr.splitlines()[0] == (
            f"rlimit-init: refused: the job asks for {describe(2 * GIB)} of address space, but "
            f"the hard limit is {describe(GIB)} and this process lacks CAP_SYS_RESOURCE to "
            "raise it")


# --- other limits that still cause MemoryError -------------------------------------------------

def test_lower_data_limit_is_warned_about(run: Runner, host: HostMemory) -> None:
    result = run(["--as", "512Mi", "--", "true"], as_limit=(256 * MIB, GIB),
                 prefix=["prlimit", f"--data={100 * MIB}"])
    assert (result.returncode, result.stderr) == (
        0, raised(256 * MIB, 512 * MIB, GIB, host) +
        "rlimit-init: warning: the data limit (RLIMIT_DATA, ulimit -d) is 100 MiB: allocations "
        "past it still fail with MemoryError\n")

# SPDX-License-Identifier: Apache-2.0
"""`measure`'s most tasks at once on cgroup v2, in the VM (this host has pids on v1): Debian
bookworm's Linux 6.1 has pids.peak in a cgroup whose parent enables the pids controller, and
measure reads it there; where the parent does not, the figure is sampled and says why."""

from __future__ import annotations

import pytest

from rlimit_json import parse as parse_json
from vm_expected import CGROUP_ROOT
from vm_machine import VM_BINARY, VmCase, VmRun, vm  # noqa: F401 (vm is a fixture)

pytestmark = pytest.mark.static_binary

SLEEPERS = 10
# Ten processes alive at once; the job reads its cgroup's pids.current while they are, as the
# kernel counts it (measure's own task included), and waits for them.
JOB = ("sh -c 'i=0; while [ $i -lt {n} ]; do sleep 2 & i=$((i+1)); done; "
       "cat {cgroup}/pids.current; wait'")

ALONE, NOT_ENABLED = "v2-pids-alone", "v2-pids-not-enabled"
CASES = [
    VmCase(ALONE, f'echo +pids >"$CG/cgroup.subtree_control"\n'
                  f"cg_make /{ALONE}\n"
                  f"cg_run /{ALONE} {VM_BINARY} measure -q -o json -- "
                  + JOB.format(n=SLEEPERS, cgroup=f"{CGROUP_ROOT}/{ALONE}") + "\n"
                  f"cat {CGROUP_ROOT}/{ALONE}/pids.peak\n"),
    # cg_make enables only the memory controller in the parent, so the job's cgroup has no
    # pids.* files.
    VmCase(NOT_ENABLED, f"cg_make /{NOT_ENABLED}/job\n"
                        f"cg_run /{NOT_ENABLED}/job {VM_BINARY} measure -q -o json -- true\n"),
]


def test_the_most_tasks_at_once_is_pids_peak_on_cgroup_v2(vm: VmRun) -> None:
    result = vm.case(ALONE)
    assert result.status == 0, result.stderr
    current, peak = (int(line) for line in result.stdout.split())
    # measure, the shell, its sleepers (and cat, unless the shell runs it in-process).
    assert current in (SLEEPERS + 2, SLEEPERS + 3) and peak == current, result.stdout
    report = parse_json(result.stderr)
    assert (report["tasks_at_once"], report["tasks_peak"]) == (
        peak - 1, {"source": "cgroup", "file": f"{CGROUP_ROOT}/{ALONE}/pids.peak", "note": None})


def test_a_v2_cgroup_without_the_pids_controller_leaves_the_figure_sampled(vm: VmRun) -> None:
    result = vm.case(NOT_ENABLED)
    assert result.status == 0, result.stderr
    report = parse_json(result.stderr)
    assert (report["tasks_at_once"], report["tasks_peak"]) == (
        1, {"source": "sampled", "file": None,
            "note": f"pids.peak not read: cannot read {CGROUP_ROOT}/{NOT_ENABLED}/job/pids.peak"})

# SPDX-License-Identifier: Apache-2.0
"""`measure` on Debian bookworm's own kernel (Linux 6.1, pure cgroup v2): its seccomp listener
there, where the kernel has no synchronous wake-ups for it (Linux 6.6) and no pids.peak, in a
cgroup of the job's own whose memory.peak is the job's."""

from __future__ import annotations

import pytest

from rlimit_json import parse as parse_json
from vm_machine import VM_BINARY, VmCase, VmRun, vm  # noqa: F401 (vm is a fixture)

pytestmark = pytest.mark.static_binary

CASES = [
    # A shell that execs a shell that kills itself: read before the exec and before the signal.
    VmCase("v2-measure-alone",
           "cg_make /v2-measure memory.max=268435456\n"
           f"cg_run /v2-measure {VM_BINARY} measure -q -o json -- "
           "sh -c 'exec sh -c \"kill -TERM \\$\\$\"'\n"),
]


def test_measure_reads_a_job_before_its_exec_and_its_own_signal_on_linux_6_1(
        vm: VmRun) -> None:
    result = vm.case("v2-measure-alone")
    assert (result.status, result.stdout) == (143, ""), result
    report = parse_json(result.stderr)
    assert (report["outcome"], report["exit_code"], report["processes"],
            report["unmeasured"]) == ("measured", 143, 1, 0), report
    assert report["vm_peak"]["name"] == "sh"
    assert report["cgroup_peak_source"] == "/sys/fs/cgroup/v2-measure/memory.peak", report
    assert report["cgroup_peak_bytes"] > 0

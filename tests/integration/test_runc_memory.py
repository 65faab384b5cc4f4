# SPDX-License-Identifier: Apache-2.0
"""Why addressSpace.aboveCgroup exists, under runc: the same job OOM-killed by the kernel when
its grant is above the cgroup memory limit, and failing with a MemoryError it can catch when the
grant is below it.

runc_node.py plays the node. Needs root, runc, a writable cgroup v1 memory hierarchy at
/sys/fs/cgroup/memory and helm (scripts/setup-runc.sh and scripts/setup-chart-tools.sh install
them); without them the tests skip saying why, and fail instead where RLIMIT_INIT_NO_SKIP=1 (CI).
"""

from __future__ import annotations

import pytest

import golden
from chart_render import WORKLOAD_CONTAINER, container, memory_limit_bytes, pod_spec, policy_text
from runc_node import MiB, RLIM_INFINITY, Node, installed, render_values

# The runtime, images and node fixtures.
pytest_plugins = ["runc_fixtures"]


@pytest.mark.sets_rlimit_as
def test_touching_memory_past_the_cgroup_limit_is_oom_killed(node: Node) -> None:
    objects = render_values("oom")
    assert memory_limit_bytes(container(pod_spec(objects), WORKLOAD_CONTAINER)) == 384 * MiB
    finished = node.run_pod(objects, rlimit_as=(256 * MiB, RLIM_INFINITY))
    installed(finished)
    job = finished[WORKLOAD_CONTAINER]
    # The kernel's SIGKILL: runc reports it as 128 + 9, and so does kubelet (OOMKilled).
    assert (job.exit_code, job.stdout, job.termination_message) == (137, "touching 400 MiB\n", "")
    # The job's memory reached the cgroup limit (reclaim keeps usage a few pages below it).
    assert job.parent_peak_memory >= 384 * MiB - 4 * MiB
    golden.check("runc_memory/granted-above-the-cgroup-limit-warns.txt", job.stderr)


@pytest.mark.sets_rlimit_as
def test_the_same_job_under_a_grant_below_the_cgroup_limit_gets_memory_error(
        node: Node) -> None:
    objects = render_values("oom", ("policy.addressSpace.request=320Mi",))
    assert policy_text(objects) == ("addressSpace:\n  aboveCgroup: warn\n  request: 320Mi\n"
                                    "apiVersion: rlimit-init/v1\n")
    finished = node.run_pod(objects, rlimit_as=(256 * MiB, RLIM_INFINITY))
    installed(finished)
    job = finished[WORKLOAD_CONTAINER]
    assert (job.exit_code, job.stdout, job.termination_message) == (1, "touching 400 MiB\n", "")
    # The allocation failed before a page was touched: the pod never came near its limit.
    assert job.parent_peak_memory < 320 * MiB
    # rlimit-init's line, then Python's traceback.
    said, traceback = job.stderr.split("\n", 1)
    golden.check("runc_memory/granted-below-the-cgroup-limit.txt", said + "\n")
    lines = traceback.splitlines()
    assert (lines[0], lines[-1]) == ("Traceback (most recent call last):", "MemoryError"), job

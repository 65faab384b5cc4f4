# SPDX-License-Identifier: Apache-2.0
"""The chart's Job under runc, the rlimit-init binary injected by its init container: the seed
job raised, the refusals and the warning, as docs/containers.md shows them; and the same Job as
the plain manifests in deploy/.

runc_node.py plays the node. Needs root, runc, a writable cgroup v1 memory hierarchy at
/sys/fs/cgroup/memory and helm (scripts/setup-runc.sh and scripts/setup-chart-tools.sh install
them); without them the tests skip saying why, and fail instead where RLIMIT_INIT_NO_SKIP=1 (CI).
"""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

import golden
from chart_render import (REPO, WORKLOAD_CONTAINER, container, memory_limit_bytes, parse_objects,
                          pod_spec)
from conftest import skip_unless
from oci_image import Image
from runc_node import GiB, MiB, RAISED_TO_512_MIB, RLIM_INFINITY, Node, installed, render_values

# The runtime, images and node fixtures.
pytest_plugins = ["runc_fixtures"]


# --- the chart's Job in containers ----------------------------------------------------------

@pytest.mark.sets_rlimit_as
def test_init_container_installs_the_image_binary_for_a_non_root_workload(
        node: Node, images: dict[str, Image]) -> None:
    finished = node.run_pod(render_values("raise-soft"), rlimit_as=(256 * MiB, RLIM_INFINITY))
    installed(finished)
    copied = next(node.work.glob("pod-*/volumes/rlimit-init-bin/rlimit-init"))
    image_binary = images["rlimit-init"].template / "rlimit-init"
    assert copied.read_bytes() == image_binary.read_bytes()
    status = copied.stat()
    assert (status.st_mode & 0o7777, status.st_uid, status.st_gid) == (0o755, 65532, 65532)
    assert [p.name for p in copied.parent.iterdir()] == ["rlimit-init"]


@pytest.mark.sets_rlimit_as
def test_soft_limit_raised_and_the_seed_job_allocates_300_mib(node: Node) -> None:
    objects = render_values("raise-soft")
    workload = container(pod_spec(objects), WORKLOAD_CONTAINER)
    assert memory_limit_bytes(workload) == 1 * GiB
    finished = node.run_pod(objects, rlimit_as=(256 * MiB, RLIM_INFINITY))
    installed(finished)
    job = finished[WORKLOAD_CONTAINER]
    assert (job.exit_code, job.stdout, job.termination_message) == (
        0, "allocated_bytes=314572800\n", ""), job
    golden.check(RAISED_TO_512_MIB, job.stderr)


@pytest.mark.sets_rlimit_as
def test_the_seed_job_without_rlimit_init_fails_with_memory_error(node: Node) -> None:
    finished = node.run_pod(render_values("raise-soft"), rlimit_as=(256 * MiB, RLIM_INFINITY),
                            without_rlimit_init=True)
    assert list(finished) == [WORKLOAD_CONTAINER]
    job = finished[WORKLOAD_CONTAINER]
    assert (job.exit_code, job.stdout, job.stderr.splitlines()[-1]) == (1, "", "MemoryError")


@pytest.mark.sets_rlimit_as
def test_refused_when_the_hard_limit_is_too_low(node: Node) -> None:
    objects = render_values("hard-limit-too-low")
    workload = container(pod_spec(objects), WORKLOAD_CONTAINER)
    assert workload["terminationMessagePath"] == "/dev/termination-log"
    finished = node.run_pod(objects, rlimit_as=(256 * MiB, 512 * MiB))
    installed(finished)
    job = finished[WORKLOAD_CONTAINER]
    assert (job.exit_code, job.stdout, job.termination_message) == (77, "", job.stderr)
    golden.check("runc_chart/as-refused-hard-limit-too-low.txt", job.stderr)


@pytest.mark.sets_rlimit_as
def test_refused_when_the_cgroup_memory_limit_is_below_memory_require(node: Node) -> None:
    objects = render_values("memory-require")
    assert memory_limit_bytes(container(pod_spec(objects), WORKLOAD_CONTAINER)) == 512 * MiB
    finished = node.run_pod(objects, rlimit_as=(256 * MiB, RLIM_INFINITY))
    installed(finished)
    job = finished[WORKLOAD_CONTAINER]
    assert (job.exit_code, job.stdout, job.termination_message) == (77, "", job.stderr), job
    golden.check("runc_chart/memory-refused-below-memory-require.txt", job.stderr)


@pytest.mark.sets_rlimit_as
def test_warns_when_the_grant_exceeds_the_cgroup_memory_limit(node: Node) -> None:
    objects = render_values("above-cgroup-warn")
    assert memory_limit_bytes(container(pod_spec(objects), WORKLOAD_CONTAINER)) == 256 * MiB
    finished = node.run_pod(objects, rlimit_as=(256 * MiB, RLIM_INFINITY))
    installed(finished)
    job = finished[WORKLOAD_CONTAINER]
    assert (job.exit_code, job.stdout, job.termination_message) == (0, "1048576\n", "")
    golden.check("runc_chart/as-granted-above-the-cgroup-limit-warns.txt", job.stderr)


# --- the plain manifests in deploy/ ---------------------------------------------------------

@pytest.mark.sets_rlimit_as
def test_deploy_manifests_run_the_seed_job_as_kubectl_apply_k_sends_them(node: Node) -> None:
    """docs/containers.md, "Without Helm": what `kubectl apply -k deploy/` applies, run."""
    kubectl = shutil.which("kubectl") or str(REPO / ".tools" / "bin" / "kubectl")
    skip_unless(os.access(kubectl, os.X_OK), "kubectl is not installed: run "
                                             "scripts/setup-chart-tools.sh as root")
    text = subprocess.run([kubectl, "kustomize", str(REPO / "deploy")], capture_output=True,
                          text=True, check=True).stdout
    objects = parse_objects(text)
    assert sorted(o["kind"] for o in objects) == ["ConfigMap", "Job"]
    finished = node.run_pod(objects, rlimit_as=(256 * MiB, RLIM_INFINITY))
    installed(finished)
    job = finished[WORKLOAD_CONTAINER]
    assert (job.exit_code, job.stdout, job.termination_message) == (
        0, "allocated_bytes=314572800\n", ""), job
    golden.check(RAISED_TO_512_MIB, job.stderr)

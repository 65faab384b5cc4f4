# SPDX-License-Identifier: Apache-2.0
"""The chart's Job on a real containerd, driven through CRI as the kubelet drives it: the init
container copies rlimit-init into the emptyDir, the workload container runs the chart's command
under it with the policy from the ConfigMap and the memory limit, and writes its termination
message.

cri_node.py is the node; the runc tests (test_runc_*.py) keep what CRI cannot show here: a
node soft RLIMIT_AS below the 1 GiB or so that runc's seccomp set-up and containerd itself need.
Needs root, containerd, runc, python3-grpcio, python3-grpc-tools, helm and a writable cgroup v1
memory hierarchy (scripts/setup.sh --tests); without them the tests skip saying why, and fail
instead where RLIMIT_INIT_NO_SKIP=1 (CI).
"""

from __future__ import annotations

import re

import pytest

import golden
from chart_render import INIT_CONTAINER, REPO, WORKLOAD_CONTAINER, container, pod_spec, render
from cri_node import Kubelet, Pod, oci_default_spec
from runc_node import INSTALLED, GiB, MiB, VALUES as RUNC_VALUES

pytest_plugins = ["cri_fixtures"]

VALUES = REPO / "tests" / "cri" / "values"
NODE_SOFT_AS = 1536 * MiB
NODE_HARD_AS = 4 * GiB


def node_spec() -> dict:
    """The node's base_runtime_spec: `ctr oci spec` whose process.rlimits gives every container
    a soft RLIMIT_AS of 1536 MiB, hard 4 GiB."""
    spec = oci_default_spec()
    spec["process"]["rlimits"] = [{"type": "RLIMIT_AS", "soft": NODE_SOFT_AS,
                                   "hard": NODE_HARD_AS}]
    return spec


CONTAINERD_START = {"base_runtime_spec": node_spec()}


def installed(pod: Pod) -> None:
    init = pod.finished[INIT_CONTAINER]
    assert (init.exit_code, init.stdout) == (0, ""), init
    golden.check(INSTALLED, init.stderr)


@pytest.mark.sets_rlimit_as
def test_the_job_gets_its_soft_limit_raised_through_cri(kubelet: Kubelet) -> None:
    objects = render(VALUES / "map-2g.yaml")
    assert container(pod_spec(objects))["resources"]["limits"]["memory"] == "4Gi"
    pod = kubelet.run_pod(objects)
    installed(pod)
    job = pod.finished[WORKLOAD_CONTAINER]
    assert (job.exit_code, job.stdout, job.termination_message) == (
        0, f"mapped_bytes={2 * GiB}\n", ""), job
    golden.check("cri_chart/as-raised-from-the-base-spec-soft-limit.txt", job.stderr)


@pytest.mark.sets_rlimit_as
def test_the_job_without_rlimit_init_cannot_map_2_gib(kubelet: Kubelet) -> None:
    objects = render(VALUES / "map-2g.yaml")
    pod = kubelet.run_sandbox(objects)
    command = container(pod.spec)["command"]
    kubelet.start_container(pod, WORKLOAD_CONTAINER, command[command.index("--") + 1:])
    job = kubelet.wait(pod, WORKLOAD_CONTAINER)
    assert (job.exit_code, job.stdout, job.stderr.splitlines()[-1]) == (
        1, "", "OSError: [Errno 12] Cannot allocate memory")


@pytest.mark.sets_rlimit_as
def test_a_refusal_is_the_termination_message_kubelet_reads(kubelet: Kubelet) -> None:
    objects = render(VALUES / "map-2g.yaml", set_values=(
        "policy.addressSpace.request=5Gi", "resources.limits.memory=8Gi"))
    pod = kubelet.run_pod(objects)
    installed(pod)
    job = pod.finished[WORKLOAD_CONTAINER]
    assert (job.exit_code, job.stdout, job.reason) == (77, "", "Error")
    # What kubectl describe shows: the file, which holds the report the container wrote.
    assert job.termination_message == job.stderr
    golden.check("cri_chart/as-refused-above-the-base-spec-hard-limit.txt", job.stderr)


@pytest.mark.sets_rlimit_as
def test_kubectl_delete_stops_init_mode_with_143(kubelet: Kubelet) -> None:
    objects = render(RUNC_VALUES / "sigterm.yaml")
    pod = kubelet.start_pod(objects)
    installed(pod)
    # rlimit-init is PID 1 and the job its child.
    assert kubelet.read_line(pod, WORKLOAD_CONTAINER) == "ready, parent 1\n"
    stopped = kubelet.stop(pod, WORKLOAD_CONTAINER, grace_seconds=30)
    # 143: the job died of the SIGTERM rlimit-init passed on; 137 would be the grace period's
    # SIGKILL.
    assert (stopped.exit_code, stopped.stdout, stopped.reason) == (143, "ready, parent 1\n",
                                                                   "Error")


@pytest.mark.sets_rlimit_as
def test_the_memory_limit_the_refusal_names_lets_the_pod_run(kubelet: Kubelet) -> None:
    python = ("workload.image.repository=python", "workload.image.tag=3.11-slim-bookworm")
    objects = render(RUNC_VALUES / "memory-require.yaml", set_values=python)
    assert container(pod_spec(objects))["resources"]["limits"]["memory"] == "512Mi"
    pod = kubelet.run_pod(objects)
    installed(pod)
    refused = pod.finished[WORKLOAD_CONTAINER]
    assert refused.exit_code == 77, refused
    golden.check("cri_chart/memory-refused-below-memory-require.txt", refused.stderr)
    [fix] = [line for line in refused.stderr.splitlines() if line.startswith("  fix:")]
    # Followed: the chart rendered again with the quantity the line names.
    [quantity] = re.findall(r"to at least (\S+) ", fix)
    objects = render(RUNC_VALUES / "memory-require.yaml",
                     set_values=(*python, f"resources.limits.memory={quantity}"))
    pod = kubelet.run_pod(objects)
    installed(pod)
    job = pod.finished[WORKLOAD_CONTAINER]
    assert (job.exit_code, job.stdout) == (0, "the workload ran\n"), job.stderr
    golden.check("cri_chart/memory-passes-after-the-limit.txt", job.stderr)

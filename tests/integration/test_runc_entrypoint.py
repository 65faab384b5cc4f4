# SPDX-License-Identifier: Apache-2.0
"""rlimit-init as the ENTRYPOINT of a user's image, under runc: tests/runc/user-image/ as
`docker run --memory=` runs it under a containerd's RLIMIT_AS, and as the chart runs it in image
mode, without an init container.

runc_node.py plays the node. Needs root, runc, a writable cgroup v1 memory hierarchy at
/sys/fs/cgroup/memory and helm (scripts/setup-runc.sh and scripts/setup-chart-tools.sh install
them); without them the tests skip saying why, and fail instead where RLIMIT_INIT_NO_SKIP=1 (CI).
"""

from __future__ import annotations

import pytest

import golden
from chart_render import WORKLOAD_CONTAINER, container, pod_spec
from oci_image import repository
from runc_node import (GiB, MiB, RAISED_TO_512_MIB, RLIM_INFINITY, USER_IMAGE, Node,
                       render_values)

# The runtime, images and node fixtures.
pytest_plugins = ["runc_fixtures"]


@pytest.mark.sets_rlimit_as
def test_user_image_with_rlimit_init_as_entrypoint_runs_the_seed_job(node: Node) -> None:
    """docs/containers.md, "As the ENTRYPOINT of your image": tests/runc/user-image/ under
    docker run --memory=1g under a containerd with LimitAS=268435456:infinity."""
    job = node.docker_run(USER_IMAGE, ulimit_as=(256 * MiB, RLIM_INFINITY), memory=1 * GiB)
    assert (job.exit_code, job.stdout) == (0, "allocated_bytes=314572800\n"), job
    golden.check(RAISED_TO_512_MIB, job.stderr)


@pytest.mark.sets_rlimit_as
def test_user_image_refusal_names_the_docker_setting_to_change(node: Node) -> None:
    job = node.docker_run(USER_IMAGE, ulimit_as=(256 * MiB, 256 * MiB), memory=1 * GiB)
    assert (job.exit_code, job.stdout) == (77, "")
    golden.check("runc_entrypoint/user-image-refused-on-docker.txt", job.stderr)


@pytest.mark.sets_rlimit_as
def test_chart_image_mode_runs_the_user_image_without_an_init_container(node: Node) -> None:
    objects = render_values("image-mode")
    spec = pod_spec(objects)
    assert "initContainers" not in spec
    assert repository(container(spec, WORKLOAD_CONTAINER)["image"]) == USER_IMAGE
    finished = node.run_pod(objects, rlimit_as=(256 * MiB, RLIM_INFINITY))
    job = finished[WORKLOAD_CONTAINER]
    assert list(finished) == [WORKLOAD_CONTAINER]
    assert (job.exit_code, job.stdout, job.termination_message) == (
        0, "allocated_bytes=314572800\n", ""), job
    golden.check(RAISED_TO_512_MIB, job.stderr)

# SPDX-License-Identifier: Apache-2.0
"""The chart's `helm test` Pod under runc: it is the workload's pod running `rlimit-init check`,
so it decides what the workload will get. A policy naming a user is resolved in the workload
image's /etc/passwd (the rlimit-init image is FROM scratch and has none), and the Job itself
then runs as that user.

runc_node.py plays the node. Needs root, runc, a writable cgroup v1 memory hierarchy and helm
(scripts/setup-runc.sh and scripts/setup-chart-tools.sh); without them the tests skip saying
why, and fail instead where RLIMIT_INIT_NO_SKIP=1 (CI).
"""

from __future__ import annotations

import copy
import shutil
from pathlib import Path
from typing import Any, Iterator

import pytest

import golden
from chart_render import WORKLOAD_CONTAINER, find, is_test_hook
from oci_image import Image
from runc_node import MiB, RAISED_TO_512_MIB, RLIM_INFINITY, Node, installed, render_values

pytest_plugins = ["runc_fixtures"]

# A workload image with its own accounts: busybox with /etc/passwd and /etc/group.
BATCH_IMAGE = "registry.example.com/batch-with-users"


@pytest.fixture
def batch_image(images: dict[str, Image], tmp_path: Path) -> Iterator[None]:
    root = tmp_path / "batch-image"
    shutil.copytree(images["busybox"].template, root, symlinks=True)
    (root / "etc").mkdir(exist_ok=True)
    (root / "etc" / "passwd").write_text("root:x:0:0:root:/root:/bin/sh\n"
                                         "batch:x:1000:1000:batch job:/home/batch:/bin/sh\n")
    (root / "etc" / "group").write_text("root:x:0:\nbatch:x:1000:\n")
    images[BATCH_IMAGE] = Image(root)
    yield
    del images[BATCH_IMAGE]


def rendered(user: str) -> list[dict[str, Any]]:
    return render_values("raise-soft", (
        f"workload.image.repository={BATCH_IMAGE}", "workload.image.tag=1.0",
        "workload.command={sh,-c,id -un; ulimit -v}", f"policy.user={user}"))


def as_test_pod(objects: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The objects with the Job's pod replaced by the `helm test` Pod, for Node.run_pod."""
    swapped = copy.deepcopy(objects)
    [hook] = [o for o in swapped if is_test_hook(o)]
    find(swapped, "Job")[0]["spec"]["template"]["spec"] = hook["spec"]
    return swapped


@pytest.mark.sets_rlimit_as
def test_helm_test_resolves_a_named_user_in_the_workload_image(node: Node, batch_image) -> None:
    objects = rendered("batch")
    finished = node.run_pod(as_test_pod(objects), rlimit_as=(256 * MiB, RLIM_INFINITY))
    installed(finished)
    check = finished["check"]
    assert (check.exit_code, check.stderr) == (0, ""), check
    golden.check("runc_helm_test/would-raise-to-512-mib.txt", check.stdout)
    # And the Job does what the check said, as that user.
    finished = node.run_pod(objects, rlimit_as=(256 * MiB, RLIM_INFINITY))
    job = finished[WORKLOAD_CONTAINER]
    assert (job.exit_code, job.stdout) == (0, "batch\n524288\n")
    golden.check(RAISED_TO_512_MIB, job.stderr)
    assert job.stderr == check.stdout.replace("would raise", "raised")


@pytest.mark.sets_rlimit_as
def test_helm_test_fails_on_a_user_the_workload_image_lacks(node: Node, batch_image) -> None:
    finished = node.run_pod(as_test_pod(rendered("nosuch")), rlimit_as=(256 * MiB, RLIM_INFINITY))
    check = finished["check"]
    assert (check.exit_code, check.termination_message) == (78, check.stdout), check
    golden.check("runc_helm_test/user-not-in-the-image.txt", check.stdout)

# SPDX-License-Identifier: Apache-2.0
"""The fixtures of the test_runc_*.py files that run containers: `runtime` (runc and a cgroup
parent, one per session), `images` (unpacked once per session) and `node` (one per test).

A test module takes them with `pytest_plugins = ["runc_fixtures"]` and imports nothing from
here: loaded that way, pytest rewrites the asserts below, and one session shares the runtime
and the images however many modules ask for them.

They need root, runc and a writable cgroup v1 memory hierarchy at /sys/fs/cgroup/memory
(scripts/setup-runc.sh installs what is missing); without them they skip saying why, and fail
instead where RLIMIT_INIT_NO_SKIP=1 (CI).
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from conftest import skip_unless
from oci_image import (Image, build_image, build_rootfs, dockerfile_stages, image_user,
                       populate_busybox, populate_host_python)
from runc_node import MEMORY_CGROUP, SETUP_HINT, USER_IMAGE, USER_IMAGE_CONTEXT, Node, Runtime


@pytest.fixture(scope="session")
def runtime(tmp_path_factory: pytest.TempPathFactory):
    skip_unless(os.geteuid() == 0, f"runc containers need root (running as uid {os.geteuid()})")
    skip_unless(shutil.which("runc") is not None, f"runc is not installed: {SETUP_HINT}")
    skip_unless(os.access(MEMORY_CGROUP, os.W_OK),
                f"the cgroup v1 memory hierarchy is not writable at {MEMORY_CGROUP}")
    runtime = Runtime(tmp_path_factory.mktemp("runc"))
    yield runtime
    runtime.remove_cgroups()


@pytest.fixture(scope="session")
def images(runtime: Runtime, built_binary: Path,
           tmp_path_factory: pytest.TempPathFactory) -> dict[str, Image]:
    """The images the tests run, by repository: the rlimit-init image (build-rootfs.sh), busybox
    and python for the chart's workloads, and the user image of tests/runc/user-image/."""
    skip_unless(Path("/bin/busybox").is_file(), f"busybox-static is not installed: {SETUP_HINT}")
    skip_unless(Path("/usr/bin/python3").is_file(), f"python3 is not installed: {SETUP_HINT}")
    work = tmp_path_factory.mktemp("images")
    rlimit_init = work / "rlimit-init"
    done = build_rootfs(rlimit_init)
    assert done.returncode == 0, done.stderr
    final = dockerfile_stages()[-1]
    entrypoint = json.loads(next(i.arguments for i in final if i.keyword == "ENTRYPOINT"))
    busybox = work / "busybox"
    populate_busybox(busybox)
    python = work / "python"
    binds = populate_host_python(python)
    images = {"rlimit-init": Image(rlimit_init, user=image_user(), entrypoint=entrypoint),
              "busybox": Image(busybox), "python": Image(python, binds=binds)}
    images[USER_IMAGE] = build_image(USER_IMAGE_CONTEXT, images, work / "user-image")
    return images


@pytest.fixture
def node(runtime: Runtime, images: dict[str, Image], tmp_path: Path):
    node = Node(runtime, images, tmp_path)
    yield node
    node.cleanup()

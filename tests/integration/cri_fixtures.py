# SPDX-License-Identifier: Apache-2.0
"""The fixtures of the test_cri_*.py files: `cri_images` (the images as OCI archives, built once
per session), `containerd` (one containerd per test module, stopped and cleaned up at the
module's end whatever happened) and `kubelet` (the CRI client for it).

A test module takes them with `pytest_plugins = ["cri_fixtures"]`. They need root, Debian's
containerd, runc, python3-grpcio and python3-grpc-tools, helm and a writable cgroup v1 memory
hierarchy (scripts/setup.sh --tests installs them); without them they skip saying why, and fail
instead where RLIMIT_INIT_NO_SKIP=1 (CI).
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
from pathlib import Path
from typing import Any, Iterator

import pytest

from conftest import skip_unless
from cri_node import MEMORY_CGROUP, SANDBOX_IMAGE, SETUP_HINT, Containerd, Kubelet, stubs
from oci_archive import write_oci_archive
from oci_image import (Image, build_rootfs, dockerfile_stages, image_user, populate_busybox,
                       populate_host_python)

# The chart's image names, as CRI stores them.
RLIMIT_INIT_IMAGE = "docker.io/library/rlimit-init:0.1.0"
PYTHON_IMAGE = "docker.io/library/python:3.11-slim-bookworm"


@pytest.fixture(scope="session")
def cri_api(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, Any]:
    skip_unless(os.geteuid() == 0, f"containerd needs root (running as uid {os.geteuid()})")
    for tool in ("containerd", "ctr", "containerd-shim-runc-v2", "runc", "prlimit"):
        skip_unless(shutil.which(tool) is not None, f"{tool} is not installed: {SETUP_HINT}")
    for module in ("grpc", "grpc_tools"):
        skip_unless(importlib.util.find_spec(module) is not None,
                    f"python module {module} is missing: {SETUP_HINT}")
    skip_unless(os.access(MEMORY_CGROUP, os.W_OK),
                f"the cgroup v1 memory hierarchy is not writable at {MEMORY_CGROUP}")
    return stubs(tmp_path_factory.mktemp("cri-stubs"))


@pytest.fixture(scope="session")
def cri_images(cri_api: tuple[Any, Any], built_binary: Path,
               tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """{"archives": {reference: OCI archive}, "python_binds": [host paths]}."""
    work = tmp_path_factory.mktemp("cri-images")
    rlimit_init = work / "rlimit-init"
    done = build_rootfs(rlimit_init)
    assert done.returncode == 0, done.stderr
    entrypoint = json.loads(next(i.arguments for i in dockerfile_stages()[-1]
                                 if i.keyword == "ENTRYPOINT"))
    busybox = work / "busybox"
    populate_busybox(busybox)
    python = work / "python"
    binds = populate_host_python(python)
    archives = {RLIMIT_INIT_IMAGE: work / "rlimit-init.tar",
                SANDBOX_IMAGE: work / "busybox.tar", PYTHON_IMAGE: work / "python.tar"}
    write_oci_archive(Image(rlimit_init, user=image_user(), entrypoint=entrypoint),
                      RLIMIT_INIT_IMAGE, archives[RLIMIT_INIT_IMAGE])
    # The pause container: sleeps until the sandbox is stopped.
    write_oci_archive(Image(busybox, entrypoint=["/bin/sleep", "2147483647"]), SANDBOX_IMAGE,
                      archives[SANDBOX_IMAGE])
    write_oci_archive(Image(python), PYTHON_IMAGE, archives[PYTHON_IMAGE])
    return {"archives": archives, "python_binds": binds}


@pytest.fixture(scope="module")
def containerd(request: pytest.FixtureRequest, cri_api: tuple[Any, Any],
               cri_images: dict[str, Any],
               tmp_path_factory: pytest.TempPathFactory) -> Iterator[Containerd]:
    """One containerd for the module, started with the module's CONTAINERD_START (keyword
    arguments of Containerd.start: prlimit options, a base_runtime_spec), else with no
    base_runtime_spec and the limits of the test process; a test that needs others restarts
    it (Containerd.restart)."""
    node = Containerd(tmp_path_factory.mktemp("containerd"), cri_api, cri_images["archives"])
    try:
        node.start(**getattr(request.module, "CONTAINERD_START", {}))
        yield node
    finally:
        node.stop()


@pytest.fixture
def kubelet(containerd: Containerd, cri_images: dict[str, Any]) -> Iterator[Kubelet]:
    """The CRI client; the pods a test ran are removed after it."""
    client = Kubelet(containerd, cri_images["python_binds"])
    yield client
    if containerd.process is not None and containerd.process.poll() is None:
        for pod in client.pods:
            client.remove_pod(pod)

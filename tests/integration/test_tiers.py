# SPDX-License-Identifier: Apache-2.0
"""The CTest tiers, as CTest itself lists them for the build under test: every entry has one
tier label, a black-box file that starts containers is never in the host tier (which
`scripts/test.sh --fast` runs, side by side), and only host and unit entries run in parallel.

Which files start containers is read from their code, the ways they get one: the fixtures of
runc and CRI (`pytest_plugins = ["runc_fixtures"]`, `["cri_fixtures"]`), the modules that start
podman and Slurm, or a command line that starts with an engine's own tool.
"""

from __future__ import annotations

import ast
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import BINARY, REPO, skip_unless

TIERS = {"unit", "host", "containers", "vm", "image"}
# Importing one of these starts a container engine or a cluster.
STARTS_CONTAINERS = {"slurm_cluster", "podman_engine", "test_podman", "test_slurm"}
# A command line (a list literal, argv) that starts with one of these runs an engine.
ENGINES = {"podman", "buildah", "runc", "containerd", "ctr", "crictl", "srun", "sbatch", "qemu"}


@pytest.fixture(scope="module")
def entries() -> dict[str, dict]:
    """CTest's entries for the build directory of the binary under test, by name."""
    build = BINARY.parent
    skip_unless((build / "CTestTestfile.cmake").is_file(),
                f"{build} is not a CMake build directory with tests (RLIMIT_INIT_BIN={BINARY})")
    ctest = shutil.which("ctest")
    skip_unless(ctest is not None, "ctest (cmake) is not installed")
    listed = subprocess.run([ctest, "--show-only=json-v1"], cwd=build, capture_output=True,
                            text=True, check=True, timeout=60)
    tests = json.loads(listed.stdout)["tests"]
    return {t["name"]: {p["name"]: p["value"] for p in t.get("properties", [])} for t in tests}


def starts_containers(path: Path) -> bool:
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module in STARTS_CONTAINERS:
            return True
        if isinstance(node, ast.Import) and {a.name for a in node.names} & STARTS_CONTAINERS:
            return True
        if (isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "pytest_plugins"
                                                 for t in node.targets)):
            plugins = ast.literal_eval(node.value)
            if any(name.endswith("_fixtures") for name in plugins):
                return True
        if (isinstance(node, ast.List) and node.elts
                and isinstance(node.elts[0], ast.Constant) and node.elts[0].value in ENGINES):
            return True
    return False


def test_every_entry_has_exactly_one_tier(entries: dict[str, dict]) -> None:
    untiered = {name: props.get("LABELS") for name, props in entries.items()
                if len(set(props.get("LABELS", [])) & TIERS) != 1}
    assert untiered == {}


def test_only_unit_and_host_entries_run_side_by_side(entries: dict[str, dict]) -> None:
    serial = {name: props["LABELS"][0] for name, props in entries.items()
              if props.get("RUN_SERIAL", False)}
    parallel = {name: props["LABELS"][0] for name, props in entries.items()
                if not props.get("RUN_SERIAL", False)}
    assert set(serial.values()) <= {"containers", "vm", "image"}
    assert set(parallel.values()) <= {"unit", "host"}


def test_files_that_start_containers_are_not_in_the_host_tier(entries: dict[str, dict]) -> None:
    files = sorted((REPO / "tests" / "integration").glob("test_*.py"))
    tier = {path.stem: entries.get(f"integration.{path.stem}", {}).get("LABELS", ["vm"])[0]
            for path in files}
    containers = {name for name, label in tier.items() if label in ("containers", "image")}
    started = {path.stem for path in files if starts_containers(path)}
    assert containers == started
    assert {name for name, label in tier.items() if label == "vm"} == {
        path.stem for path in files if path.stem.startswith("test_vm_")}

# SPDX-License-Identifier: Apache-2.0
"""The rlimit-init image: the Dockerfile, and scripts/build-rootfs.sh, which writes its final
stage's filesystem (the one the runc tests run).

The lint needs tests/runc/node_modules and the init container check needs helm
(scripts/setup-runc.sh and scripts/setup-chart-tools.sh install them); without them the tests
skip saying why, and fail instead where RLIMIT_INIT_NO_SKIP=1 (CI).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from chart_render import INIT_CONTAINER, REPO, container, pod_spec
from conftest import BINARY, skip_unless
from oci_image import DOCKERFILE, build_rootfs, dockerfile_stages, image_user, parse_dockerfile
from runc_node import RUNC_TESTS, SETUP_HINT, render_values

DOCKERFILE_LINT = RUNC_TESTS / "node_modules" / ".bin" / "dockerfile-utils"


# --- the Dockerfile ---------------------------------------------------------------------------

def test_dockerfile_parser_joins_continuations_and_splits_stages() -> None:
    stages = parse_dockerfile(
        "# syntax comment\nFROM a AS one\nRUN x \\\n    && y\n\nFROM scratch\n"
        "COPY --from=one /b /b\n")
    assert [[(i.keyword, i.arguments) for i in stage] for stage in stages] == [
        [("FROM", "a AS one"), ("RUN", "x && y")],
        [("FROM", "scratch"), ("COPY", "--from=one /b /b")],
    ]


def test_dockerfile_final_stage_is_the_binary_alone_run_as_non_root() -> None:
    final = dockerfile_stages()[-1]
    assert [(i.keyword, i.arguments) for i in final if i.keyword not in ("ARG", "LABEL")] == [
        ("FROM", "scratch"),
        ("COPY", "--from=build /rootfs/rlimit-init /rlimit-init"),
        ("USER", "65532:65532"),
        ("ENTRYPOINT", '["/rlimit-init"]'),
    ]


def test_dockerfile_build_stage_builds_the_binary_alone_for_build_rootfs() -> None:
    """The final stage copies what build-rootfs.sh wrote in the build stage, so the rootfs these
    tests run is the image's filesystem. The build stage installs and builds what the binary
    needs and no more (the unit tests run elsewhere in CI, on the same Debian toolchain), in one
    RUN after the install."""
    stages = dockerfile_stages()
    assert len(stages) == 2
    build = stages[0]
    assert (build[0].keyword, build[0].arguments) == ("FROM", "debian:bookworm AS build")
    runs = [i.arguments for i in build if i.keyword == "RUN"]
    assert len(runs) == 2
    install, compile_and_write = runs
    packages = set(install.split(" && ")[1].split()[5:])
    assert packages == {"g++", "cmake", "make", "libyaml-cpp-dev", "libboost-program-options-dev",
                        "nlohmann-json3-dev", "file"}
    assert compile_and_write.split(" && ") == [
        "cd /src",
        'cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DRLIMIT_INIT_TESTS=OFF '
        '-DRLIMIT_INIT_COMMIT="${REVISION}"',
        'cmake --build build --target rlimit-init -j"$(nproc)"',
        "scripts/build-rootfs.sh --binary build/rlimit-init /rootfs"]


def test_dockerfile_user_and_entrypoint_match_the_charts_init_container() -> None:
    init = container(pod_spec(render_values("raise-soft")), INIT_CONTAINER)
    assert init["command"][0] == "/rlimit-init"
    context = init["securityContext"]
    assert (context["runAsUser"], context["runAsGroup"]) == image_user() == (65532, 65532)


def test_dockerfile_passes_dockerfile_utils_lint() -> None:
    skip_unless(os.access(DOCKERFILE_LINT, os.X_OK),
            f"{DOCKERFILE_LINT.relative_to(REPO)} is missing: {SETUP_HINT}")
    done = subprocess.run([str(DOCKERFILE_LINT), "lint", "--json", str(DOCKERFILE)],
                          capture_output=True, text=True, check=False)
    assert (done.returncode, json.loads(done.stdout)) == (0, []), done.stdout + done.stderr


# --- scripts/build-rootfs.sh ----------------------------------------------------------------

@pytest.mark.static_binary
def test_build_rootfs_writes_only_the_stripped_static_binary(tmp_path: Path,
                                                             built_binary: Path) -> None:
    out = tmp_path / "rootfs"
    done = build_rootfs(out)
    assert done.returncode == 0, done.stderr
    target = out / "rlimit-init"
    assert done.stdout == (f"build-rootfs: wrote {target} ({target.stat().st_size} bytes, "
                           "stripped, statically linked)\n")
    assert [p.name for p in out.iterdir()] == ["rlimit-init"]
    assert target.stat().st_mode & 0o7777 == 0o755
    description = subprocess.run(["file", "-b", str(target)], capture_output=True, text=True,
                                 check=True).stdout
    assert "statically linked" in description and description.rstrip().endswith(", stripped")
    versions = [subprocess.run([str(b), "--version"], capture_output=True, text=True,
                               check=True).stdout for b in (BINARY, target)]
    assert versions[0] == versions[1]
    # Again into the same directory: replaced, nothing else left behind.
    assert build_rootfs(out).returncode == 0
    assert [p.name for p in out.iterdir()] == ["rlimit-init"]


def test_build_rootfs_refuses_a_dynamically_linked_binary(tmp_path: Path) -> None:
    dynamic = Path(shutil.which("ls") or "/bin/ls").resolve()
    done = build_rootfs(tmp_path / "rootfs", dynamic)
    description = subprocess.run(["file", "-b", str(dynamic)], capture_output=True, text=True,
                                 check=True).stdout.strip()
    assert (done.returncode, done.stderr) == (
        1, f"build-rootfs: {dynamic} is not statically linked ({description}): configure with "
           "-DRLIMIT_INIT_STATIC=ON\n")
    assert not (tmp_path / "rootfs" / "rlimit-init").exists()


@pytest.mark.static_binary
def test_build_rootfs_refuses_a_directory_holding_anything_else(tmp_path: Path,
                                                                built_binary: Path) -> None:
    (tmp_path / "config.json").write_text("{}")
    done = build_rootfs(tmp_path)
    assert (done.returncode, done.stderr) == (
        1, f"build-rootfs: {tmp_path} holds config.json: the image has only /rlimit-init; give "
           "an empty or new directory\n")

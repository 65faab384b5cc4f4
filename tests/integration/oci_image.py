# SPDX-License-Identifier: Apache-2.0
"""Images as the runc tests have them: the Dockerfile read as a builder reads it, and images
unpacked on the node's disk the way a container runtime unpacks them.

    final = dockerfile_stages()[-1]       # the rlimit-init image: FROM scratch, COPY, USER, ...
    build_rootfs(out)                     # scripts/build-rootfs.sh, the final stage's filesystem
    image = build_image(context, images, out)   # a single-stage Dockerfile on unpacked images

No tests here: test_runc_image.py checks the Dockerfile and build-rootfs.sh, and runc_node.py
runs containers from these images.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from chart_render import REPO
from conftest import BINARY

DOCKERFILE = REPO / "Dockerfile"
BUILD_ROOTFS = REPO / "scripts" / "build-rootfs.sh"


# --- the Dockerfile ---------------------------------------------------------------------------

@dataclass
class Instruction:
    keyword: str  # upper case
    arguments: str  # as written, continuation lines joined with single spaces


def parse_dockerfile(text: str) -> list[list[Instruction]]:
    """The stages of a Dockerfile, each a list of instructions starting with its FROM."""
    instructions: list[Instruction] = []
    pending = ""
    for line in text.splitlines():
        stripped = line.strip()
        if not pending and (not stripped or stripped.startswith("#")):
            continue
        if pending and stripped.startswith("#"):
            continue  # comments inside a continued instruction are dropped by the builder too
        if stripped.endswith("\\"):
            pending += stripped[:-1].strip() + " "
            continue
        whole = (pending + stripped).strip()
        pending = ""
        keyword, _, arguments = whole.partition(" ")
        instructions.append(Instruction(keyword.upper(), " ".join(arguments.split())))
    assert not pending, "the Dockerfile ends inside a continued line"
    stages: list[list[Instruction]] = []
    for instruction in instructions:
        if instruction.keyword == "FROM":
            stages.append([])
        assert stages, f"{instruction.keyword} before the first FROM"
        stages[-1].append(instruction)
    return stages


def dockerfile_stages() -> list[list[Instruction]]:
    return parse_dockerfile(DOCKERFILE.read_text())


def image_user() -> tuple[int, int]:
    """The final stage's USER, as the runtime runs it when a pod names no user."""
    users = [i.arguments for i in dockerfile_stages()[-1] if i.keyword == "USER"]
    assert len(users) == 1, "the final stage should set USER once"
    uid, gid = users[0].split(":")
    return int(uid), int(gid)


# --- scripts/build-rootfs.sh ----------------------------------------------------------------

def build_rootfs(out: Path, binary: Path = BINARY) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", str(BUILD_ROOTFS), "--binary", str(binary), str(out)],
                          capture_output=True, text=True, check=False)


# --- images unpacked on the node ------------------------------------------------------------

def repository(reference: str) -> str:
    """An image reference without its tag: "registry:5000/a/b:1.0" -> "registry:5000/a/b"."""
    name, _, tag = reference.rpartition(":")
    return name if name and "/" not in tag else reference


@dataclass
class Image:
    """An image as a node has it unpacked: a root filesystem to copy into each bundle, host
    directories bound read-only in place of some of its layers, and its config."""
    template: Path
    binds: list[str] = field(default_factory=list)
    user: tuple[int, int] = (0, 0)
    entrypoint: list[str] = field(default_factory=list)
    cmd: list[str] = field(default_factory=list)


def populate_busybox(root: Path) -> None:
    """busybox-static and a link per applet, as the busybox image lays them out."""
    busybox = Path("/bin/busybox")
    (root / "bin").mkdir(parents=True)
    shutil.copy2(busybox, root / "bin" / "busybox")
    applets = subprocess.run([str(busybox), "--list"], capture_output=True, text=True,
                             check=True).stdout.split()
    for applet in applets:
        if applet != "busybox":
            (root / "bin" / applet).symlink_to("busybox")


def populate_host_python(root: Path) -> list[str]:
    """The host's python3: /usr/bin, /usr/lib and their siblings bound read-only, the
    merged-/usr links beside them (or binds, where the host has directories instead), and an
    empty /usr/local of the image's own for what a Dockerfile adds. Returns the bind targets."""
    binds = [f"/usr/{name}" for name in ("bin", "sbin", "lib", "lib64", "libexec")
             if Path("/usr", name).is_dir() and not Path("/usr", name).is_symlink()]
    for target in binds:
        (root / target.lstrip("/")).mkdir(parents=True)
    (root / "usr" / "local" / "bin").mkdir(parents=True)
    for name in ("bin", "sbin", "lib", "lib64"):
        host = Path("/") / name
        if host.is_symlink():
            (root / name).symlink_to(os.readlink(host))
        elif host.is_dir():
            (root / name).mkdir()
            binds.append(str(host))
    for name in ("etc", "tmp"):
        (root / name).mkdir()
    (root / "tmp").chmod(0o1777)
    return binds


def build_image(context: Path, images: dict[str, Image], out: Path) -> Image:
    """Builds a single-stage Dockerfile of FROM, COPY (from the context or --from an image),
    ENTRYPOINT and CMD as an image builder would, on top of the unpacked images."""
    [stage] = parse_dockerfile((context / "Dockerfile").read_text())
    base = images[repository(stage[0].arguments)]
    shutil.copytree(base.template, out, symlinks=True)
    image = Image(out, binds=list(base.binds), user=base.user)
    for instruction in stage[1:]:
        words = instruction.arguments.split()
        if instruction.keyword == "COPY":
            source_root = context
            if words[0].startswith("--from="):
                source_root = images[repository(words.pop(0).removeprefix("--from="))].template
            source, destination = words
            target = out / destination.lstrip("/")
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source_root / source.lstrip("/"), target)
        elif instruction.keyword == "ENTRYPOINT":
            image.entrypoint = json.loads(instruction.arguments)
        elif instruction.keyword == "CMD":
            image.cmd = json.loads(instruction.arguments)
        else:
            raise AssertionError(f"build_image does not do {instruction.keyword}")
    return image

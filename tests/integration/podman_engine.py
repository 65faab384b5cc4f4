# SPDX-License-Identifier: Apache-2.0
"""A real container engine for test_image.py: buildah builds, podman runs, both configured by
scripts/setup-podman.sh (vfs storage, runc, default_ulimits within this host's limits, no
registry: nothing is pulled).

    engine = Engine.start()                  # skips, saying why, without root or podman
    engine.import_base()                     # debian:bookworm from scripts/bookworm-base.sh
    engine.build(context, tag)               # buildah bud --isolation chroot --pull-never
    engine.run(image, args, memory=1 * GIB)  # podman run --rm --network none --memory ...

Every step's time is kept in engine.steps, which test_image.py prints at the end of the module
(in CTest's log), never in an assertion.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from conftest import REPO, require_root, skip_unless

SETUP_PODMAN = REPO / "scripts" / "setup-podman.sh"
BOOKWORM_BASE = REPO / "scripts" / "bookworm-base.sh"
# The name the Dockerfile's FROM resolves to; docker.io/library/ is where Docker would pull it.
DEBIAN_BOOKWORM = "docker.io/library/debian:bookworm"
BASE_LABEL = "org.rlimit-init.base-tarball"
# A guard against a hang, not a speed assertion: a build under load takes up to ~15 minutes.
BUILD_GUARD = 3600
RUN_GUARD = 120


@dataclass
class Ran:
    exit_code: int
    stdout: str
    stderr: str


class Engine:
    def __init__(self, env: dict[str, str]) -> None:
        self.env = env
        self.steps: list[str] = []

    def log_step(self, what: str, seconds: float) -> None:
        self.steps.append(f"{seconds:6.1f} s  {what}")

    @classmethod
    def start(cls) -> "Engine":
        require_root("building and running images with buildah and podman")
        for tool in ("podman", "buildah", "mmdebstrap"):
            skip_unless(shutil.which(tool) is not None,
                        f"{tool} is missing: scripts/setup-podman.sh installs it")
        exports = subprocess.run(["bash", str(SETUP_PODMAN), "--env"], capture_output=True,
                                 text=True, check=True).stdout
        env = dict(os.environ)
        env.update(re.findall(r"^export ([A-Z_]+)=(.*)$", exports, re.MULTILINE))
        skip_unless(Path(env["CONTAINERS_CONF"]).is_file(),
                    f"{env['CONTAINERS_CONF']} is missing: run scripts/setup-podman.sh")
        return cls(env)

    def tool(self, *args: str, timeout: float = RUN_GUARD) -> subprocess.CompletedProcess:
        return subprocess.run(list(args), capture_output=True, text=True, env=self.env,
                              stdin=subprocess.DEVNULL, timeout=timeout)

    def checked(self, *args: str, timeout: float = RUN_GUARD) -> str:
        done = self.tool(*args, timeout=timeout)
        assert done.returncode == 0, f"{' '.join(args)}: {done.returncode}\n{done.stdout}\n{done.stderr}"
        return done.stdout

    def label(self, image: str, name: str) -> str | None:
        done = self.tool("podman", "image", "inspect", "--format",
                         f'{{{{index .Labels "{name}"}}}}', image)
        return done.stdout.strip() if done.returncode == 0 else None

    def import_base(self) -> None:
        """debian:bookworm as `podman import` of a fresh minbase bookworm tarball (cached by
        scripts/bookworm-base.sh); imported again only when the tarball changes."""
        started = time.monotonic()
        tarball = subprocess.run(["bash", str(BOOKWORM_BASE)], capture_output=True, text=True,
                                 check=True, timeout=BUILD_GUARD).stdout.strip()
        self.log_step(f"bookworm-base.sh ({tarball})", time.monotonic() - started)
        if self.label(DEBIAN_BOOKWORM, BASE_LABEL) == Path(tarball).name:
            return
        started = time.monotonic()
        self.checked("podman", "import", "--quiet", "--change",
                     f"LABEL {BASE_LABEL}={Path(tarball).name}", "--change", 'CMD ["bash"]',
                     tarball, DEBIAN_BOOKWORM, timeout=BUILD_GUARD)
        self.log_step(f"podman import as {DEBIAN_BOOKWORM}", time.monotonic() - started)

    def build(self, context: Path, tag: str, dockerfile: Path | None = None,
              build_args: dict[str, str] | None = None) -> None:
        """buildah bud as the issue tried it, with --build-arg NAME=VALUE for each of
        `build_args`; --layers lets an unchanged context reuse the previous build's layers, and a
        fresh machine builds everything."""
        started = time.monotonic()
        args = [f"--build-arg={name}={value}" for name, value in (build_args or {}).items()]
        self.checked("buildah", "bud", "--isolation", "chroot", "--network", "host",
                     "--pull-never", "--layers", "--quiet", *args, "-t", tag,
                     "-f", str(dockerfile or context / "Dockerfile"), str(context),
                     timeout=BUILD_GUARD)
        self.log_step(f"buildah bud {tag}", time.monotonic() - started)

    def run(self, image: str, args: list[str], *, memory: int,
            inherited_as: tuple[int, int] | None = None, entrypoint: str | None = None) -> Ran:
        """[prlimit --as=SOFT:HARD] podman run --rm --network none --memory MEMORY
        [--entrypoint ENTRYPOINT] IMAGE ARGS. podman has no --ulimit as= (test_image.py shows
        it refuses one), so an address-space limit reaches the container the way it does in
        production, inherited through podman, conmon and runc; podman, a Go program, needs a
        soft limit of at least 2 GiB to start."""
        command = ["podman", "run", "--rm", "--network", "none", f"--memory={memory}"]
        if entrypoint is not None:
            command.append(f"--entrypoint={entrypoint}")
        if inherited_as is not None:
            command = ["prlimit", f"--as={inherited_as[0]}:{inherited_as[1]}"] + command
        started = time.monotonic()
        done = self.tool(*command, image, *args)
        self.log_step(f"podman run {image} {' '.join(args)}", time.monotonic() - started)
        return Ran(done.returncode, done.stdout, done.stderr)

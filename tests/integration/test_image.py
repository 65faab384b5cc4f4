# SPDX-License-Identifier: Apache-2.0
"""The project's Dockerfile built by a real engine and the image run by a real one: buildah
builds ./Dockerfile as written on a debian:bookworm imported from a fresh mmdebstrap minbase
root (the build stage apt-installs and builds the binary), podman runs the image with
--memory 1g under runc, and tests/runc/user-image/Dockerfile (the README's "your own image")
is built on top of it with COPY --from and runs the seed job.

No registry is reachable here, so python:3.11-slim-bookworm is a local STAND-IN built from
tests/image/python-stand-in/Dockerfile: Debian bookworm with Debian's python3 (3.11.2), not
the Docker Hub image.

Needs root, podman, buildah and mmdebstrap configured by scripts/setup-podman.sh, and the
package mirror; without them the tests skip saying why, and fail instead where
RLIMIT_INIT_NO_SKIP=1 (CI). The first run on a machine takes minutes (the base tarball, the
build stage's apt-get and compile); podman_engine.py logs each step's time.
"""

from __future__ import annotations

import io
import re
import stat
import subprocess
import tarfile
from collections.abc import Iterator

import pytest

import golden
from conftest import REPO
from expected import GIB, MIB, project_version, source_commit
from oci_image import dockerfile_stages, image_user
from podman_engine import Engine

USER_IMAGE_DIR = REPO / "tests" / "runc" / "user-image"
STAND_IN_DIR = REPO / "tests" / "image" / "python-stand-in"
PYTHON_BASE = "docker.io/library/python:3.11-slim-bookworm"
PYTHON_JOB = "localhost/rlimit-init-test/python-job:latest"
UNLIMITED = "unlimited"


def rlimit_init_image() -> str:
    """The name the user image copies from (COPY --from=rlimit-init:0.1.0), as built here."""
    copy = next(line for line in (USER_IMAGE_DIR / "Dockerfile").read_text().splitlines()
                if line.startswith("COPY --from="))
    return "localhost/" + copy.split()[1].removeprefix("--from=")


@pytest.fixture(scope="module")
def revision() -> str:
    """The commit the image is built from, read once: HEAD may move while the build runs."""
    return source_commit()


@pytest.fixture(scope="module")
def engine(request: pytest.FixtureRequest, revision: str) -> Iterator[Engine]:
    engine = Engine.start()
    try:
        engine.import_base()
        # As the Dockerfile's header builds it: REVISION names the commit.
        engine.build(REPO, rlimit_init_image(), build_args={"REVISION": revision})
        yield engine
    finally:
        # Each step's time, on the terminal (CTest's log) whatever the outcome.
        reporter = request.config.pluginmanager.get_plugin("terminalreporter")
        for line in ["", "test_image.py steps:"] + engine.steps:
            reporter.write_line(line)


@pytest.fixture(scope="module")
def python_job(engine: Engine) -> str:
    engine.build(STAND_IN_DIR, PYTHON_BASE)
    engine.build(USER_IMAGE_DIR, PYTHON_JOB)
    return PYTHON_JOB


# The goldens of rlimit-init's reports in podman run --memory 1g (or 4g). The cgroup memory
# limit they name is read from /sys/fs/cgroup/memory/memory.limit_in_bytes: on this cgroup v1
# host podman mounts the container's own memory cgroup there, whose limit is --memory.
# A request of 512Mi under the unlimited address space podman gives: nothing to raise, and the
# inherited limit is above the 1 GiB cgroup limit.
LEFT_UNDER_1_GIB = "image/as-left-unlimited-under-1-gib.txt"
# --as 3Gi under an inherited soft 2 GiB, hard unlimited, and --memory 4g.
RAISED_UNDER_4_GIB = "image/as-raised-from-2-gib-to-3-gib-under-4-gib.txt"
# inspect's address-space line and its memory lines under --memory 1g.
INSPECT_UNDER_1_GIB = "image/inspect-under-1-gib.txt"


def inspect_lines(inspect_output: str) -> str:
    """The lines of inspect that say what the image sees of podman: the address space, the
    cgroup memory limit, the ceiling and the layer."""
    return "".join(line + "\n" for line in inspect_output.splitlines()
                   if line.startswith(("address space (RLIMIT_AS):", "cgroup memory limit:",
                                       "memory ceiling:", "layer:")))


# --- the image as built ---------------------------------------------------------------------

def test_image_holds_the_static_binary_alone_with_the_dockerfiles_user_and_entrypoint(
        engine: Engine) -> None:
    image = rlimit_init_image()
    config = engine.checked("podman", "image", "inspect", "--format",
                            "{{json .Config.Entrypoint}} {{.Config.User}} {{.Os}}", image)
    assert config == '["/rlimit-init"] %d:%d linux\n' % image_user()
    assert dockerfile_stages()[-1][0].arguments == "scratch"
    container = engine.checked("podman", "create", image).strip()
    try:
        exported = subprocess.run(["podman", "export", container], capture_output=True,
                                  env=engine.env, check=True).stdout
    finally:
        engine.checked("podman", "rm", container)
    with tarfile.open(fileobj=io.BytesIO(exported)) as tar:
        files = {m.name: m for m in tar.getmembers() if not m.isdir()}
    assert list(files) == ["rlimit-init"]
    assert stat.S_IMODE(files["rlimit-init"].mode) == 0o755


def test_image_names_the_commit_it_was_built_from(engine: Engine, revision: str) -> None:
    """REVISION reaches both the OCI label and the binary's --version (the build context has no
    .git, so without it the binary would say `commit unknown`)."""
    assert re.fullmatch(r"[0-9a-f]{40}", revision), revision
    image = rlimit_init_image()
    assert engine.label(image, "org.opencontainers.image.revision") == revision
    ran = engine.run(image, ["--version"], memory=1 * GIB)
    assert (ran.exit_code, ran.stderr) == (0, ""), ran
    golden.check("image/version.txt", ran.stdout,
                 {revision: "{revision}", project_version(): "{project version}"})


# --- podman run --memory 1g: the ENTRYPOINT, the cgroup limit, check, inspect, a refusal -----

def test_entrypoint_sees_the_memory_limit_and_execs_the_workload(engine: Engine) -> None:
    """The image's ENTRYPOINT with a workload that shows what it was given: the binary itself,
    running inspect in the same container."""
    ran = engine.run(rlimit_init_image(), ["--as", "512Mi", "--", "/rlimit-init", "inspect"],
                     memory=1 * GIB)
    assert ran.exit_code == 0, ran
    golden.check(LEFT_UNDER_1_GIB, ran.stderr)
    golden.check(INSPECT_UNDER_1_GIB, inspect_lines(ran.stdout))


def test_check_sees_the_cgroup_memory_limit(engine: Engine) -> None:
    ran = engine.run(rlimit_init_image(), ["check", "--as", "512Mi"], memory=1 * GIB)
    assert ran.exit_code == 0, ran
    golden.check("image/check-would-leave-unlimited-under-1-gib.txt", ran.stdout + ran.stderr)


def test_inspect_reports_the_cgroup_limit_and_the_podman_layer(engine: Engine) -> None:
    ran = engine.run(rlimit_init_image(), ["inspect"], memory=1 * GIB)
    assert (ran.exit_code, ran.stderr) == (0, ""), ran
    golden.check(INSPECT_UNDER_1_GIB, inspect_lines(ran.stdout))


@pytest.mark.sets_rlimit_as
def test_entrypoint_raises_a_soft_limit_inherited_through_podman(engine: Engine) -> None:
    ran = engine.run(rlimit_init_image(), ["--as", "3Gi", "--", "/rlimit-init", "inspect"],
                     memory=4 * GIB, inherited_as=(2 * GIB, UNLIMITED))
    assert ran.exit_code == 0, ran
    golden.check(RAISED_UNDER_4_GIB, ran.stderr)
    golden.check("image/inspect-after-the-raise-under-4-gib.txt", inspect_lines(ran.stdout))


@pytest.mark.sets_rlimit_as
def test_refusal_exits_77_and_runs_nothing(engine: Engine) -> None:
    ran = engine.run(rlimit_init_image(), ["--as", "3Gi", "--", "/rlimit-init", "inspect"],
                     memory=4 * GIB, inherited_as=(2 * GIB, 2 * GIB))
    assert (ran.exit_code, ran.stdout) == (77, ""), ran
    golden.check("image/as-refused-hard-limit-inherited-through-podman.txt", ran.stderr)


def test_podman_has_no_ulimit_for_the_address_space(engine: Engine) -> None:
    """Why the tests above hand the limit down through podman's own process: podman 4.3.1
    refuses --ulimit as= (as the Docker CLI does), so no flag gives one container its own."""
    done = engine.tool("podman", "run", "--rm", "--ulimit=as=536870912:536870912",
                       rlimit_init_image(), "inspect")
    assert (done.returncode, done.stderr) == (
        125, 'Error: ulimit option "as=536870912:536870912" requires name=SOFT:HARD, failed to '
        "be parsed: invalid ulimit type: as\n")


# --- the README's "your own image", built FROM the stand-in python base -----------------------

def test_user_image_runs_the_seed_job(python_job: str, engine: Engine) -> None:
    """tests/runc/user-image/Dockerfile as written, on the stand-in base. The seed's 256 MiB
    inherited limit cannot reach a podman container (podman needs 2 GiB to start, and has no
    --ulimit as=): test_runc_entrypoint.py runs this image's seed case under runc."""
    ran = engine.run(python_job, [], memory=1 * GIB)
    assert (ran.exit_code, ran.stdout) == (0, "allocated_bytes=314572800\n"), ran
    golden.check(LEFT_UNDER_1_GIB, ran.stderr)


@pytest.mark.sets_rlimit_as
def test_user_image_raises_an_inherited_limit_for_a_job_that_needs_more(python_job: str,
                                                                         engine: Engine) -> None:
    """The same image, its CMD replaced by a job that needs 2.5 GiB, under an inherited 2 GiB
    soft limit: MemoryError on its own, success through the image's ENTRYPOINT (--as 512Mi
    covers nothing here, so the policy comes from the command line of a second run)."""
    job = ["python3", "-c", "data = bytearray(2560 * 1024 * 1024); print(len(data))"]
    alone = engine.run(python_job, job[1:], memory=4 * GIB, inherited_as=(2 * GIB, UNLIMITED),
                       entrypoint="python3")
    assert alone.exit_code == 1
    assert alone.stderr.splitlines()[-1] == "MemoryError"
    ran = engine.run(python_job, ["--as", "3Gi", "--"] + job, memory=4 * GIB,
                     inherited_as=(2 * GIB, UNLIMITED), entrypoint="/usr/local/bin/rlimit-init")
    assert (ran.exit_code, ran.stdout) == (0, f"{2560 * MIB}\n"), ran
    golden.check(RAISED_UNDER_4_GIB, ran.stderr)

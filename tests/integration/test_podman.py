# SPDX-License-Identifier: Apache-2.0
"""rlimit-init in real Podman containers, and its Podman advice followed for real.

Podman 4.3 from Debian, configured by scripts/setup-podman.sh (vfs storage, runc, cgroupfs, no
network). The image is imported from a tiny root filesystem: the static binary and
busybox-static. Podman has no daemon, so the container inherits RLIMIT_AS from the podman
process (podman's `--ulimit` cannot name "as": docker/go-units has it commented out, and podman
v4.3.1 pkg/specgenutil/specgen.go parses --ulimit with it); the tests start podman under the
limit the message names and check what rlimit-init then sees and grants inside.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tarfile
import tempfile
import uuid
from pathlib import Path
from typing import Iterator, Sequence

import pytest

from allocate import REFUSED, static_allocator
from conftest import REPO, TIMEOUT, clean_env, require_root, skip_unless
import golden
from expected import GIB, MIB, SHOW_LIMITS, limits_seen

# The container runs under RLIMIT_AS limits, and from the static binary.
pytestmark = [pytest.mark.sets_rlimit_as, pytest.mark.static_binary]

SETUP = REPO / "scripts" / "setup-podman.sh"
REQUEST = 3 * GIB
BUSYBOX = Path("/bin/busybox")


def podman_env() -> dict[str, str]:
    """The variables `scripts/setup-podman.sh --env` prints, on a clean environment."""
    out = subprocess.run(["bash", str(SETUP), "--env"], capture_output=True, text=True,
                         check=True, timeout=TIMEOUT).stdout
    env = clean_env()
    for name, value in re.findall(r"^export (\w+)=(.*)$", out, re.M):
        env[name] = value
    return env


@pytest.fixture(scope="module")
def image(built_binary: Path) -> Iterator[str]:
    """A local image holding /rlimit-init and busybox (as /bin/sh), imported with podman."""
    require_root("running podman with runc")
    skip_unless(shutil.which("podman") is not None, "podman is not installed: run "
                "scripts/setup-podman.sh")
    env = podman_env()
    skip_unless(Path(env["CONTAINERS_CONF"]).is_file(),
                f"{env['CONTAINERS_CONF']} is missing: run scripts/setup-podman.sh")
    skip_unless(BUSYBOX.is_file(), "busybox-static is not installed: run scripts/setup.sh --tests")
    tag = f"localhost/rlimit-init-podman-test:{os.getpid()}-{uuid.uuid4().hex[:8]}"
    with tempfile.TemporaryDirectory(prefix="rlimit-init-podman.") as work:
        layer = Path(work) / "rootfs.tar"
        with tarfile.open(layer, "w") as tar:
            for directory in ("bin", "dev", "proc", "sys", "run", "tmp", "etc"):
                info = tarfile.TarInfo(directory)
                info.type, info.mode = tarfile.DIRTYPE, 0o755
                tar.addfile(info)
            tar.add(BUSYBOX, "bin/busybox")
            link = tarfile.TarInfo("bin/sh")
            link.type, link.linkname = tarfile.SYMTYPE, "busybox"
            tar.addfile(link)
            tar.add(built_binary, "rlimit-init")
        subprocess.run(["podman", "import", "--quiet", str(layer), tag], check=True,
                       capture_output=True, env=env, timeout=TIMEOUT)
    try:
        yield tag
    finally:
        subprocess.run(["podman", "rmi", "--force", tag], capture_output=True, env=env,
                       timeout=TIMEOUT)


def podman_run(image: str, args: Sequence[str], options: Sequence[str] = (),
               shell: str | None = None) -> subprocess.CompletedProcess:
    """podman run --rm OPTIONS IMAGE ARGS, started from `bash -c "SHELL; exec podman ..."`
    when `shell` is given (e.g. the `ulimit` a message names)."""
    argv = ["podman", "run", "--rm", "--network", "none", *options, image, *args]
    if shell is not None:
        argv = ["bash", "-ec", f'{shell}\nexec "$@"', "bash", *argv]
    return subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                          env=podman_env(), timeout=TIMEOUT)


def test_podman_rejects_ulimit_as(image: str) -> None:
    """Why the advice never prints `podman run --ulimit as=...`."""
    result = podman_run(image, ["/bin/sh", "-c", "true"], [f"--ulimit=as={REQUEST}:{REQUEST}"])
    assert (result.returncode, result.stdout, result.stderr) == (
        125, "", f'Error: ulimit option "as={REQUEST}:{REQUEST}" requires name=SOFT:HARD, failed '
        "to be parsed: invalid ulimit type: as\n")


def test_refusal_in_podman_names_the_podman_process_and_following_it_grants(
        image: str) -> None:
    # Podman started from a shell whose limit is 2 GiB: the container inherits it.
    refused = podman_run(image, ["/rlimit-init", "--as", "3Gi", "check"],
                         shell="ulimit -v 2097152")
    assert (refused.returncode, refused.stderr) == (77, "")
    golden.check("podman/as-refused-hard-limit.txt", refused.stdout)

    # Follow it: run podman from a shell that ran the `ulimit` the message names, with no
    # --ulimit of any kind, and the workload gets exactly that, soft and hard.
    ulimit = re.search(r"a shell that has run (ulimit -v \d+) ", refused.stdout)
    assert ulimit, refused.stdout
    granted = podman_run(image, ["/rlimit-init", "--as", "3Gi", "--", *SHOW_LIMITS],
                         [f"--memory={4 * GIB}"], shell=ulimit.group(1))
    assert (granted.returncode, granted.stdout) == (0, limits_seen(REQUEST, REQUEST))
    golden.check("podman/as-granted-after-the-ulimit.txt", granted.stderr)


def test_the_data_cap_the_refusal_names_is_podmans_own_and_bounds_use(image: str,
                                                                    tmp_path: Path) -> None:
    """The line after the fix: `podman run --ulimit data=N:N` in place of the address-space cap
    of the process that runs podman. Followed: podman accepts it, the container has it soft and
    hard, rlimit-init grants the request it refused, and an allocation past it fails."""
    allocate = static_allocator(tmp_path)
    refused = podman_run(image, ["/rlimit-init", "--as", "3Gi", "check"],
                         shell="ulimit -v 2097152")
    assert refused.returncode == 77, refused
    [option] = re.findall(r"cap RLIMIT_DATA in its place: run the container with podman run "
                          r"(--ulimit data=\d+:\d+), from a shell or unit without the ulimit -v "
                          r"or LimitAS=;", refused.stdout)
    assert option == f"--ulimit data={REQUEST}:{REQUEST}"
    # podman 4.3 drops containers.conf's default_ulimits once the command line names any
    # --ulimit, and asks runc for nofile 1048576 instead, which root without CAP_SYS_RESOURCE
    # cannot set above this host's hard limit ("error setting rlimit type 7: operation not
    # permitted"): the configuration's own entries go along, as on a host where root has the
    # capability none would be needed.
    conf = Path(podman_env()["CONTAINERS_CONF"]).read_text()
    defaults = [f"--ulimit={entry}" for entry in re.findall(
        r'"([a-z]+=\d+:\d+)"', re.search(r"^default_ulimits = \[(.*)\]$", conf, re.M).group(1))]
    assert [d.split("=")[1] for d in defaults] == ["nofile", "nproc"], conf
    options = [*option.split(), *defaults, f"--memory={4 * GIB}", "-v", f"{allocate}:/allocate:ro"]
    # Podman started with no address-space cap at all, and the option printed.
    granted = podman_run(image, ["/rlimit-init", "--as", "3Gi", "check"], options)
    assert (granted.returncode, granted.stderr) == (0, ""), granted
    golden.check("podman/as-would-leave-unlimited-under-the-data-cap.txt", granted.stdout)
    bounded = podman_run(image, ["/bin/sh", "-c", "grep '^Max data size' /proc/self/limits; "
                                 "/allocate 64; /allocate 3328; echo $?"], options)
    assert (bounded.returncode, bounded.stdout.split("\n"), bounded.stderr) == (
        0, [f"Max data size             {REQUEST:<20} {REQUEST:<20} bytes     ", "ok", "1", ""],
        REFUSED), bounded


def test_the_systemd_unit_the_advice_names_is_valid(tmp_path: Path, image: str) -> None:
    """The other way the message names, LimitAS= on a unit that runs podman, checked by
    systemd-analyze verify (no systemd runs here to start it)."""
    skip_unless(shutil.which("systemd-analyze") is not None, "systemd-analyze is not installed")
    # The refusal's text, as test_refusal_in_podman_... checks it against the binary's.
    advice = (golden.GOLDEN / "podman" / "as-refused-hard-limit.txt").read_text()
    directive = re.search(r"a systemd unit with (LimitAS=\d+)$", advice, re.M)
    assert directive
    unit = tmp_path / "rlimit-init-job.service"
    unit.write_text("[Unit]\nDescription=rlimit-init job in podman\n\n[Service]\n"
                    f"ExecStart={shutil.which('podman')} run --rm --network none {image} "
                    "/rlimit-init --as 3Gi -- /bin/sh -c true\n"
                    f"{directive.group(1)}\n")
    result = subprocess.run(["systemd-analyze", "verify", str(unit)], capture_output=True,
                            text=True, timeout=TIMEOUT, env=clean_env())
    assert (result.returncode, result.stderr) == (0, ""), result
    broken = tmp_path / "broken.service"
    broken.write_text(unit.read_text().replace(directive.group(1), "LimitAS=3Gibibytes"))
    result = subprocess.run(["systemd-analyze", "verify", str(broken)], capture_output=True,
                            text=True, timeout=TIMEOUT, env=clean_env())
    assert "Failed to parse resource value" in result.stderr, result


def test_memory_refusal_in_podman_and_following_it_passes(image: str, tmp_path: Path) -> None:
    policy = ["/bin/sh", "-c", "printf 'apiVersion: rlimit-init/v1\\naddressSpace:\\n  request: "
              "256Mi\\nmemory:\\n  require: 1Gi\\n' > /tmp/p.yaml && exec /rlimit-init "
              "-p /tmp/p.yaml check"]
    refused = podman_run(image, policy, [f"--memory={512 * MIB}"])
    assert (refused.returncode, refused.stderr) == (77, "")
    golden.check("podman/memory-refused.txt", refused.stdout)
    option = re.search(r"podman run (--memory=\d+) or more", refused.stdout)
    assert option and option.group(1) == f"--memory={GIB}"
    passed = podman_run(image, policy, [option.group(1)])
    assert (passed.returncode, passed.stderr) == (0, "")
    golden.check("podman/memory-passes-after-the-option.txt", passed.stdout)


def test_measure_as_the_entrypoint_under_podmans_seccomp_profile(image: str) -> None:
    """measure's seccomp listener in a container of podman with runc and its default seccomp
    profile: the job (a shell that execs a shell that kills itself) is read before its exec and
    before the signal it sends itself, and the container's own memory cgroup, which holds the
    job alone, gives the job's peak."""
    job = ["/bin/sh", "-c", 'exec /bin/sh -c "kill -TERM $$"']
    result = podman_run(image, ["/rlimit-init", "measure", "-q", "--", *job], ["--memory=1g"])
    assert (result.returncode, result.stdout) == (143, ""), result.stderr
    lines = result.stderr.splitlines()
    assert ('rlimit-init: measured /bin/sh -c exec /bin/sh -c "kill -TERM $$": killed by signal '
            "15 (exit code 143); 1 process measured at exit") in lines, result.stderr
    assert [line for line in lines if line.startswith("  cgroup peak:")][0].endswith(
        " from /sys/fs/cgroup/memory/memory.max_usage_in_bytes"), result.stderr
    assert not [line for line in lines if line.startswith("  not measured:")], result.stderr

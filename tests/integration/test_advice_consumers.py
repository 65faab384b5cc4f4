# SPDX-License-Identifier: Apache-2.0
"""Every Docker command line and systemd setting the binary prints as a fix is accepted by the
real tool: the lines come from the binary's own JSON ("fix" and "alternatives"), never from a
copy of the strings.

The layer is pinned with --host-root trees written here (a /.dockerenv, a /proc/self/cgroup
naming a unit or a container scope, a /proc/meminfo of 1 GiB): fixtures, because this host is
one Docker-like container and the layers are many. The tools are real: the Docker CLI (28.x
here, 20.10 from Debian's docker.io on a fresh machine) parses every flag before it looks for a
daemon, so a socket that does not exist makes a good command fail with the daemon error and a
bad flag fail with a flag error; systemd-analyze verify parses units and drop-ins without a
running systemd.

Settings that no tool here can check are cited from their tool's source in the test that
relies on them (test_cited_settings_match_their_sources)."""

from __future__ import annotations

import gzip
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from rlimit_json import parse as parse_json
from conftest import Runner, skip_unless, write_policy
from docker_cli import docker
from expected import DOCKER_DAEMON_ERRORS

pytestmark = pytest.mark.sets_rlimit_as

MIB, GIB = 1 << 20, 1 << 30


def host_root(tmp_path: Path, name: str, *, cgroup: str = "/",
              dockerenv: bool = False) -> Path:
    """A --host-root tree: /proc/meminfo of 1 GiB, a cgroup2 mount without limits (without
    /proc/self/cgroup the limit would be unknown, and memory.require refused for that), and
    the layer's hints."""
    root = tmp_path / name
    (root / "proc" / "self").mkdir(parents=True)
    (root / "proc" / "meminfo").write_text("MemTotal:        1048576 kB\n")
    if dockerenv:
        (root / ".dockerenv").touch()
    if cgroup is not None:
        (root / "proc" / "self" / "cgroup").write_text(f"0::{cgroup}\n")
        (root / "proc" / "self" / "mountinfo").write_text(
            "30 22 0:27 / /sys/fs/cgroup rw,relatime - cgroup2 cgroup2 rw\n")
        (root / "sys" / "fs" / "cgroup" / cgroup.lstrip("/")).mkdir(parents=True)
    return root


def advice(run: Runner, root: Path, workdir: Path) -> list[str]:
    """Every fix and alternative the binary prints in `root`: a hard-limit refusal (2 GiB asked
    under a 1 GiB hard limit) and a memory.require refusal (2 GiB required, 1 GiB there)."""
    lines = []
    memory = write_policy(workdir, "apiVersion: rlimit-init/v1\naddressSpace:\n  request: 512Mi\n"
                          "memory:\n  require: 2Gi\n", name=f"memory-{root.name}.yaml")
    for args in (["--as", "2Gi"], ["-p", str(memory)]):
        result = run(["check", "-o", "json", "--host-root", str(root)] + args,
                     as_limit=(256 * MIB, GIB))
        assert result.returncode == 77, result
        decision = parse_json(result.stdout)
        lines += [decision["fix"]] + decision["alternatives"]
    return lines


# ---------------------------------------------------------------------------------------------
# Docker


def docker_commands(lines: list[str]) -> list[list[str]]:
    """The flags of every `docker run --flag=value ...` (and `--ulimit name=value`) in the lines,
    each as argv after "docker run". (The Docker line also names `docker run --ulimit` as what
    rejects "as": a statement, not a command.)"""
    return [flags.split() for line in lines
            for flags in re.findall(
                r"docker run((?: --[a-z-]+=[^\s,;)]+| --ulimit [a-z]+=[^\s,;)]+)+)", line)]


def test_every_docker_command_printed_is_parsed_by_the_docker_cli(
        run: Runner, tmp_path: Path, workdir: Path) -> None:
    skip_unless(shutil.which("docker") is not None, "the Docker CLI is not installed")
    lines = (advice(run, host_root(tmp_path, "docker", dockerenv=True), workdir)
             + advice(run, host_root(tmp_path, "k8s-docker", cgroup="/kubepods.slice/"
                                     "kubepods-pod1.slice/docker-0123.scope"), workdir))
    commands = docker_commands(lines)
    # Docker's --ulimit data= as the cap that bounds memory in place of the address space's,
    # --cap-add= for the raiseHard way and --memory= for the memory refusal; on a Kubernetes
    # node running Docker the pod's fields and daemon.json instead, and no docker run at all.
    assert commands == [["--ulimit", "data=2147483648:2147483648"], ["--cap-add=SYS_RESOURCE"],
                        ["--memory=2147483648"]]
    for command in commands:
        result = docker("run", *command, "busybox")
        assert result.returncode == 125, command
        assert result.stderr.splitlines()[0] in DOCKER_DAEMON_ERRORS, command


def test_the_docker_cli_rejects_what_was_printed_before() -> None:
    """The control: the flag the old advice named fails in the flag parser, before the daemon
    (docker/go-units ulimit.go: //"as": rlimitAs, // Disabled since this doesn't seem usable
    with the way Docker inits a container.)."""
    skip_unless(shutil.which("docker") is not None, "the Docker CLI is not installed")
    result = docker("run", "--ulimit", "as=2147483648:2147483648", "busybox")
    assert (result.returncode, result.stderr.splitlines()[0]) == (
        125, 'invalid argument "as=2147483648:2147483648" for "--ulimit" flag: invalid ulimit '
             "type: as")


# ---------------------------------------------------------------------------------------------
# systemd


def systemd_settings(lines: list[str]) -> list[tuple[str, str]]:
    """(units, "Key=value") for every unit setting in the lines: the unit the line names
    ("set LimitAS=N in a drop-in for U", "set LimitDATA=N in U instead of LimitAS=", "LimitDATA=N
    instead of LimitAS= on U")."""
    found = []
    for line in lines:
        for key, value, units in re.findall(
                r"\bset ((?:Limit[A-Z]+|MemoryMax))=(\S+) in (?:a drop-in for |the \[Service\] "
                r"section of )?((?:[\w@.-]+\.service ?)+)", line):
            found += [(unit, f"{key}={value}") for unit in units.split()]
        for key, value, units in re.findall(
                r"\b(Limit[A-Z]+)=(\S+) instead of LimitAS= on ((?:[\w@.-]+\.service ?)+)", line):
            found += [(unit, f"{key}={value}") for unit in units.split()]
    return found


def verify(directory: Path, unit: str, setting: str) -> subprocess.CompletedProcess:
    """systemd-analyze verify of a minimal UNIT with SETTING in a drop-in."""
    (directory / unit).write_text("[Service]\nExecStart=/bin/true\n")
    drop_in = directory / f"{unit}.d" / "rlimit-init.conf"
    drop_in.parent.mkdir(exist_ok=True)
    drop_in.write_text(f"[Service]\n{setting}\n")
    return subprocess.run(["systemd-analyze", "verify", str(directory / unit)],
                          capture_output=True, text=True, timeout=60, check=False)


def test_every_unit_setting_printed_passes_systemd_analyze_verify(
        run: Runner, tmp_path: Path, workdir: Path) -> None:
    skip_unless(shutil.which("systemd-analyze") is not None, "systemd-analyze is not installed")
    lines = []
    for name, kwargs in [("systemd", {"cgroup": "/system.slice/batch.service"}),
                         ("docker", {"dockerenv": True}),
                         ("crio", {"cgroup": "/kubepods.slice/kubepods-pod1.slice/crio-1.scope"}),
                         ("containerd", {"cgroup": "/kubepods.slice/kubepods-pod1.slice/"
                                                   "cri-containerd-1.scope"})]:
        lines += advice(run, host_root(tmp_path, name, **kwargs), workdir)
    settings = systemd_settings(lines)
    assert sorted(set(settings)) == [
        ("batch.service", "LimitAS=2147483648"), ("batch.service", "LimitDATA=2147483648"),
        ("batch.service", "MemoryMax=2147483648"), ("containerd.service", "LimitAS=2147483648"),
        ("containerd.service", "LimitDATA=2147483648"), ("crio.service", "LimitAS=2147483648"),
        ("docker.service", "LimitAS=2147483648")]
    units = tmp_path / "units"
    units.mkdir()
    for unit, setting in settings:
        result = verify(units, unit, setting)
        assert (result.returncode, result.stderr) == (0, ""), (unit, setting, result)
    # The control: a value systemd cannot parse is reported.
    result = verify(units, "control.service", "LimitAS=2Gibibytes")
    assert result.stderr == (f"{units}/control.service.d/rlimit-init.conf:2: Failed to parse "
                             "resource value, ignoring: 2Gibibytes\n")


def test_default_limit_as_is_a_system_conf_setting(run: Runner, tmp_path: Path,
                                                   workdir: Path) -> None:
    """DefaultLimitAS= and DefaultLimitDATA= live in system.conf, which verify does not read:
    Debian's own systemd-system.conf(5) documents them."""
    lines = advice(run, host_root(tmp_path, "systemd", cgroup="/system.slice/batch.service"),
                   workdir)
    named = sorted({m for line in lines for m in re.findall(r"\bDefault[A-Za-z]+=", line)})
    assert named == ["DefaultLimitAS=", "DefaultLimitDATA="]
    page = Path("/usr/share/man/man5/systemd-system.conf.5.gz")
    skip_unless(page.is_file(), f"{page} is missing (the systemd package's man page)")
    text = gzip.decompress(page.read_bytes()).decode()
    assert [name for name in named if name not in text] == []

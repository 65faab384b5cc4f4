# SPDX-License-Identifier: Apache-2.0
"""The rlimit advice followed in real containers: runc with the limits a runtime sets, and
podman.

runc: a bundle whose config.json process.rlimits carries what a runtime would put there
(containerd 2.x's nofile 1024:524288, Docker's classic memlock of 64 KiB, an 8 MiB stack, an
unlimited core), the static binary bound in and a busybox root. rlimit-init in it sees the layer
as a bare OCI container (runc masks /proc/kcore), raises within the hard limit, caps at it with
the fix under the warning when the policy's minimum allows, and otherwise refuses naming the
process.rlimits entry: put in config.json, that entry gives the workload the limit.

podman 4.3 (scripts/setup-podman.sh: vfs, runc, no network): a limit set the way the refusal
says, with `podman run --ulimit` or containers.conf `default_ulimits`, is the limit rlimit-init
then sees in the container, for nofile and memlock.

This host's root lacks CAP_SYS_RESOURCE, so no runtime here can set a hard limit above the
host's own: containerd 2.x's nofile hard limit of 524288 is capped at this host's hard limit
(20000 here; a fresh Debian host under systemd has 524288, and gets the real value)."""

from __future__ import annotations

import json
import re
import resource
import shutil
import subprocess
from pathlib import Path

import pytest

import golden
from conftest import TIMEOUT, skip_unless
from expected import KIB, MIB, UNLIMITED
from runc_node import IMAGE_PATH, RLIM_INFINITY, Launch, Node
from test_podman import image, podman_env  # noqa: F401 (image is the podman fixture)

pytest_plugins = ["runc_fixtures"]
pytestmark = [pytest.mark.sets_rlimit_as, pytest.mark.static_binary]

# containerd 2.x gives containers its own nofile limit, systemd's default 1024:524288
# (containerd#8924 removed LimitNOFILE= from containerd.service), under this host's hard limit.
NOFILE_HARD = min(resource.getrlimit(resource.RLIMIT_NOFILE)[1], 524288)
CONTAINERD_2_NOFILE = {"type": "RLIMIT_NOFILE", "soft": 1024, "hard": NOFILE_HARD}
# runc masks /proc/kcore; a kernel without it (this project's test host) has /proc/keys masked.
MASKED = "/proc/kcore" if Path("/proc/kcore").exists() else "/proc/keys"
# What a golden file holds in place of this host's values.
HOST_VALUES = {str(NOFILE_HARD * 4): "{4 x nofile_hard}", str(NOFILE_HARD): "{nofile_hard}",
               MASKED: "{masked}"}
SHOW = ["sh", "-c", "ulimit -Sn; ulimit -Hn; ulimit -Sl; ulimit -Hl; ulimit -Ss; ulimit -Hs; "
        "ulimit -Sc; ulimit -Hc"]


def run_in_runc(node: Node, built_binary: Path, tmp_path: Path, policy: str,
                rlimits: list[dict], args: list[str]):
    """`rlimit-init -q -p /etc/policy.yaml ARGS` as a runc container's process, with
    `rlimits` in its config.json's process.rlimits."""
    name = f"rlimits-{len(node.containers)}"
    bundle = tmp_path / name
    bundle.mkdir()
    policy_file = tmp_path / f"{name}.yaml"
    policy_file.write_text("apiVersion: rlimit-init/v1\nlimits:\n" + policy)
    container_id = node.new_id(name)
    launch = Launch(
        image=node.images["busybox"], args=["/rlimit-init", "-q", "-p", "/etc/policy.yaml",
                                            *args],
        env=[IMAGE_PATH], user=(0, 0), capabilities=[], no_new_privileges=True,
        readonly_root=False, rlimit_as=(RLIM_INFINITY, RLIM_INFINITY), memory_limit=None,
        hostname=name, cgroups_path=f"/{node.runtime.cgroup_parent}/runc/{container_id}",
        binds=[(built_binary, "/rlimit-init", True), (policy_file, "/etc/policy.yaml", True)],
        rlimits=rlimits)
    return node.runtime.run(launch, bundle, container_id)


def seen(nofile, memlock=("64", "64"), stack=("8192", "8192"), core=("unlimited", "unlimited")):
    return "".join(f"{soft}\n{hard}\n" for soft, hard in (nofile, memlock, stack, core))


# What the runtime sets besides nofile: Docker's classic 64 KiB memlock, an 8 MiB stack, core
# unlimited (containerd.service's LimitCORE=infinity).
RUNTIME = [{"type": "RLIMIT_MEMLOCK", "soft": 64 * KIB, "hard": 64 * KIB},
           {"type": "RLIMIT_STACK", "soft": 8 * MIB, "hard": 8 * MIB},
           {"type": "RLIMIT_CORE", "soft": RLIM_INFINITY, "hard": RLIM_INFINITY}]


def test_runc_with_containerds_nofile_raises_the_soft_limit_within_the_hard(
        node: Node, built_binary: Path, tmp_path: Path) -> None:
    done = run_in_runc(node, built_binary, tmp_path, "  nofile: 8192\n  core:\n    request: 0\n"
                       "    lower: true\n", [CONTAINERD_2_NOFILE, *RUNTIME], ["--", *SHOW])
    assert (done.exit_code, done.stdout, done.stderr) == (
        0, seen(("8192", str(NOFILE_HARD)), core=("0", "unlimited")), "")


def test_runc_above_the_hard_limit_caps_with_the_fix_when_minimum_allows(
        node: Node, built_binary: Path, tmp_path: Path) -> None:
    """minimum: 0 is "raised to a target, capped at the hard limit, with a loud warning"."""
    request = NOFILE_HARD * 4
    done = run_in_runc(node, built_binary, tmp_path, f"  nofile:\n    request: {request}\n"
                       "    minimum: 0\n", [CONTAINERD_2_NOFILE, *RUNTIME], ["--", *SHOW])
    assert (done.exit_code, done.stdout) == (0, seen((str(NOFILE_HARD), str(NOFILE_HARD))))
    golden.check("rlimits_advice_containers/runc-nofile-capped.txt", done.stderr, HOST_VALUES)


def test_runc_above_the_hard_limit_refuses_without_a_minimum(
        node: Node, built_binary: Path, tmp_path: Path) -> None:
    request = NOFILE_HARD * 4
    done = run_in_runc(node, built_binary, tmp_path, f"  nofile: {request}\n",
                       [CONTAINERD_2_NOFILE, *RUNTIME], ["--", "touch", "/ran"])
    assert (done.exit_code, done.stdout) == (77, "")
    golden.check("rlimits_advice_containers/runc-nofile-refused.txt", done.stderr, HOST_VALUES)


@pytest.mark.parametrize("name,start,policy,after", [
    # A runtime's tight nofile, 1024:4096, and a job that needs 8192.
    ("nofile", {"type": "RLIMIT_NOFILE", "soft": 1024, "hard": 4096}, "8192",
     seen(("8192", "8192"))),
    # Docker's classic 64 KiB memlock, and an RDMA job that needs 4 MiB.
    ("memlock", RUNTIME[0], "4Mi", seen(("1024", "1024"), memlock=("4096", "4096"))),
    # An 8 MiB:8 MiB stack, and a deep recursion that needs 64 MiB.
    ("stack", RUNTIME[1], "64Mi", seen(("1024", "1024"), stack=("65536", "65536"))),
])
def test_runc_refusal_names_the_process_rlimits_entry_and_it_grants(
        node: Node, built_binary: Path, tmp_path: Path, name: str, start: dict, policy: str,
        after: str) -> None:
    tight = [r for r in [{"type": "RLIMIT_NOFILE", "soft": 1024, "hard": 1024}, *RUNTIME]
             if r["type"] != start["type"]] + [start]
    refused = run_in_runc(node, built_binary, tmp_path, f"  {name}: {policy}\n", tight,
                          ["--", *SHOW])
    assert (refused.exit_code, refused.stdout) == (77, ""), refused
    entry = re.search(r"fix:     the container's OCI spec sets it: put (\{.*?\}) in "
                      r"process\.rlimits of its config\.json", refused.stderr)
    assert entry, refused.stderr
    # Follow it: the entry the message prints, in place of the runtime's.
    followed = [r for r in tight if r["type"] != start["type"]] + [json.loads(entry.group(1))]
    granted = run_in_runc(node, built_binary, tmp_path, f"  {name}: {policy}\n", followed,
                          ["--", *SHOW])
    assert (granted.exit_code, granted.stdout, granted.stderr) == (0, after, "")


# ---------------------------------------------------------------------------------------------
# Podman: --ulimit and containers.conf default_ulimits, followed for real.


def setup_ulimits(options: list[str]) -> list[str]:
    """scripts/setup-podman.sh's default_ulimits (nofile, nproc) as --ulimit flags, but for
    the names `options` sets. Any --ulimit replaces containers.conf's default_ulimits, and
    podman then asks runc for nofile and nproc 1048576, which this host's root, lacking
    CAP_SYS_RESOURCE, cannot set: the test keeps the rest of the command, as the advice says of
    docker run."""
    entries = re.findall(r'"((\w+)=[^"]+)"', Path(podman_env()["CONTAINERS_CONF"]).read_text())
    return [f"--ulimit={entry}" for entry, name in entries
            if not any(f"{name}=" in option for option in options)]


def podman(image_tag: str, policy: str, options: list[str], args: list[str],
           conf: Path | None = None) -> subprocess.CompletedProcess:
    """podman run IMAGE: rlimit-init -q with `policy` (written inside: the image has busybox's
    sh and printf) then ARGS."""
    env = podman_env()
    if conf is not None:
        env["CONTAINERS_CONF"] = str(conf)
    if options:
        options = [*options, *setup_ulimits(options)]
    text = ("apiVersion: rlimit-init/v1\\nlimits:\\n" + policy).replace("\n", "\\n")
    script = f"printf '{text}' > /tmp/p.yaml && exec /rlimit-init -q -p /tmp/p.yaml \"$@\""
    return subprocess.run(["podman", "run", "--rm", "--network", "none", *options, image_tag,
                           "/bin/sh", "-c", script, "sh", *args],
                          stdin=subprocess.DEVNULL, capture_output=True, text=True, env=env,
                          timeout=TIMEOUT)


PODMAN_SHOW = ["--", "/bin/sh", "-c", "ulimit -Sn; ulimit -Hn; ulimit -Sl; ulimit -Hl"]


@pytest.mark.parametrize("name,tight,policy,seen_after", [
    ("nofile", "nofile=1024:4096", "nofile: 8192", "8192\n8192\n"),
    ("memlock", "memlock=65536:1048576", "memlock: 4Mi", "4096\n4096\n"),
])
def test_podman_ulimit_named_by_the_refusal_is_what_the_container_gets(
        image: str, name: str, tight: str, policy: str, seen_after: str) -> None:
    refused = podman(image, f"  {policy}\n", [f"--ulimit={tight}"], ["--", "true"])
    assert (refused.returncode, refused.stdout) == (77, "")
    golden.check(f"rlimits_advice_containers/podman-{name}-refused.txt", refused.stderr)
    flag = re.search(r"podman run (--ulimit \S+) ", refused.stderr).group(1)
    granted = podman(image, f"  {policy}\n", flag.split(), PODMAN_SHOW)
    assert (granted.returncode, granted.stderr) == (0, "")
    lines = granted.stdout.splitlines(keepends=True)
    assert "".join(lines[0:2] if name == "nofile" else lines[2:4]) == seen_after


def test_podman_default_ulimits_named_by_the_refusal_is_what_the_container_gets(
        image: str, tmp_path: Path) -> None:
    refused = podman(image, "  memlock: 4Mi\n", ["--ulimit=memlock=65536:1048576"],
                     ["--", "true"])
    assert refused.returncode == 77
    entry = re.search(r"set default_ulimits = \[(\"[^\"]+\")\] in the \[containers\] table of "
                      r"containers.conf", refused.stderr)
    assert entry, refused.stderr
    # The setup's containers.conf with the printed entry added to its default_ulimits.
    conf = Path(podman_env()["CONTAINERS_CONF"]).read_text()
    assert conf.count("default_ulimits = [") == 1
    ours = tmp_path / "containers.conf"
    ours.write_text(conf.replace("default_ulimits = [", f"default_ulimits = [{entry.group(1)}, "))
    # No --ulimit at all: the limit comes from containers.conf.
    granted = podman(image, "  memlock: 4Mi\n", [], PODMAN_SHOW, conf=ours)
    assert (granted.returncode, granted.stderr) == (0, "")
    assert granted.stdout.splitlines()[2:4] == ["4096", "4096"]
    # The control: without it the container has podman's own memlock (this process's).
    plain = podman(image, "  memlock: 4Mi\n", [], PODMAN_SHOW)
    host = [UNLIMITED if v == resource.RLIM_INFINITY else str(v // KIB)
            for v in resource.getrlimit(resource.RLIMIT_MEMLOCK)]
    assert host != ["4096", "4096"]
    assert plain.stdout.splitlines()[2:4] == host

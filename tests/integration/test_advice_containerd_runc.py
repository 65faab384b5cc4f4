# SPDX-License-Identifier: Apache-2.0
"""The containerd and OCI-spec advice, followed under runc. On a Kubernetes node: a pod refused because the node's hard RLIMIT_AS
is too low prints the base_runtime_spec fragment; that fragment, taken from the refusal the
container wrote (not from a copy here), goes into process.rlimits of the pod's bundles the way
containerd's base spec gives it to every container whose CRI config sets no RLIMIT_AS; run
again, the same pod gets its grant and the workload sees it. In a bare OCI container (runc or
containerd with no engine and no kubelet): the process.rlimits entry the refusal names for its
config.json, put there, gives the container its grant.

runc_node.py plays the node (kubelet and containerd). That the TOML lines around the fragment
are containerd's is checked in test_advice_fragments.py. Needs root, runc, a writable cgroup v1
memory hierarchy and helm (scripts/setup-runc.sh, scripts/setup-chart-tools.sh); without them
the tests skip saying why, and fail where RLIMIT_INIT_NO_SKIP=1 (CI).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

import golden
from allocate import REFUSED, static_allocator
from chart_render import WORKLOAD_CONTAINER
from runc_node import (CONTAINERD_CAPABILITIES, IMAGE_PATH, RLIM_INFINITY, GiB, Finished, Launch,
                       MiB, Node, installed, render_values)

# The runtime, images and node fixtures.
pytest_plugins = ["runc_fixtures"]

# The workload prints the address-space limits it was started with.
SHOW = ("workload.command={sh,-c,ulimit -Sv; ulimit -Hv; "
        "grep '^Max address space' /proc/self/limits}")
# The entry in containerd's recipe (jq '.process.rlimits = [ENTRY]') or a bare container's line
# (put ENTRY in process.rlimits of its config.json).
FRAGMENT = re.compile(r"(\{\"type\":\"RLIMIT_AS\"[^}]*\})(?:\]'| in process\.rlimits)")


def bundle_rlimits(node: Node, name: str) -> list[list[dict]]:
    """process.rlimits of every bundle of container `name` the node ran, oldest first."""
    configs = sorted(node.work.glob(f"pod-*/{name}/config.json"),
                     key=lambda p: int(p.parent.parent.name.split("-")[1]))
    return [json.loads(p.read_text())["process"]["rlimits"] for p in configs]


@pytest.mark.sets_rlimit_as
def test_the_base_runtime_spec_fragment_printed_gives_the_workload_its_grant(node: Node) -> None:
    objects = render_values("hard-limit-too-low", (SHOW,))
    # 1. The node's containers inherit a hard 512 MiB; the policy asks for 1Gi: refused.
    finished = node.run_pod(objects, rlimit_as=(256 * MiB, 512 * MiB))
    installed(finished)
    refused = finished[WORKLOAD_CONTAINER]
    assert (refused.exit_code, refused.stdout) == (77, "")
    # The chart's refusal (test_runc_chart.py), whatever the workload's command.
    golden.check("runc_chart/as-refused-hard-limit-too-low.txt", refused.stderr)
    fixes = [line for line in refused.stderr.splitlines() if line.startswith("  fix:")]
    found = FRAGMENT.findall(fixes[0])
    assert len(found) == 1, fixes[0]
    fragment = json.loads(found[0])
    assert fragment == {"type": "RLIMIT_AS", "soft": GiB, "hard": GiB}

    # 2. Followed: the base spec's process.rlimits carries the fragment, so every container of
    # the pod is created with it.
    finished = node.run_pod(objects, rlimit_as=(fragment["soft"], fragment["hard"]))
    installed(finished)
    assert [r for r in bundle_rlimits(node, WORKLOAD_CONTAINER)[-1]
            if r["type"] == "RLIMIT_AS"] == [fragment]
    job = finished[WORKLOAD_CONTAINER]
    # The request was 1Gi and the spec now gives 1 GiB soft and hard: rlimit-init finds the
    # request covered and the workload runs with the grant.
    limits = f"{'Max address space':<25} {GiB:<20} {GiB:<20} {'bytes':<10}"
    assert (job.exit_code, job.stdout, job.termination_message) == (
        0, f"{GiB // 1024}\n{GiB // 1024}\n{limits}\n", ""), job
    golden.check("advice_containerd_runc/as-left-at-the-base-spec-grant.txt", job.stderr)


def bare_container(node: Node, args: list[str], rlimit_as: tuple[int, int],
                   memory_limit: int | None = None, policy: str | None = None,
                   rlimits: list[dict] | None = None,
                   binds: list[tuple[Path, str]] = ()) -> Finished:
    """busybox in a runc bundle with nothing of Docker's or kubelet's: no /.dockerenv, no
    KUBERNETES_* variables, a cgroup path that names no engine; the rlimit-init binary of the
    image bound in at /rlimit-init. runc spec's maskedPaths hide /proc/kcore, as every OCI
    runtime's do: what tells rlimit-init it is in a container."""
    container_id = node.new_id("bare-oci")
    bundle = node.work / container_id
    bundle.mkdir()
    launch = Launch(
        image=node.images["busybox"], args=["/rlimit-init"] + args, env=[IMAGE_PATH],
        user=(0, 0), capabilities=list(CONTAINERD_CAPABILITIES), no_new_privileges=False,
        readonly_root=False, rlimit_as=rlimit_as, memory_limit=memory_limit,
        hostname=container_id[:12],
        cgroups_path=f"/{node.runtime.cgroup_parent}/bare/{container_id}",
        binds=[(node.images["rlimit-init"].template / "rlimit-init", "/rlimit-init", True)],
        rlimits=list(rlimits or []))
    launch.binds += [(source, target, True) for source, target in binds]
    if policy is not None:
        (bundle / "policy.yaml").write_text(policy)
        launch.binds.append((bundle / "policy.yaml", "/policy.yaml", True))
    finished = node.runtime.run(launch, bundle, container_id)
    config = json.loads((bundle / "config.json").read_text())
    assert [r for r in config["process"]["rlimits"] if r["type"] == "RLIMIT_AS"] == [
        {"type": "RLIMIT_AS", "soft": rlimit_as[0], "hard": rlimit_as[1]}]
    return finished


@pytest.mark.sets_rlimit_as
def test_the_process_rlimits_entry_printed_in_a_bare_container_gives_the_grant(
        node: Node) -> None:
    args = ["--as", "1Gi", "--", "sh", "-c", "ulimit -Sv; ulimit -Hv"]
    refused = bare_container(node, args, (256 * MiB, 512 * MiB))
    assert (refused.exit_code, refused.stdout) == (77, "")
    # This kernel has no /proc/kcore; runc masks /proc/keys, which tells the container apart.
    golden.check("advice_containerd_runc/as-refused-in-a-bare-container.txt", refused.stderr)
    lines = refused.stderr.splitlines()
    found = FRAGMENT.findall(lines[4])
    assert len(found) == 1, lines[4]
    fragment = json.loads(found[0])
    assert fragment == {"type": "RLIMIT_AS", "soft": GiB, "hard": GiB}
    # Followed: config.json's process.rlimits carries the entry (bare_container checks it).
    granted = bare_container(node, args, (fragment["soft"], fragment["hard"]))
    assert (granted.exit_code, granted.stdout) == (0, f"{GiB // 1024}\n{GiB // 1024}\n"), granted


DATA_FRAGMENT = re.compile(r"cap RLIMIT_DATA in its place: put (\{\"type\":\"RLIMIT_DATA\"[^}]*\}) "
                           r"in process\.rlimits of its config\.json instead of RLIMIT_AS ")


@pytest.mark.sets_rlimit_as
def test_the_rlimit_data_entry_printed_in_a_bare_container_grants_and_bounds_use(
        node: Node, tmp_path: Path) -> None:
    """The line after the fix: an RLIMIT_DATA entry in place of the RLIMIT_AS one. Followed:
    runc takes it into the container, rlimit-init grants the request it refused, and a job that
    allocates past it fails."""
    allocate = static_allocator(tmp_path)
    refused = bare_container(node, ["--as", "1Gi", "--", "true"], (256 * MiB, 512 * MiB))
    assert (refused.exit_code, refused.stdout) == (77, "")
    golden.check("advice_containerd_runc/as-refused-in-a-bare-container.txt", refused.stderr)
    lines = refused.stderr.splitlines()
    found = DATA_FRAGMENT.findall(lines[5])
    assert len(found) == 1, refused.stderr
    fragment = json.loads(found[0])
    assert fragment == {"type": "RLIMIT_DATA", "soft": GiB, "hard": GiB}
    # Followed: the entry, and no address-space cap (the RLIMIT_AS entry unlimited).
    show = ("grep '^Max data size' /proc/self/limits; /allocate 64; /allocate 1280; echo $?")
    granted = bare_container(node, ["--as", "1Gi", "--", "sh", "-c", show],
                             (RLIM_INFINITY, RLIM_INFINITY), rlimits=[fragment],
                             binds=[(allocate, "/allocate")])
    assert (granted.exit_code, granted.stdout.split("\n")) == (
        0, [f"Max data size             {GiB:<20} {GiB:<20} bytes     ", "ok", "1", ""]), granted
    # rlimit-init's line, then the allocator's. No memory limit in this bundle: the line ends
    # in the host's MemTotal.
    said, refused_line = granted.stderr.split("\n", 1)
    assert refused_line == REFUSED, granted.stderr
    golden.check("advice_containerd_runc/as-left-unlimited-under-the-data-cap.txt", said + "\n",
                 {golden.MEM_TOTAL: "{mem_total}"})


MEMORY_FIX = re.compile(r"^  fix:     set linux\.resources\.memory\.limit to at least (\d+) in the "
                        r"container's config\.json \(runc\)$")


@pytest.mark.sets_rlimit_as
def test_the_memory_limit_printed_in_a_bare_container_lets_memory_require_through(
        node: Node) -> None:
    policy = ("apiVersion: rlimit-init/v1\naddressSpace:\n  request: 512Mi\nmemory:\n"
              "  require: 1Gi\n")
    args = ["-p", "/policy.yaml", "--", "sh", "-c", "ulimit -Sv"]
    refused = bare_container(node, args, (256 * MiB, 2 * GiB), memory_limit=512 * MiB,
                             policy=policy)
    assert (refused.exit_code, refused.stdout) == (77, "")
    golden.check("advice_containerd_runc/memory-refused-in-a-bare-container.txt", refused.stderr)
    fixes = [m for line in refused.stderr.splitlines() for m in [MEMORY_FIX.match(line)] if m]
    assert len(fixes) == 1, refused.stderr
    needed = int(fixes[0][1])
    assert needed == GiB
    # Followed: linux.resources.memory.limit in config.json is the cgroup limit rlimit-init sees.
    granted = bare_container(node, args, (256 * MiB, 2 * GiB), memory_limit=needed,
                             policy=policy)
    assert (granted.exit_code, granted.stdout) == (0, f"{512 * MiB // 1024}\n"), granted
    golden.check("advice_containerd_runc/as-raised-after-the-memory-limit.txt", granted.stderr)

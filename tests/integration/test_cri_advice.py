# SPDX-License-Identifier: Apache-2.0
"""The containerd fix lines a refusal prints, followed for real through containerd's CRI.

A node whose containerd runs with LimitAS=2G (here: started under prlimit --as=2G:2G, as
systemd would start it): the chart's job asks for 3Gi and is refused; the refusal names
containerd (the container's cgroup is its bare 64-hex id under kubepods: cgroupfs driver), also
where /sys/fs/cgroup shows no cgroup filesystem, and its LimitAS= line, followed (containerd
restarted under the limit it names), gives the new pod its grant while a new container in the
running pod keeps the old limit from the pod's shim. The base_runtime_spec recipe, followed as
printed (the jq command run, the file named in containerd's config, containerd restarted),
gives the grant and leaves every other limit as containerd gives it without a base spec; the
recipe as it was (ctr oci spec's whole process.rlimits) lowers nofile to 1024.

cri_node.py is the node. Needs root, containerd, runc, jq, python3-grpcio, python3-grpc-tools,
helm and a writable cgroup v1 memory hierarchy (scripts/setup.sh --tests); without them the
tests skip saying why, and fail instead where RLIMIT_INIT_NO_SKIP=1 (CI).
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

import golden
from chart_render import INIT_CONTAINER, REPO, WORKLOAD_CONTAINER, container, pod_spec, render
from cri_node import Containerd, Finished, Kubelet, Pod, limits_of, oci_default_spec
from runc_node import INSTALLED, GiB, MiB

pytest_plugins = ["cri_fixtures"]

VALUES = REPO / "tests" / "cri" / "values"
NODE_AS = 2 * GiB
# containerd.service with LimitAS=2147483648: soft and hard 2 GiB.
CONTAINERD_START = {"prlimit": (f"--as={NODE_AS}:{NODE_AS}",)}
# The limits the recipe must leave alone, as /proc/PID/limits names them.
OTHER_LIMITS = ("Max open files", "Max processes", "Max locked memory", "Max core file size")


def show_limits(objects: list[dict]) -> list[str]:
    """The workload's rendered command with the limits it starts with printed first."""
    return ["sh", "-c", 'grep -E "^Max (open files|processes|locked memory|core file size|'
            'address space)" /proc/self/limits; exec "$@"', "sh",
            *container(pod_spec(objects))["command"]]


def printed_limits(stdout: str) -> dict[str, tuple[str, str]]:
    """{"Max open files": (soft, hard), ...} from the lines show_limits printed."""
    return limits_of("header\n" + "".join(line + "\n" for line in stdout.splitlines()
                                          if line.startswith("Max ")))


def fix_lines(stderr: str) -> list[str]:
    return [line[11:] for line in stderr.splitlines() if line.startswith(("  fix:", "  or:"))]


def installed(pod: Pod) -> None:
    init = pod.finished[INIT_CONTAINER]
    assert init.exit_code == 0, init
    golden.check(INSTALLED, init.stderr)


@pytest.mark.sets_rlimit_as
def test_limitas_on_containerd_service_reaches_new_pods_not_running_ones(
        containerd: Containerd, kubelet: Kubelet, tmp_path: Path) -> None:
    objects = render(VALUES / "map-2g.yaml")
    # 1. Refused under containerd's 2 GiB: the refusal names containerd and its unit.
    old_pod = kubelet.start_pod(objects)
    installed(old_pod)
    refused = kubelet.wait(old_pod, WORKLOAD_CONTAINER)
    assert (refused.exit_code, refused.stdout, refused.termination_message) == (
        77, "", refused.stderr)
    golden.check("cri_advice/as-refused-under-containerds-hard-limit.txt", refused.stderr)
    # 2. The same where the container has no cgroup filesystem at /sys/fs/cgroup: the layer
    # and the runtime come from /proc/self/cgroup.
    empty = tmp_path / "empty"
    empty.mkdir()
    kubelet.start_container(old_pod, WORKLOAD_CONTAINER, extra_mounts=[(str(empty),
                                                                        "/sys/fs/cgroup")])
    hidden = kubelet.wait(old_pod, WORKLOAD_CONTAINER)
    assert (hidden.exit_code, hidden.stdout) == (77, ""), hidden
    golden.check("cri_advice/as-refused-under-containerds-hard-limit.txt", hidden.stderr)

    # 3. Followed: containerd restarted as systemd would after the drop-in, under the LimitAS=
    # the line names; the shim of the running pod stays.
    [limit] = [found for line in fix_lines(refused.stderr)
               for found in re.findall(r"^set LimitAS=(\d+) in a drop-in for containerd\.service ",
                                       line)]
    containerd.restart(prlimit=(f"--as={limit}:{limit}",))
    assert limits_of(containerd.own_limits())["Max address space"] == (limit, limit)
    # A new container in the running pod: still 2 GiB, from the pod's shim.
    kubelet.start_container(old_pod, WORKLOAD_CONTAINER)
    again = kubelet.wait(old_pod, WORKLOAD_CONTAINER)
    assert (again.exit_code, again.stderr.splitlines()[0]) == (77, refused.stderr.splitlines()[0])
    # A new pod: granted.
    new_pod = kubelet.run_pod(objects)
    installed(new_pod)
    job = new_pod.finished[WORKLOAD_CONTAINER]
    assert (job.exit_code, job.stdout) == (0, f"mapped_bytes={2 * GiB}\n"), job
    golden.check(GRANTED_AT_3_GIB, job.stderr)


# LimitAS= and the recipe's entry both set soft and hard: nothing left to raise.
GRANTED_AT_3_GIB = "cri_advice/as-left-at-the-3-gib-the-fix-gave.txt"


def refused_under_hard_base_spec(containerd: Containerd, kubelet: Kubelet,
                                 objects: list[dict]) -> Finished:
    """containerd restarted with a base spec whose RLIMIT_AS is 1.5 GiB soft and the hard
    NODE_AS; the chart's pod started on it and its workload container waited for (refused)."""
    spec = oci_default_spec()
    spec["process"]["rlimits"] = [{"type": "RLIMIT_AS", "soft": 1536 * MiB, "hard": NODE_AS}]
    containerd.restart(base_runtime_spec=spec)
    pod = kubelet.start_pod(objects)
    installed(pod)
    refused = kubelet.wait(pod, WORKLOAD_CONTAINER)
    assert (refused.exit_code, refused.stdout) == (77, ""), refused
    golden.check("cri_advice/as-refused-under-a-hard-base-spec.txt", refused.stderr)
    return refused


def cat_limits(kubelet: Kubelet, objects: list[dict]) -> dict[str, tuple[str, str]]:
    """The limits a container of a new pod starts with, rlimit-init aside."""
    pod = kubelet.run_sandbox(objects)
    kubelet.start_container(pod, WORKLOAD_CONTAINER, ["cat", "/proc/self/limits"])
    done = kubelet.wait(pod, WORKLOAD_CONTAINER)
    assert done.exit_code == 0, done
    return limits_of(done.stdout)


@pytest.mark.sets_rlimit_as
def test_the_base_runtime_spec_recipe_grants_the_request_and_changes_no_other_limit(
        containerd: Containerd, kubelet: Kubelet, tmp_path: Path) -> None:
    objects = render(VALUES / "map-2g.yaml")
    # 1. What containerd gives a container without a base_runtime_spec: its own limits.
    containerd.restart()
    without = cat_limits(kubelet, objects)
    own = limits_of(containerd.own_limits())
    assert {k: without[k] for k in OTHER_LIMITS} == {k: own[k] for k in OTHER_LIMITS}
    # 2. A node whose base spec gives a hard 2 GiB: refused, the recipe printed first.
    refused = refused_under_hard_base_spec(containerd, kubelet, objects)
    # 3. Followed as printed: the command run (its file here), the file named in containerd's
    # config, containerd restarted.
    [command] = re.findall(r"holds only this entry, (ctr oci spec \| jq '[^']*' > "
                           r"/etc/containerd/cri-base\.json)", fix_lines(refused.stderr)[0])
    written = tmp_path / "cri-base.json"
    done = subprocess.run(["sh", "-c", command.replace("/etc/containerd/cri-base.json",
                                                       str(written))],
                          capture_output=True, text=True, check=False)
    assert (done.returncode, done.stderr) == (0, "")
    containerd.restart(base_runtime_spec=written)
    pod = kubelet.start_pod(objects, containers=False)
    installed(pod)
    kubelet.start_container(pod, WORKLOAD_CONTAINER, show_limits(objects))
    job = kubelet.wait(pod, WORKLOAD_CONTAINER)
    shown = printed_limits(job.stdout)
    assert (job.exit_code, job.stdout.splitlines()[-1]) == (0, f"mapped_bytes={2 * GiB}"), job
    golden.check(GRANTED_AT_3_GIB, job.stderr)
    assert shown["Max address space"] == (str(3 * GiB), str(3 * GiB))
    # Every other limit is what containerd gives without a base spec.
    assert {k: shown[k] for k in OTHER_LIMITS} == {k: without[k] for k in OTHER_LIMITS}


@pytest.mark.sets_rlimit_as
def test_the_rlimit_data_entry_in_place_of_rlimit_as_reaches_the_pod_and_grants(
        containerd: Containerd, kubelet: Kubelet) -> None:
    """The line after the fix: the base_runtime_spec entry for RLIMIT_DATA in place of the
    RLIMIT_AS one. Followed through CRI: a base spec whose process.rlimits holds only that
    entry gives the pod's container the data cap, soft and hard, and containerd's own address
    space, and rlimit-init grants the request it refused."""
    objects = render(VALUES / "map-2g.yaml")
    refused = refused_under_hard_base_spec(containerd, kubelet, objects)
    [entry] = re.findall(r"^if the address-space cap is there to bound memory, cap RLIMIT_DATA in "
                         r"its place: put (\{\"type\":\"RLIMIT_DATA\"[^}]*\}) in "
                         r"base_runtime_spec's process\.rlimits instead of RLIMIT_AS ",
                         fix_lines(refused.stderr)[1])
    assert json.loads(entry) == {"type": "RLIMIT_DATA", "soft": 3 * GiB, "hard": 3 * GiB}
    spec = oci_default_spec()
    spec["process"]["rlimits"] = [json.loads(entry)]
    containerd.restart(base_runtime_spec=spec)
    own = limits_of(containerd.own_limits())
    pod = kubelet.start_pod(objects, containers=False)
    installed(pod)
    kubelet.start_container(pod, WORKLOAD_CONTAINER, [
        "sh", "-c", 'grep -E "^Max (data size|address space)" /proc/self/limits; exec "$@"', "sh",
        *container(pod_spec(objects))["command"]])
    job = kubelet.wait(pod, WORKLOAD_CONTAINER)
    shown = limits_of("header\n" + "".join(line + "\n" for line in job.stdout.splitlines()
                                          if line.startswith("Max ")))
    assert (job.exit_code, job.stdout.splitlines()[-1]) == (0, f"mapped_bytes={2 * GiB}"), job
    assert (shown["Max data size"], shown["Max address space"]) == (
        (str(3 * GiB), str(3 * GiB)), own["Max address space"])


@pytest.mark.sets_rlimit_as
def test_the_recipe_as_it_was_lowered_every_pods_open_file_limit(
        containerd: Containerd, kubelet: Kubelet) -> None:
    """The control: `ctr oci spec` with the entry added to its process.rlimits, as the recipe
    said before, gives every container ctr oci spec's RLIMIT_NOFILE 1024:1024."""
    spec = oci_default_spec()
    assert spec["process"]["rlimits"] == [{"type": "RLIMIT_NOFILE", "hard": 1024, "soft": 1024}]
    spec["process"]["rlimits"].append({"type": "RLIMIT_AS", "soft": 3 * GiB, "hard": 3 * GiB})
    containerd.restart(base_runtime_spec=spec)
    objects = render(VALUES / "map-2g.yaml")
    limits = cat_limits(kubelet, objects)
    own = limits_of(containerd.own_limits())
    assert (limits["Max open files"], limits["Max address space"]) == (
        ("1024", "1024"), (str(3 * GiB), str(3 * GiB)))
    assert own["Max open files"] != ("1024", "1024"), own

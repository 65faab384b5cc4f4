# SPDX-License-Identifier: Apache-2.0
"""Plays a Kubernetes node or a Docker engine with runc, the OCI runtime that both use.

For the pod that `helm template` renders from a values file in tests/runc/values/ (or that
`kubectl kustomize deploy/` renders), a bundle per container whose config.json says what kubelet
and containerd would say (the rendered command, args, env and securityContext,
resources.limits.memory as linux.resources.memory, the node's RLIMIT_AS as process.rlimits the
way a containerd base_runtime_spec sets it, the emptyDir and the policy ConfigMap as bind
mounts, the termination message file), run init container first; for the user image of
tests/runc/user-image/, what `docker run --memory=` says on a host whose containerd passes its
own RLIMIT_AS on (Docker cannot set one per container). The rlimit-init image is the filesystem
scripts/build-rootfs.sh writes, which is the Dockerfile's final stage; the workload images are
busybox-static and the host's python3.

    finished = node.run_pod(render_values("raise-soft"), rlimit_as=(256 * MiB, RLIM_INFINITY))
    finished[WORKLOAD_CONTAINER].stderr     # what the workload container wrote
    node.docker_run(USER_IMAGE, ulimit_as=(256 * MiB, RLIM_INFINITY), memory=1 * GiB)

No tests here, and no fixtures: runc_fixtures.py makes a Runtime, the images and a Node.
"""

from __future__ import annotations

import copy
import json
import os
import secrets
import select
import shutil
import subprocess
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import golden
from chart_render import (INIT_CONTAINER, REPO, ToolMissing, container, find, helm_path,
                          memory_limit_bytes, mounts, pod_spec, render)
from conftest import skip_unless
from node_pod import CGROUP_ROOT, FinishedContainer, NodePod, remove_cgroup_trees
from oci_image import Image, repository

RUNC_TESTS = REPO / "tests" / "runc"
VALUES = RUNC_TESTS / "values"
USER_IMAGE_CONTEXT = RUNC_TESTS / "user-image"
# The tag the chart's image-mode values give the image built from USER_IMAGE_CONTEXT.
USER_IMAGE = "registry.example.com/batch/python-job"
SETUP_HINT = "run scripts/setup-runc.sh as root"
MEMORY_CGROUP = CGROUP_ROOT / "memory"

MiB = 1 << 20
GiB = 1 << 30
RLIM_INFINITY = (1 << 64) - 1
# Seconds without a line or an exit after which a container counts as hung.
HANG_TIMEOUT = 120

# What the workload sees: the policy and the memory limit inside the container.
POLICY_FILE = "/etc/rlimit-init/policy.yaml"
LIMIT_SOURCE = "/sys/fs/cgroup/memory/memory.limit_in_bytes"

# containerd's default capability set for a container without privileged: true.
CONTAINERD_CAPABILITIES = [
    "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW",
    "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE",
    "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE",
]
# The variables kubelet gives every container for the API server's Service.
KUBELET_ENV = ["KUBERNETES_SERVICE_HOST=10.96.0.1", "KUBERNETES_SERVICE_PORT=443",
               "KUBERNETES_SERVICE_PORT_HTTPS=443", "KUBERNETES_PORT=tcp://10.96.0.1:443"]
IMAGE_PATH = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


def render_values(name: str, set_values: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    try:
        helm_path()
    except ToolMissing as error:
        skip_unless(False, str(error))
    return render(VALUES / f"{name}.yaml", set_values=set_values)


@dataclass
class Launch:
    """What a runtime is told for one container, in the terms of an OCI config.json."""
    image: Image
    args: list[str]
    env: list[str]
    user: tuple[int, int]
    capabilities: list[str]
    no_new_privileges: bool
    readonly_root: bool
    rlimit_as: tuple[int, int]
    memory_limit: int | None
    hostname: str
    cgroups_path: str
    # (host source, container destination, read-only)
    binds: list[tuple[Path, str, bool]] = field(default_factory=list)
    # Empty files the runtime creates in the container's root (Docker's /.dockerenv).
    marker_files: list[str] = field(default_factory=list)
    # Other process.rlimits entries, {"type": "RLIMIT_NOFILE", "soft": N, "hard": N}, as a
    # runtime's defaults or a base_runtime_spec put them there.
    rlimits: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Finished(FinishedContainer):
    # The parent cgroup's memory.max_usage_in_bytes after the container exited: for a pod, the
    # peak memory charged to it so far (runc removes the container's own cgroup on exit).
    parent_peak_memory: int


class Running:
    """A container that `runc run` runs in the background: read its stdout line by line, signal
    its first process as `runc kill` does for kubelet's and Docker's stop, then wait for it."""

    def __init__(self, runtime: Runtime, container_id: str, process: subprocess.Popen,
                 parent_cgroup: Path, termination_log: Path | None) -> None:
        self.runtime = runtime
        self.container_id = container_id
        self.process = process
        self.parent_cgroup = parent_cgroup
        self.termination_log = termination_log
        self.lines: list[str] = []
        self.pending = b""

    def read_line(self) -> str:
        """The container's next line of stdout; silence past HANG_TIMEOUT is a hang. Reads the
        pipe itself, not through the file object's buffer, which could hold a second line that
        select() would then never report."""
        while b"\n" not in self.pending:
            ready, _, _ = select.select([self.process.stdout], [], [], HANG_TIMEOUT)
            assert ready, f"{self.container_id}: no line on stdout in {HANG_TIMEOUT} s"
            chunk = os.read(self.process.stdout.fileno(), 4096)
            if not chunk:
                break
            self.pending += chunk
        line, newline, self.pending = self.pending.partition(b"\n")
        self.lines.append((line + newline).decode())
        return self.lines[-1]

    def kill(self, signal_name: str) -> None:
        """`runc kill ID SIGNAL`: the signal to the container's first process."""
        done = self.runtime.runc("kill", self.container_id, signal_name)
        assert (done.returncode, done.stderr) == (0, ""), done

    def wait(self) -> Finished:
        stdout, stderr = self.process.communicate(timeout=HANG_TIMEOUT)
        peak = int((self.parent_cgroup / "memory.max_usage_in_bytes").read_text())
        message = self.termination_log.read_text() if self.termination_log else ""
        stdout = "".join(self.lines) + self.pending.decode() + stdout
        return Finished(self.process.returncode, stdout, stderr, message, peak)


class Runtime:
    """runc with its own state directory, and the cgroup parent every test container goes
    under: /sys/fs/cgroup/<controller>/<parent>/{kubepods,docker}/..., removed at the end."""

    def __init__(self, work: Path) -> None:
        self.state = work / "runc-state"
        self.state.mkdir()
        self.cgroup_parent = f"rlimit-init-runc-test-{os.getpid()}-{secrets.token_hex(3)}"
        spec_dir = work / "spec"
        spec_dir.mkdir()
        subprocess.run(["runc", "spec", "--bundle", str(spec_dir)], check=True)
        self.base_spec = json.loads((spec_dir / "config.json").read_text())

    def runc(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
        return subprocess.run(["runc", "--root", str(self.state), *args], capture_output=True,
                              text=True, stdin=subprocess.DEVNULL, timeout=timeout, check=False)

    def config(self, launch: Launch) -> dict[str, Any]:
        """`runc spec`'s config.json with the settings of `launch`."""
        config = copy.deepcopy(self.base_spec)
        process = config["process"]
        process["terminal"] = False
        process["args"] = launch.args
        process["env"] = launch.env
        process["cwd"] = "/"
        process["user"] = {"uid": launch.user[0], "gid": launch.user[1]}
        process["capabilities"] = {name: list(launch.capabilities)
                                   for name in ("bounding", "effective", "permitted")}
        process["noNewPrivileges"] = launch.no_new_privileges
        soft, hard = launch.rlimit_as
        process["rlimits"] = [r for r in process.get("rlimits", []) if r["type"] != "RLIMIT_AS"]
        process["rlimits"].append({"type": "RLIMIT_AS", "soft": soft, "hard": hard})
        types = {r["type"] for r in launch.rlimits}
        process["rlimits"] = [r for r in process["rlimits"] if r["type"] not in types]
        process["rlimits"] += launch.rlimits
        config["root"] = {"path": "rootfs", "readonly": launch.readonly_root}
        config["hostname"] = launch.hostname
        binds = [(Path(b), b, True) for b in launch.image.binds] + launch.binds
        for source, destination, read_only in binds:
            config["mounts"].append({"destination": destination, "type": "bind",
                                     "source": str(source),
                                     "options": ["rbind", "ro" if read_only else "rw"]})
        if launch.memory_limit is not None:
            # Both kubelet (cgroup v1) and docker run --memory set memory+swap to the same
            # value: no swap for the container.
            config["linux"]["resources"]["memory"] = {"limit": launch.memory_limit,
                                                      "swap": launch.memory_limit}
        config["linux"]["cgroupsPath"] = launch.cgroups_path
        return config

    def run(self, launch: Launch, bundle: Path, container_id: str,
            termination_log: Path | None = None) -> Finished:
        """Writes the bundle and runs the container to its end with `runc run`, its stdio
        captured."""
        return self.start(launch, bundle, container_id, termination_log).wait()

    def start(self, launch: Launch, bundle: Path, container_id: str,
              termination_log: Path | None = None) -> Running:
        """Writes the bundle and starts `runc run` in the background, its stdio piped: the
        container's first process holds the pipes, as under a containerd shim."""
        shutil.copytree(launch.image.template, bundle / "rootfs", symlinks=True)
        for marker in launch.marker_files:
            (bundle / "rootfs" / marker.lstrip("/")).touch()
        (bundle / "config.json").write_text(json.dumps(self.config(launch), indent=2))
        process = subprocess.Popen(
            ["runc", "--root", str(self.state), "run", "--bundle", str(bundle), container_id],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        parent = MEMORY_CGROUP / os.path.dirname(launch.cgroups_path).lstrip("/")
        return Running(self, container_id, process, parent, termination_log)

    def remove_cgroups(self) -> None:
        remove_cgroup_trees(self.cgroup_parent)


@dataclass(kw_only=True)
class Pod(NodePod):
    """A pod as this node runs it: every container inherits RLIMIT_AS `rlimit_as` (soft, hard)."""
    rlimit_as: tuple[int, int]


class Node:
    """Runs containers the way a node would: a rendered pod as kubelet and containerd run it
    (init containers in order, then the workload container), or an image as `docker run`
    does. Each container gets its own runc bundle under `work`."""

    def __init__(self, runtime: Runtime, images: dict[str, Image], work: Path) -> None:
        self.runtime = runtime
        self.images = images
        self.work = work
        self.containers: list[str] = []

    def cleanup(self) -> None:
        """`runc delete --force` of every container started, whatever state it is in."""
        for container_id in self.containers:
            self.runtime.runc("delete", "--force", container_id, timeout=30)

    def new_id(self, name: str) -> str:
        container_id = f"{name[:40]}-{secrets.token_hex(6)}"
        self.containers.append(container_id)
        return container_id

    def run_pod(self, objects: list[dict[str, Any]], *, rlimit_as: tuple[int, int],
                without_rlimit_init: bool = False) -> dict[str, Finished]:
        """Runs the pod of the rendered Job under a node whose containers inherit RLIMIT_AS
        `rlimit_as` (soft, hard). `without_rlimit_init` runs the workload's own command with
        neither the init container nor the wrapper: the job as it was before rlimit-init."""
        finished, running = self.start_pod(objects, rlimit_as=rlimit_as,
                                           without_rlimit_init=without_rlimit_init)
        for name, container_running in running.items():
            finished[name] = container_running.wait()
        return finished

    def start_pod(self, objects: list[dict[str, Any]], *, rlimit_as: tuple[int, int],
                  without_rlimit_init: bool = False
                  ) -> tuple[dict[str, Finished], dict[str, Running]]:
        """As run_pod, but leaves the pod's containers running once its init containers have
        finished: (the init containers finished, the containers running). None run when an
        init container fails."""
        spec = pod_spec(objects)
        job_name = find(objects, "Job")[0]["metadata"]["name"]
        pod = Pod(name=f"{job_name}-{secrets.token_hex(3)}", uid=str(uuid.uuid4()),
                  directory=self.work / f"pod-{len(self.containers)}", objects=objects,
                  spec=spec, rlimit_as=rlimit_as)
        pod.directory.mkdir()
        pod.make_volumes()
        finished: dict[str, Finished] = {}
        running: dict[str, Running] = {}
        names = [] if without_rlimit_init else [c["name"] for c in spec.get("initContainers", [])]
        for name in names:
            finished[name] = self.start_pod_container(pod, name).wait()
            if finished[name].exit_code != 0:
                return finished, running
        for c in spec["containers"]:
            command = None
            if without_rlimit_init:
                command = c["command"][c["command"].index("--") + 1:]
            running[c["name"]] = self.start_pod_container(pod, c["name"], command=command)
        return finished, running

    def start_pod_container(self, pod: Pod, name: str, *,
                            command: list[str] | None = None) -> Running:
        """One container of the pod, with what kubelet and containerd put in its spec."""
        c = container(pod.spec, name)
        image = self.images[repository(c["image"])]
        context = c.get("securityContext", {})
        pod_context = pod.spec.get("securityContext", {})
        bundle = pod.directory / name
        bundle.mkdir()
        termination_log = bundle / "termination-log"
        termination_log.touch()
        # kubelet makes the file writable by any user, so a non-root container can report.
        termination_log.chmod(0o666)
        # A container's command replaces the image's ENTRYPOINT (and drops its CMD); its args
        # replace CMD.
        entrypoint = c.get("command", image.entrypoint) if command is None else command
        args = c.get("args", image.cmd if "command" not in c else [])
        dropped = context.get("capabilities", {}).get("drop", [])
        capabilities = [] if "ALL" in dropped else [
            cap for cap in CONTAINERD_CAPABILITIES if cap.removeprefix("CAP_") not in dropped]
        capabilities += [f"CAP_{cap}" for cap in context.get("capabilities", {}).get("add", [])]
        binds = [(pod.volumes[m["name"]], path, bool(m.get("readOnly")))
                 for path, m in mounts(pod.spec, name).items()]
        binds.append((termination_log, c.get("terminationMessagePath", "/dev/termination-log"),
                      False))
        container_id = self.new_id(f"{pod.name}-{name}")
        launch = Launch(
            image=image,
            args=entrypoint + args,
            env=[IMAGE_PATH, f"HOSTNAME={pod.name}", *KUBELET_ENV,
                 *(f"{e['name']}={e['value']}" for e in c.get("env", []))],
            user=(context.get("runAsUser", pod_context.get("runAsUser", image.user[0])),
                  context.get("runAsGroup", pod_context.get("runAsGroup", image.user[1]))),
            capabilities=capabilities,
            no_new_privileges=context.get("allowPrivilegeEscalation", True) is False,
            readonly_root=context.get("readOnlyRootFilesystem", False),
            # What a containerd base_runtime_spec with process.rlimits gives every container.
            rlimit_as=pod.rlimit_as,
            memory_limit=memory_limit_bytes(c),
            hostname=pod.name,
            cgroups_path=(f"/{self.runtime.cgroup_parent}/kubepods/{pod.qos_class}/"
                          f"pod{pod.uid}/{container_id}"),
            binds=binds)
        return self.runtime.start(launch, bundle, container_id, termination_log)

    def docker_run(self, image_name: str, *, ulimit_as: tuple[int, int],
                   memory: int) -> Finished:
        """`docker run --memory=MEMORY IMAGE` under a containerd with RLIMIT_AS SOFT:HARD (its
        unit's LimitAS=, which every container inherits): the image's ENTRYPOINT and
        CMD, root unless the image says otherwise, Docker's default capabilities (containerd's
        set) and its /.dockerenv."""
        return self.docker_start(image_name, ulimit_as=ulimit_as, memory=memory).wait()

    def docker_start(self, image_name: str, *, ulimit_as: tuple[int, int], memory: int,
                     command: list[str] | None = None,
                     entrypoint: list[str] | None = None) -> Running:
        """`docker run -d` of what docker_run runs: `command` replaces the image's CMD (`docker
        run IMAGE COMMAND...`), `entrypoint` its ENTRYPOINT (`--entrypoint`, which also drops
        CMD)."""
        image = self.images[repository(image_name)]
        container_id = self.new_id(repository(image_name).rsplit("/", 1)[-1])
        bundle = self.work / container_id
        bundle.mkdir()
        cmd = command if command is not None else [] if entrypoint is not None else image.cmd
        launch = Launch(
            image=image, args=(image.entrypoint if entrypoint is None else entrypoint) + cmd,
            env=[IMAGE_PATH], user=image.user, capabilities=list(CONTAINERD_CAPABILITIES),
            no_new_privileges=False, readonly_root=False, rlimit_as=ulimit_as,
            memory_limit=memory, hostname=container_id[:12],
            cgroups_path=f"/{self.runtime.cgroup_parent}/docker/{container_id}",
            marker_files=["/.dockerenv"])
        return self.runtime.start(launch, bundle, container_id)


def installed(finished: dict[str, Finished]) -> None:
    """The init container copied the binary into the emptyDir."""
    init = finished[INIT_CONTAINER]
    assert (init.exit_code, init.stdout) == (0, ""), init
    golden.check(INSTALLED, init.stderr)


# What the chart's init container (rlimit-init install /target) says, under runc and containerd.
INSTALLED = "runc/init-container-installed.txt"


# The seed job's summary under a containerd with LimitAS=268435456:infinity and a memory limit of
# 1 GiB, the workload asking for 512Mi: golden.check(RAISED_TO_512_MIB, job.stderr).
RAISED_TO_512_MIB = "runc/raised-to-512-mib-under-1-gib.txt"

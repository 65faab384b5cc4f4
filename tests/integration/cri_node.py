# SPDX-License-Identifier: Apache-2.0
"""A Kubernetes node made of Debian's containerd, driven through its CRI plugin the way the
kubelet drives it: no runc bundles written by the tests, containerd writes every spec.

    containerd = Containerd(work, images)       # its own root, state dir, socket and config
    containerd.start(prlimit=("--as=268435456:536870912",))
    pod = Kubelet(containerd).run_pod(render_values("raise-soft"))
    pod.finished["workload"].exit_code, .stdout, .stderr, .termination_message
    containerd.stop()                           # pods, shims, mounts, cgroups: all gone

What the Kubelet class does for a rendered Job's pod, in the kubelet's order: RunPodSandbox with
the node's network (hostNetwork: no CNI) and a kubelet-like cgroup_parent (cgroupfs driver:
<root>/kubepods/<qos>/pod<uid>, <root> being this run's own, as kubelet's --cgroup-root makes
one), the pod's volumes on the node's disk (an emptyDir, a configMap as a directory with a file
per key), each init container to its end, then the containers, each with the rendered command,
args, env (and the API server's variables kubelet adds), mounts, memory limit, securityContext
(user, group, dropped capabilities, read-only root, no_new_privs, seccomp RuntimeDefault, the
default masked and read-only /proc paths), its log file, and the termination message file
mounted at terminationMessagePath. StopContainer with a grace period is `kubectl delete`'s
stop.

Images are imported with `ctr images import` from OCI archives (oci_archive.py); the sandbox
image is busybox sleeping. The python image holds no Python of its own: the host's /usr and
friends are mounted read-only into it (as runc_node.py binds them), since the host's python3
is the workload's interpreter. containerd runs with restrict_oom_score_adj (root here lacks
CAP_SYS_RESOURCE) and the cgroupfs driver.

The CRI stubs are generated at test time from tests/integration/cri/api.proto (k8s.io/cri-api
v0.34.0, unchanged) with grpc_tools.protoc; bookworm's protoc predates the field option
debug_redact, so the copy handed to it has those four options removed (they only mark fields
for log redaction; the wire format is the same).
"""

from __future__ import annotations

import importlib
import json
import os
import re
import secrets
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from chart_render import find, memory_limit_bytes, mounts, pod_spec
from node_pod import FinishedContainer, NodePod, remove_cgroup_trees
from oci_image import Image, repository

CRI_DIR = Path(__file__).resolve().parent / "cri"
MEMORY_CGROUP = Path("/sys/fs/cgroup/memory")
SETUP_HINT = "run scripts/setup.sh --tests as root (containerd, python3-grpcio, python3-grpc-tools)"
# Seconds a container may run, or containerd take to answer, before it counts as hung: a bound
# on waiting, never an assertion about speed.
HANG_TIMEOUT = 120
KUBELET_ENV = {"KUBERNETES_SERVICE_HOST": "10.96.0.1", "KUBERNETES_SERVICE_PORT": "443",
               "KUBERNETES_SERVICE_PORT_HTTPS": "443", "KUBERNETES_PORT": "tcp://10.96.0.1:443"}
# kubelet's defaults for a container that is not privileged (pkg/securitycontext/util.go).
MASKED_PATHS = ["/proc/asound", "/proc/acpi", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
                "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi",
                "/sys/firmware"]
READONLY_PATHS = ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"]
SANDBOX_IMAGE = "docker.io/library/busybox:cri-sandbox"


def full_reference(reference: str) -> str:
    """The name containerd's CRI stores an image under: "python:3.11" ->
    "docker.io/library/python:3.11"."""
    first = reference.split("/", 1)[0]
    if "/" not in reference:
        reference = f"library/{reference}"
        first = "library"
    if "." not in first and ":" not in first and first != "localhost":
        reference = f"docker.io/{reference}"
    return reference


def stubs(out: Path) -> tuple[Any, Any]:
    """(api_pb2, api_pb2_grpc) generated into `out` from the committed api.proto."""
    out.mkdir(parents=True, exist_ok=True)
    source = out / "proto"
    source.mkdir(exist_ok=True)
    text = (CRI_DIR / "api.proto").read_text()
    (source / "api.proto").write_text(text.replace(" [debug_redact = true]", ""))
    done = subprocess.run([sys.executable, "-m", "grpc_tools.protoc", f"-I{source}",
                           f"--python_out={out}", f"--grpc_python_out={out}",
                           str(source / "api.proto")], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    sys.path.insert(0, str(out))
    return importlib.import_module("api_pb2"), importlib.import_module("api_pb2_grpc")


@dataclass
class Finished(FinishedContainer):
    reason: str  # the CRI status's reason ("Completed", "Error", "OOMKilled")


@dataclass(kw_only=True)
class Pod(NodePod):
    """A pod as containerd's CRI runs it: its sandbox and what became of its containers."""
    sandbox_id: str = ""
    sandbox_config: Any = None
    containers: dict[str, str] = field(default_factory=dict)  # name -> latest container id
    attempts: dict[str, int] = field(default_factory=dict)  # name -> containers made so far
    finished: dict[str, Finished] = field(default_factory=dict)


class Containerd:
    """One containerd with its own root, state dir, socket and config under `work`, started
    and stopped by the tests (no systemd). `base_runtime_spec` is written to a file and named in
    the runc runtime's table as the option of that name."""

    def __init__(self, work: Path, api: tuple[Any, Any], images: dict[str, Path]) -> None:
        self.work = work
        self.pb, self.pb_grpc = api
        self.images = images  # full reference -> OCI archive
        self.socket = work / "containerd.sock"
        self.config = work / "config.toml"
        self.log = work / "containerd.log"
        self.cgroup_root = f"rlimit-init-cri-test-{os.getpid()}-{secrets.token_hex(3)}"
        self.process: subprocess.Popen | None = None
        self.channel = None
        self.runtime = None
        self.image_service = None

    def write_config(self, base_runtime_spec: dict | Path | None) -> None:
        spec_line = ""
        if base_runtime_spec is not None:
            spec_file = base_runtime_spec
            if isinstance(base_runtime_spec, dict):
                spec_file = self.work / "cri-base.json"
                spec_file.write_text(json.dumps(base_runtime_spec, indent=2))
            spec_line = f'base_runtime_spec = "{spec_file}"'
        for name in ("root", "state", "opt", "cni-conf", "cni-bin"):
            (self.work / name).mkdir(exist_ok=True)
        self.config.write_text(f"""version = 2
root = "{self.work / 'root'}"
state = "{self.work / 'state'}"
disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs",
  "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.zfs",
  "io.containerd.tracing.processor.v1.otlp", "io.containerd.internal.v1.tracing"]
[grpc]
  address = "{self.socket}"
[plugins."io.containerd.internal.v1.opt"]
  path = "{self.work / 'opt'}"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "{SANDBOX_IMAGE}"
  restrict_oom_score_adj = true
  stream_server_port = "0"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "{self.work / 'cni-bin'}"
    conf_dir = "{self.work / 'cni-conf'}"
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      {spec_line}
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
""")

    def start(self, *, prlimit: tuple[str, ...] = (),
              base_runtime_spec: dict | Path | None = None) -> None:
        """Starts containerd (under `prlimit OPTIONS...` when given, as a unit's Limit*= would
        start it; with a base_runtime_spec, a spec or the file that holds one) and waits until
        its CRI answers; imports the images on the first start."""
        import grpc
        self.write_config(base_runtime_spec)
        command = ["containerd", "--config", str(self.config)]
        if prlimit:
            command = ["prlimit", *prlimit, "--", *command]
        with self.log.open("a") as log:
            self.process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=log,
                                            stderr=log, start_new_session=True)
        self.channel = grpc.insecure_channel(f"unix://{self.socket}")
        self.runtime = self.pb_grpc.RuntimeServiceStub(self.channel)
        self.image_service = self.pb_grpc.ImageServiceStub(self.channel)
        deadline = time.monotonic() + HANG_TIMEOUT
        while True:
            assert self.process.poll() is None, f"containerd exited: {self.log_tail()}"
            try:
                self.runtime.Version(self.pb.VersionRequest(), timeout=5)
                break
            except grpc.RpcError:
                assert time.monotonic() < deadline, f"containerd hung: {self.log_tail()}"
                time.sleep(0.1)
        for reference, archive in self.images.items():
            if not self.image_service.ImageStatus(self.pb.ImageStatusRequest(
                    image=self.pb.ImageSpec(image=reference))).HasField("image"):
                self.ctr("images", "import", str(archive))

    def ctr(self, *args: str) -> str:
        done = subprocess.run(["ctr", "--address", str(self.socket), "--namespace", "k8s.io",
                               *args], capture_output=True, text=True, timeout=HANG_TIMEOUT)
        assert done.returncode == 0, done.stderr
        return done.stdout

    def own_limits(self) -> str:
        """containerd's own /proc/PID/limits: what a container whose spec sets no rlimit
        inherits through the shim."""
        return (Path("/proc") / str(self.daemon_pid()) / "limits").read_text()

    def daemon_pid(self) -> int:
        """containerd's pid (prlimit execs it, so it is the pid started)."""
        assert self.process is not None
        return self.process.pid

    def restart(self, **start: Any) -> None:
        """As systemctl restart does with Debian's unit (KillMode=process): SIGTERM to
        containerd alone, its shims and their containers keep running; then start again."""
        self.terminate()
        self.start(**start)

    def terminate(self) -> None:
        if self.channel is not None:
            self.channel.close()
            self.channel = None
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=HANG_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def log_tail(self) -> str:
        return "\n".join(self.log.read_text().splitlines()[-20:]) if self.log.exists() else ""

    def stop(self) -> None:
        """Removes every pod through CRI when containerd still answers, then kills what is left
        whatever state the test left it in: containerd, the shims started for its socket and
        their containers, the mounts under `work`, the cgroups under this run's root."""
        if self.process is not None and self.process.poll() is None:
            try:
                for sandbox in self.runtime.ListPodSandbox(self.pb.ListPodSandboxRequest(),
                                                           timeout=30).items:
                    self.runtime.StopPodSandbox(
                        self.pb.StopPodSandboxRequest(pod_sandbox_id=sandbox.id), timeout=60)
                    self.runtime.RemovePodSandbox(
                        self.pb.RemovePodSandboxRequest(pod_sandbox_id=sandbox.id), timeout=60)
            except Exception:  # noqa: BLE001 - cleanup goes on with the kill below
                pass
        self.terminate()
        self.kill_shims()
        self.unmount()
        self.remove_cgroups()

    def kill_shims(self) -> None:
        """SIGKILL to every shim whose command line names this containerd's socket, and to the
        processes in its containers' cgroups."""
        for proc in Path("/proc").iterdir():
            if not proc.name.isdigit():
                continue
            try:
                argv = (proc / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if str(self.socket).encode() in argv and b"containerd-shim" in argv[0]:
                os.kill(int(proc.name), signal.SIGKILL)
        top = MEMORY_CGROUP / self.cgroup_root
        for procs in top.rglob("cgroup.procs") if top.is_dir() else []:
            for pid in procs.read_text().split():
                try:
                    os.kill(int(pid), signal.SIGKILL)
                except ProcessLookupError:
                    pass

    def unmount(self) -> None:
        prefix = str(self.work) + "/"
        points = [line.split()[4] for line in Path("/proc/self/mountinfo").read_text().splitlines()]
        for point in sorted((p for p in points if p.startswith(prefix)), key=len, reverse=True):
            subprocess.run(["umount", "-l", point], capture_output=True, check=False)

    def remove_cgroups(self) -> None:
        remove_cgroup_trees(self.cgroup_root)


def read_cri_log(path: Path) -> tuple[str, str]:
    """(stdout, stderr) of a CRI log file: "TIME STREAM P|F TEXT" per line, P marking a
    partial line that the next one continues."""
    out = {"stdout": "", "stderr": ""}
    if not path.exists():
        return "", ""
    for line in path.read_text().splitlines():
        _, stream, tag, text = (line.split(" ", 3) + [""])[:4]
        out[stream] += text + ("\n" if tag == "F" else "")
    return out["stdout"], out["stderr"]


class Kubelet:
    """What kubelet asks of a CRI runtime for the pod of a rendered Job, on a node whose
    kubepods cgroups sit under `containerd.cgroup_root`."""

    def __init__(self, containerd: Containerd, python_binds: list[str]) -> None:
        self.c = containerd
        self.pb = containerd.pb
        self.python_binds = python_binds
        self.pods: list[Pod] = []

    def run_pod(self, objects: list[dict[str, Any]]) -> Pod:
        """Runs the pod to its end: init containers, then the containers, each waited for."""
        pod = self.start_pod(objects)
        for name in [c["name"] for c in pod.spec["containers"]]:
            if name in pod.containers:
                pod.finished[name] = self.wait(pod, name)
        return pod

    def start_pod(self, objects: list[dict[str, Any]], *, containers: bool = True) -> Pod:
        """The sandbox, the volumes, the init containers run to their end, the containers
        started (none when an init container failed, or `containers` is false)."""
        pod = self.run_sandbox(objects)
        for c in pod.spec.get("initContainers", []):
            self.start_container(pod, c["name"])
            pod.finished[c["name"]] = self.wait(pod, c["name"])
            if pod.finished[c["name"]].exit_code != 0:
                return pod
        for c in pod.spec["containers"] if containers else []:
            self.start_container(pod, c["name"])
        return pod

    def run_sandbox(self, objects: list[dict[str, Any]]) -> Pod:
        spec = pod_spec(objects)
        job = find(objects, "Job")[0]["metadata"]["name"]
        uid = str(uuid.uuid4())
        name = f"{job}-{secrets.token_hex(3)}"
        pod = Pod(name=name, uid=uid, directory=self.c.work / "pods" / uid, objects=objects,
                  spec=spec)
        pod.directory.mkdir(parents=True)
        pod.make_volumes()
        self.pods.append(pod)
        ns = self.pb.NamespaceOption(network=self.pb.NODE, pid=self.pb.CONTAINER,
                                     ipc=self.pb.POD)
        pod.sandbox_config = self.pb.PodSandboxConfig(
            metadata=self.pb.PodSandboxMetadata(name=name, uid=uid, namespace="default"),
            # kubelet sends no hostname for a pod on the node's network (no CNI here).
            log_directory=str(pod.directory / "logs"),
            labels={"io.kubernetes.pod.name": name, "io.kubernetes.pod.uid": uid},
            linux=self.pb.LinuxPodSandboxConfig(
                cgroup_parent=f"/{self.c.cgroup_root}/kubepods/{pod.qos_class}/pod{uid}",
                security_context=self.pb.LinuxSandboxSecurityContext(namespace_options=ns)))
        pod.sandbox_id = self.c.runtime.RunPodSandbox(
            self.pb.RunPodSandboxRequest(config=pod.sandbox_config),
            timeout=HANG_TIMEOUT).pod_sandbox_id
        return pod

    def container_config(self, pod: Pod, c: dict[str, Any],
                         extra_mounts: list[tuple[str, str]] = ()) -> Any:
        pb = self.pb
        context = c.get("securityContext", {})
        pod_context = pod.spec.get("securityContext", {})
        image = full_reference(c["image"])
        binds = [pb.Mount(container_path=path, host_path=str(pod.volumes[m["name"]]),
                          readonly=bool(m.get("readOnly")))
                 for path, m in mounts(pod.spec, c["name"]).items()]
        if repository(image).endswith("/python"):
            binds += [pb.Mount(container_path=b, host_path=b, readonly=True)
                      for b in self.python_binds]
        binds += [pb.Mount(container_path=path, host_path=host, readonly=True)
                  for host, path in extra_mounts]
        # kubelet: a file per container on the node, mounted at terminationMessagePath.
        message = pod.directory / "containers" / c["name"] / "termination-log"
        message.parent.mkdir(parents=True, exist_ok=True)
        message.touch()
        message.chmod(0o666)
        binds.append(pb.Mount(container_path=c.get("terminationMessagePath",
                                                   "/dev/termination-log"),
                              host_path=str(message)))
        dropped = context.get("capabilities", {}).get("drop", [])
        user = context.get("runAsUser", pod_context.get("runAsUser"))
        group = context.get("runAsGroup", pod_context.get("runAsGroup"))
        security = pb.LinuxContainerSecurityContext(
            capabilities=pb.Capability(drop_capabilities=dropped,
                                       add_capabilities=context.get("capabilities", {})
                                       .get("add", [])),
            namespace_options=pb.NamespaceOption(network=pb.NODE, pid=pb.CONTAINER, ipc=pb.POD),
            readonly_rootfs=bool(context.get("readOnlyRootFilesystem")),
            no_new_privs=context.get("allowPrivilegeEscalation", True) is False,
            masked_paths=MASKED_PATHS, readonly_paths=READONLY_PATHS,
            seccomp=pb.SecurityProfile(profile_type=pb.SecurityProfile.RuntimeDefault))
        if user is not None:
            security.run_as_user.value = user
        if group is not None:
            security.run_as_group.value = group
        resources = pb.LinuxContainerResources(cpu_shares=2, cpu_period=100000)
        limit = memory_limit_bytes(c)
        if limit is not None:
            # kubelet on cgroup v1 without swap: memory+swap equal to memory.
            resources.memory_limit_in_bytes = limit
            resources.memory_swap_limit_in_bytes = limit
        env = {**KUBELET_ENV, **{e["name"]: e["value"] for e in c.get("env", [])}}
        return pb.ContainerConfig(
            metadata=pb.ContainerMetadata(name=c["name"], attempt=pod.attempts[c["name"]]),
            image=pb.ImageSpec(image=image),
            command=c.get("command", []), args=c.get("args", []),
            envs=[pb.KeyValue(key=k, value=v) for k, v in env.items()],
            mounts=binds, log_path=f"{c['name']}/{pod.attempts[c['name']]}.log",
            labels={"io.kubernetes.container.name": c["name"]},
            linux=pb.LinuxContainerConfig(resources=resources, security_context=security))

    def start_container(self, pod: Pod, name: str, command: list[str] | None = None,
                        extra_mounts: list[tuple[str, str]] = ()) -> str:
        """CreateContainer and StartContainer for container `name` of the pod (`command`
        replacing its rendered command, as an edited manifest would; `extra_mounts`, (host
        path, container path) pairs, mounted read-only besides the pod's volumes)."""
        c = dict(next(x for x in [*pod.spec.get("initContainers", []), *pod.spec["containers"]]
                      if x["name"] == name))
        if command is not None:
            c["command"] = command
        # A container made again in the same pod is the next attempt, as kubelet counts them.
        pod.attempts[name] = pod.attempts.get(name, -1) + 1
        created = self.c.runtime.CreateContainer(self.pb.CreateContainerRequest(
            pod_sandbox_id=pod.sandbox_id, config=self.container_config(pod, c, extra_mounts),
            sandbox_config=pod.sandbox_config), timeout=HANG_TIMEOUT)
        self.c.runtime.StartContainer(
            self.pb.StartContainerRequest(container_id=created.container_id),
            timeout=HANG_TIMEOUT)
        pod.containers[name] = created.container_id
        return created.container_id

    def status(self, pod: Pod, name: str) -> Any:
        return self.c.runtime.ContainerStatus(self.pb.ContainerStatusRequest(
            container_id=pod.containers[name]), timeout=HANG_TIMEOUT).status

    def wait(self, pod: Pod, name: str) -> Finished:
        """Polls ContainerStatus, as kubelet's PLEG relists, until the container has exited."""
        deadline = time.monotonic() + HANG_TIMEOUT
        while (status := self.status(pod, name)).state != self.pb.CONTAINER_EXITED:
            assert time.monotonic() < deadline, f"{name} still running after {HANG_TIMEOUT} s"
            time.sleep(0.05)
        return self.finished(pod, name, status)

    def finished(self, pod: Pod, name: str, status: Any) -> Finished:
        stdout, stderr = read_cri_log(pod.directory / "logs" / name / f"{pod.attempts[name]}.log")
        message = (pod.directory / "containers" / name / "termination-log").read_text()
        return Finished(status.exit_code, stdout, stderr, message, status.reason)

    def stop(self, pod: Pod, name: str, grace_seconds: int) -> Finished:
        """kubectl delete's stop: StopContainer with the pod's grace period (SIGTERM, then
        SIGKILL once it has passed)."""
        self.c.runtime.StopContainer(self.pb.StopContainerRequest(
            container_id=pod.containers[name], timeout=grace_seconds),
            timeout=HANG_TIMEOUT + grace_seconds)
        return self.wait(pod, name)

    def read_line(self, pod: Pod, name: str, count: int = 1) -> str:
        """Waits until the container's stdout holds `count` lines and returns them."""
        deadline = time.monotonic() + HANG_TIMEOUT
        log = pod.directory / "logs" / name / f"{pod.attempts[name]}.log"
        while len((stdout := read_cri_log(log)[0]).splitlines()) < count:
            assert time.monotonic() < deadline, f"{name}: no line on stdout in {HANG_TIMEOUT} s"
            assert self.status(pod, name).state != self.pb.CONTAINER_EXITED, stdout
            time.sleep(0.05)
        return stdout

    def remove_pod(self, pod: Pod) -> None:
        self.c.runtime.StopPodSandbox(self.pb.StopPodSandboxRequest(
            pod_sandbox_id=pod.sandbox_id), timeout=HANG_TIMEOUT)
        self.c.runtime.RemovePodSandbox(self.pb.RemovePodSandboxRequest(
            pod_sandbox_id=pod.sandbox_id), timeout=HANG_TIMEOUT)


def oci_default_spec() -> dict[str, Any]:
    """`ctr oci spec`: the default spec containerd prints for a base_runtime_spec to start
    from."""
    done = subprocess.run(["ctr", "oci", "spec"], capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


def limits_of(text: str) -> dict[str, tuple[str, str]]:
    """/proc/PID/limits as {"Max open files": (soft, hard)}."""
    out = {}
    for line in text.splitlines()[1:]:
        match = re.match(r"(.+?)\s{2,}(\S+)\s+(\S+)", line)
        if match:
            out[match.group(1)] = (match.group(2), match.group(3))
    return out

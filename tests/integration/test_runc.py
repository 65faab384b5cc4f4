"""The image, the chart's rendered Job and the docs' examples, run for real under runc.

No Kubernetes node or Docker engine runs here, but the OCI runtime that both use does. The
tests play the node: for the pod that `helm template` renders from a values file in
tests/runc/values/ (or that `kubectl kustomize deploy/` renders), a bundle per container whose
config.json says what kubelet and containerd would say (the rendered command, args, env and
securityContext, resources.limits.memory as linux.resources.memory, the node's RLIMIT_AS as
process.rlimits the way a containerd base_runtime_spec sets it, the emptyDir and the policy
ConfigMap as bind mounts, the termination message file), run init container first; for the
user image of tests/runc/user-image/, what `docker run --ulimit as= --memory=` would say. The
rlimit-init image is the filesystem scripts/build-rootfs.sh writes, which is the Dockerfile's
final stage; the workload images are busybox-static and the host's python3.

Needs root, runc, a writable cgroup v1 memory hierarchy at /sys/fs/cgroup/memory and helm
(scripts/setup-runc.sh and scripts/setup-chart-tools.sh install them); without them the tests
skip saying why, and fail instead where RLIMIT_INIT_NO_SKIP=1 (CI).
"""

from __future__ import annotations

import copy
import json
import os
import re
import secrets
import shutil
import subprocess
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from chart_render import (INIT_CONTAINER, REPO, WORKLOAD_CONTAINER, ToolMissing, container, find,
                          helm_path, memory_limit_bytes, mounts, parse_objects, pod_spec,
                          policy_text, render)
from conftest import BINARY, skip_unless
from expected import describe

DOCKERFILE = REPO / "Dockerfile"
BUILD_ROOTFS = REPO / "scripts" / "build-rootfs.sh"
RUNC_TESTS = REPO / "tests" / "runc"
VALUES = RUNC_TESTS / "values"
DOCKERFILE_LINT = RUNC_TESTS / "node_modules" / ".bin" / "dockerfile-utils"
USER_IMAGE_CONTEXT = RUNC_TESTS / "user-image"
# The tag the chart's image-mode values give the image built from USER_IMAGE_CONTEXT.
USER_IMAGE = "registry.example.com/batch/python-job"
SETUP_HINT = "run scripts/setup-runc.sh as root"
CGROUP_ROOT = Path("/sys/fs/cgroup")
MEMORY_CGROUP = CGROUP_ROOT / "memory"

MiB = 1 << 20
GiB = 1 << 30
RLIM_INFINITY = (1 << 64) - 1

# What the workload sees: the policy and the memory limit inside the container.
POLICY_FILE = "/etc/rlimit-init/policy.yaml"
LIMIT_SOURCE = "/sys/fs/cgroup/memory/memory.limit_in_bytes"
KUBERNETES_LAYER = "Kubernetes (KUBERNETES_SERVICE_HOST is set)"

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


def test_dockerfile_parser_joins_continuations_and_splits_stages() -> None:
    stages = parse_dockerfile(
        "# syntax comment\nFROM a AS one\nRUN x \\\n    && y\n\nFROM scratch\n"
        "COPY --from=one /b /b\n")
    assert [[(i.keyword, i.arguments) for i in stage] for stage in stages] == [
        [("FROM", "a AS one"), ("RUN", "x && y")],
        [("FROM", "scratch"), ("COPY", "--from=one /b /b")],
    ]


def test_dockerfile_final_stage_is_the_binary_alone_run_as_non_root() -> None:
    final = dockerfile_stages()[-1]
    assert [(i.keyword, i.arguments) for i in final] == [
        ("FROM", "scratch"),
        ("COPY", "--from=build /rootfs/rlimit-init /rlimit-init"),
        ("USER", "65532:65532"),
        ("ENTRYPOINT", '["/rlimit-init"]'),
    ]


def test_dockerfile_build_stage_tests_and_writes_what_build_rootfs_writes() -> None:
    """The final stage copies what build-rootfs.sh wrote in the build stage, so the rootfs these
    tests run is the image's filesystem; the build stage also runs the unit tests."""
    stages = dockerfile_stages()
    assert len(stages) == 2
    build = stages[0]
    assert (build[0].keyword, build[0].arguments) == ("FROM", "debian:bookworm AS build")
    runs = [i.arguments for i in build if i.keyword == "RUN"]
    install = next(r for r in runs if "apt-get install" in r)
    packages = set(install.split(" && ")[1].split()[5:])
    assert packages == {"g++", "cmake", "make", "libyaml-cpp-dev", "libboost-program-options-dev",
                        "googletest", "libgtest-dev", "python3", "file"}
    assert "cd build && ctest --output-on-failure -E '^integration[.]'" in runs
    assert runs[-1] == "scripts/build-rootfs.sh --binary build/rlimit-init /rootfs"


def test_dockerfile_user_and_entrypoint_match_the_charts_init_container() -> None:
    init = container(pod_spec(render_values("raise-soft")), INIT_CONTAINER)
    assert init["command"][0] == "/rlimit-init"
    context = init["securityContext"]
    assert (context["runAsUser"], context["runAsGroup"]) == image_user() == (65532, 65532)


def test_dockerfile_passes_dockerfile_utils_lint() -> None:
    skip_unless(os.access(DOCKERFILE_LINT, os.X_OK),
            f"{DOCKERFILE_LINT.relative_to(REPO)} is missing: {SETUP_HINT}")
    done = subprocess.run([str(DOCKERFILE_LINT), "lint", "--json", str(DOCKERFILE)],
                          capture_output=True, text=True, check=False)
    assert (done.returncode, json.loads(done.stdout)) == (0, []), done.stdout + done.stderr


# --- docs/containers.md ----------------------------------------------------------------------

DOCS = [REPO / "docs" / "containers.md", REPO / "README.md"]
# Files whose content the docs show as a copy-paste example, each under a "<!-- PATH -->" line.
DOCUMENTED_FILES = ["tests/runc/user-image/Dockerfile", "tests/runc/user-image/job.py",
                    "tests/runc/values/image-mode.yaml", "tests/runc/values/raise-soft.yaml"]


def documented_examples() -> list[tuple[Path, str, str]]:
    """(doc, file path, code block) for every fenced block right after a "<!-- PATH -->" line
    in the docs (docs/containers.md, and README.md once they are folded into it)."""
    found = []
    pattern = re.compile(r"^<!-- (\S+) -->\n```[a-z]*\n(.*?)^```$", re.MULTILINE | re.DOTALL)
    for doc in DOCS:
        if doc.is_file():
            found += [(doc, m.group(1), m.group(2)) for m in pattern.finditer(doc.read_text())]
    return found


def test_docs_show_the_tested_files_exactly() -> None:
    examples = documented_examples()
    assert sorted({path for _, path, _ in examples}) == DOCUMENTED_FILES
    for doc, path, block in examples:
        assert block == (REPO / path).read_text(), f"{doc.name} shows {path} out of date"


def test_docs_name_only_tests_that_exist() -> None:
    text = (REPO / "docs" / "containers.md").read_text()
    named = set(re.findall(r"`(test_[a-z0-9_]+)`", text))
    assert len(named) >= 10
    assert sorted(n for n in named if not callable(globals().get(n))) == []


# --- scripts/build-rootfs.sh ----------------------------------------------------------------

def build_rootfs(out: Path, binary: Path = BINARY) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", str(BUILD_ROOTFS), "--binary", str(binary), str(out)],
                          capture_output=True, text=True, check=False)


@pytest.mark.static_binary
def test_build_rootfs_writes_only_the_stripped_static_binary(tmp_path: Path,
                                                             built_binary: Path) -> None:
    out = tmp_path / "rootfs"
    done = build_rootfs(out)
    assert done.returncode == 0, done.stderr
    target = out / "rlimit-init"
    assert done.stdout == (f"build-rootfs: wrote {target} ({target.stat().st_size} bytes, "
                           "stripped, statically linked)\n")
    assert [p.name for p in out.iterdir()] == ["rlimit-init"]
    assert target.stat().st_mode & 0o7777 == 0o755
    description = subprocess.run(["file", "-b", str(target)], capture_output=True, text=True,
                                 check=True).stdout
    assert "statically linked" in description and description.rstrip().endswith(", stripped")
    versions = [subprocess.run([str(b), "--version"], capture_output=True, text=True,
                               check=True).stdout for b in (BINARY, target)]
    assert versions[0] == versions[1]
    # Again into the same directory: replaced, nothing else left behind.
    assert build_rootfs(out).returncode == 0
    assert [p.name for p in out.iterdir()] == ["rlimit-init"]


def test_build_rootfs_refuses_a_dynamically_linked_binary(tmp_path: Path) -> None:
    dynamic = Path(shutil.which("ls") or "/bin/ls").resolve()
    done = build_rootfs(tmp_path / "rootfs", dynamic)
    description = subprocess.run(["file", "-b", str(dynamic)], capture_output=True, text=True,
                                 check=True).stdout.strip()
    assert (done.returncode, done.stderr) == (
        1, f"build-rootfs: {dynamic} is not statically linked ({description}): configure with "
           "-DRLIMIT_INIT_STATIC=ON\n")
    assert not (tmp_path / "rootfs" / "rlimit-init").exists()


@pytest.mark.static_binary
def test_build_rootfs_refuses_a_directory_holding_anything_else(tmp_path: Path,
                                                                built_binary: Path) -> None:
    (tmp_path / "config.json").write_text("{}")
    done = build_rootfs(tmp_path)
    assert (done.returncode, done.stderr) == (
        1, f"build-rootfs: {tmp_path} holds config.json: the image has only /rlimit-init; give "
           "an empty or new directory\n")


# --- the node: images, bundles, runc --------------------------------------------------------

def render_values(name: str, set_values: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    try:
        helm_path()
    except ToolMissing as error:
        skip_unless(False, str(error))
    return render(VALUES / f"{name}.yaml", set_values=set_values)


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


@dataclass
class Finished:
    exit_code: int
    stdout: str
    stderr: str
    # What the container left in its termination message file ("" when it has none).
    termination_message: str
    # The parent cgroup's memory.max_usage_in_bytes after the container exited: for a pod, the
    # peak memory charged to it so far (runc removes the container's own cgroup on exit).
    parent_peak_memory: int


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
        shutil.copytree(launch.image.template, bundle / "rootfs", symlinks=True)
        for marker in launch.marker_files:
            (bundle / "rootfs" / marker.lstrip("/")).touch()
        (bundle / "config.json").write_text(json.dumps(self.config(launch), indent=2))
        done = self.runc("run", "--bundle", str(bundle), container_id)
        parent = MEMORY_CGROUP / os.path.dirname(launch.cgroups_path).lstrip("/")
        peak = int((parent / "memory.max_usage_in_bytes").read_text())
        message = termination_log.read_text() if termination_log else ""
        return Finished(done.returncode, done.stdout, done.stderr, message, peak)

    def remove_cgroups(self) -> None:
        for hierarchy in CGROUP_ROOT.iterdir():
            top = hierarchy / self.cgroup_parent
            if not top.is_dir():
                continue
            for directory, _, _ in sorted(os.walk(top), key=lambda w: -len(w[0])):
                try:
                    os.rmdir(directory)
                except OSError:
                    pass


@dataclass
class Pod:
    name: str
    uid: str
    directory: Path
    objects: list[dict[str, Any]]
    spec: dict[str, Any]
    rlimit_as: tuple[int, int]
    volumes: dict[str, Path] = field(default_factory=dict)

    @property
    def qos_class(self) -> str:
        every = [*self.spec.get("initContainers", []), *self.spec["containers"]]
        if not any(c.get("resources") for c in every):
            return "besteffort"
        return "burstable"

    def make_volumes(self) -> None:
        """The pod's volumes on the node's disk: an emptyDir is an empty directory any user may
        write to; a configMap volume is a directory with a file per key of the rendered
        ConfigMap."""
        for volume in self.spec.get("volumes", []):
            path = self.directory / "volumes" / volume["name"]
            path.mkdir(parents=True)
            if "emptyDir" in volume:
                path.chmod(0o777)
            elif "configMap" in volume:
                config_map = find(self.objects, "ConfigMap", volume["configMap"]["name"])
                assert len(config_map) == 1, f"no rendered ConfigMap for volume {volume['name']}"
                for key, text in config_map[0]["data"].items():
                    (path / key).write_text(text)
            else:
                raise AssertionError(f"volume {volume['name']}: only emptyDir and configMap "
                                     "volumes are played by these tests")
            self.volumes[volume["name"]] = path


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
        spec = pod_spec(objects)
        job_name = find(objects, "Job")[0]["metadata"]["name"]
        pod = Pod(name=f"{job_name}-{secrets.token_hex(3)}", uid=str(uuid.uuid4()),
                  directory=self.work / f"pod-{len(self.containers)}", objects=objects,
                  spec=spec, rlimit_as=rlimit_as)
        pod.directory.mkdir()
        pod.make_volumes()
        finished: dict[str, Finished] = {}
        names = [] if without_rlimit_init else [c["name"] for c in spec.get("initContainers", [])]
        for name in names:
            finished[name] = self.run_pod_container(pod, name)
            if finished[name].exit_code != 0:
                return finished
        for c in spec["containers"]:
            command = None
            if without_rlimit_init:
                command = c["command"][c["command"].index("--") + 1:]
            finished[c["name"]] = self.run_pod_container(pod, c["name"], command=command)
        return finished

    def run_pod_container(self, pod: Pod, name: str, *,
                          command: list[str] | None = None) -> Finished:
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
        return self.runtime.run(launch, bundle, container_id, termination_log)

    def docker_run(self, image_name: str, *, ulimit_as: tuple[int, int],
                   memory: int) -> Finished:
        """`docker run --ulimit as=SOFT:HARD --memory=MEMORY IMAGE`: the image's ENTRYPOINT and
        CMD, root unless the image says otherwise, Docker's default capabilities (containerd's
        set) and its /.dockerenv."""
        image = self.images[repository(image_name)]
        container_id = self.new_id(repository(image_name).rsplit("/", 1)[-1])
        bundle = self.work / container_id
        bundle.mkdir()
        launch = Launch(
            image=image, args=image.entrypoint + image.cmd, env=[IMAGE_PATH],
            user=image.user, capabilities=list(CONTAINERD_CAPABILITIES), no_new_privileges=False,
            readonly_root=False, rlimit_as=ulimit_as, memory_limit=memory,
            hostname=container_id[:12],
            cgroups_path=f"/{self.runtime.cgroup_parent}/docker/{container_id}",
            marker_files=["/.dockerenv"])
        return self.runtime.run(launch, bundle, container_id)


@pytest.fixture(scope="session")
def runtime(tmp_path_factory: pytest.TempPathFactory):
    skip_unless(os.geteuid() == 0, f"runc containers need root (running as uid {os.geteuid()})")
    skip_unless(shutil.which("runc") is not None, f"runc is not installed: {SETUP_HINT}")
    skip_unless(os.access(MEMORY_CGROUP, os.W_OK),
                f"the cgroup v1 memory hierarchy is not writable at {MEMORY_CGROUP}")
    runtime = Runtime(tmp_path_factory.mktemp("runc"))
    yield runtime
    runtime.remove_cgroups()


@pytest.fixture(scope="session")
def images(runtime: Runtime, built_binary: Path,
           tmp_path_factory: pytest.TempPathFactory) -> dict[str, Image]:
    """The images the tests run, by repository: the rlimit-init image (build-rootfs.sh), busybox
    and python for the chart's workloads, and the user image of tests/runc/user-image/."""
    skip_unless(Path("/bin/busybox").is_file(), f"busybox-static is not installed: {SETUP_HINT}")
    skip_unless(Path("/usr/bin/python3").is_file(), f"python3 is not installed: {SETUP_HINT}")
    work = tmp_path_factory.mktemp("images")
    rlimit_init = work / "rlimit-init"
    done = build_rootfs(rlimit_init)
    assert done.returncode == 0, done.stderr
    final = dockerfile_stages()[-1]
    entrypoint = json.loads(next(i.arguments for i in final if i.keyword == "ENTRYPOINT"))
    busybox = work / "busybox"
    populate_busybox(busybox)
    python = work / "python"
    binds = populate_host_python(python)
    images = {"rlimit-init": Image(rlimit_init, user=image_user(), entrypoint=entrypoint),
              "busybox": Image(busybox), "python": Image(python, binds=binds)}
    images[USER_IMAGE] = build_image(USER_IMAGE_CONTEXT, images, work / "user-image")
    return images


@pytest.fixture
def node(runtime: Runtime, images: dict[str, Image], tmp_path: Path):
    node = Node(runtime, images, tmp_path)
    yield node
    node.cleanup()


def installed(finished: dict[str, Finished]) -> None:
    """The init container copied the binary into the emptyDir."""
    init = finished[INIT_CONTAINER]
    assert (init.exit_code, init.stdout, init.stderr) == (
        0, "", "rlimit-init: installed /target/rlimit-init (mode 0755)\n")


# --- the chart's Job in containers ----------------------------------------------------------

@pytest.mark.sets_rlimit_as
def test_init_container_installs_the_image_binary_for_a_non_root_workload(
        node: Node, images: dict[str, Image]) -> None:
    finished = node.run_pod(render_values("raise-soft"), rlimit_as=(256 * MiB, RLIM_INFINITY))
    installed(finished)
    copied = next(node.work.glob("pod-*/volumes/rlimit-init-bin/rlimit-init"))
    image_binary = images["rlimit-init"].template / "rlimit-init"
    assert copied.read_bytes() == image_binary.read_bytes()
    status = copied.stat()
    assert (status.st_mode & 0o7777, status.st_uid, status.st_gid) == (0o755, 65532, 65532)
    assert [p.name for p in copied.parent.iterdir()] == ["rlimit-init"]


@pytest.mark.sets_rlimit_as
def test_soft_limit_raised_and_the_seed_job_allocates_300_mib(node: Node) -> None:
    objects = render_values("raise-soft")
    workload = container(pod_spec(objects), WORKLOAD_CONTAINER)
    assert memory_limit_bytes(workload) == 1 * GiB
    finished = node.run_pod(objects, rlimit_as=(256 * MiB, RLIM_INFINITY))
    installed(finished)
    job = finished[WORKLOAD_CONTAINER]
    assert (job.exit_code, job.stdout, job.stderr, job.termination_message) == (
        0, "allocated_bytes=314572800\n",
        f"rlimit-init: raised the soft address-space limit (RLIMIT_AS) from {describe(256 * MiB)}"
        f" to {describe(512 * MiB)}; hard limit unlimited; cgroup memory limit 1 GiB from "
        f"{LIMIT_SOURCE}\n", "")


@pytest.mark.sets_rlimit_as
def test_the_seed_job_without_rlimit_init_fails_with_memory_error(node: Node) -> None:
    finished = node.run_pod(render_values("raise-soft"), rlimit_as=(256 * MiB, RLIM_INFINITY),
                            without_rlimit_init=True)
    assert list(finished) == [WORKLOAD_CONTAINER]
    job = finished[WORKLOAD_CONTAINER]
    assert (job.exit_code, job.stdout, job.stderr.splitlines()[-1]) == (1, "", "MemoryError")


@pytest.mark.sets_rlimit_as
def test_refused_when_the_hard_limit_is_too_low(node: Node) -> None:
    objects = render_values("hard-limit-too-low")
    workload = container(pod_spec(objects), WORKLOAD_CONTAINER)
    assert workload["terminationMessagePath"] == "/dev/termination-log"
    finished = node.run_pod(objects, rlimit_as=(256 * MiB, 512 * MiB))
    installed(finished)
    job = finished[WORKLOAD_CONTAINER]
    report = (
        f"rlimit-init: refused: the job asks for {describe(1 * GiB)} of address space, but the "
        f"hard limit is {describe(512 * MiB)} and raiseHard is not set\n"
        f"  asked:   addressSpace.request in {POLICY_FILE} = 1Gi (1073741824 bytes)\n"
        f"  blocked: hard RLIMIT_AS {describe(512 * MiB)}, inherited from the parent process\n"
        f"  layer:   {KUBERNETES_LAYER}\n"
        "  fix:     Kubernetes has no pod setting for rlimits (kubernetes/kubernetes#3595); the "
        "hard RLIMIT_AS comes from the node's container runtime: raise it in containerd's "
        "base_runtime_spec (process.rlimits, type RLIMIT_AS) or CRI-O's default_ulimits "
        "(\"as=1073741824:1073741824\"), or set securityContext.ulimits where the cluster "
        "supports it\n"
        "  or:      lower the request, or set addressSpace.minimum to at most 512Mi to accept "
        "the hard limit\n")
    assert (job.exit_code, job.stdout, job.stderr, job.termination_message) == (
        77, "", report, report)


@pytest.mark.sets_rlimit_as
def test_refused_when_the_cgroup_memory_limit_is_below_memory_require(node: Node) -> None:
    objects = render_values("memory-require")
    assert memory_limit_bytes(container(pod_spec(objects), WORKLOAD_CONTAINER)) == 512 * MiB
    finished = node.run_pod(objects, rlimit_as=(256 * MiB, RLIM_INFINITY))
    installed(finished)
    job = finished[WORKLOAD_CONTAINER]
    report = (
        f"rlimit-init: refused: the policy requires {describe(1 * GiB)} of memory, but the "
        f"memory ceiling is {describe(512 * MiB)}\n"
        f"  asked:   addressSpace.request in {POLICY_FILE} = 512Mi (536870912 bytes)\n"
        f"  blocked: memory limit {describe(512 * MiB)} from {LIMIT_SOURCE}\n"
        f"  layer:   {KUBERNETES_LAYER}\n"
        "  fix:     raise resources.limits.memory of this container to at least 1Gi (a "
        "LimitRange or ResourceQuota in the namespace may cap it)\n")
    assert (job.exit_code, job.stdout, job.stderr, job.termination_message) == (
        77, "", report, report)


@pytest.mark.sets_rlimit_as
def test_warns_when_the_grant_exceeds_the_cgroup_memory_limit(node: Node) -> None:
    objects = render_values("above-cgroup-warn")
    assert memory_limit_bytes(container(pod_spec(objects), WORKLOAD_CONTAINER)) == 256 * MiB
    finished = node.run_pod(objects, rlimit_as=(256 * MiB, RLIM_INFINITY))
    installed(finished)
    job = finished[WORKLOAD_CONTAINER]
    assert (job.exit_code, job.stdout, job.termination_message) == (0, "1048576\n", "")
    assert job.stderr.splitlines() == [
        f"rlimit-init: raised the soft address-space limit (RLIMIT_AS) from {describe(256 * MiB)}"
        f" to {describe(1 * GiB)}; hard limit unlimited; cgroup memory limit 256 MiB from "
        f"{LIMIT_SOURCE}",
        "rlimit-init: warning: the address space granted (1 GiB) is above the cgroup memory "
        f"limit 256 MiB ({LIMIT_SOURCE}): past 256 MiB the kernel OOM-kills the job instead of "
        "letting it catch MemoryError",
    ]


OOM_WARNING = (
    "rlimit-init: warning: the address space granted (1 GiB) is above the cgroup memory limit "
    f"384 MiB ({LIMIT_SOURCE}): past 384 MiB the kernel OOM-kills the job instead of letting it "
    "catch MemoryError")


@pytest.mark.sets_rlimit_as
def test_touching_memory_past_the_cgroup_limit_is_oom_killed(node: Node) -> None:
    objects = render_values("oom")
    assert memory_limit_bytes(container(pod_spec(objects), WORKLOAD_CONTAINER)) == 384 * MiB
    finished = node.run_pod(objects, rlimit_as=(256 * MiB, RLIM_INFINITY))
    installed(finished)
    job = finished[WORKLOAD_CONTAINER]
    # The kernel's SIGKILL: runc reports it as 128 + 9, and so does kubelet (OOMKilled).
    assert (job.exit_code, job.stdout, job.termination_message) == (137, "touching 400 MiB\n", "")
    # The job's memory reached the cgroup limit (reclaim keeps usage a few pages below it).
    assert job.parent_peak_memory >= 384 * MiB - 4 * MiB
    assert job.stderr.splitlines() == [
        f"rlimit-init: raised the soft address-space limit (RLIMIT_AS) from {describe(256 * MiB)}"
        f" to {describe(1 * GiB)}; hard limit unlimited; cgroup memory limit 384 MiB from "
        f"{LIMIT_SOURCE}",
        OOM_WARNING,
    ]


@pytest.mark.sets_rlimit_as
def test_the_same_job_under_a_grant_below_the_cgroup_limit_gets_memory_error(
        node: Node) -> None:
    objects = render_values("oom", ("policy.addressSpace.request=320Mi",))
    assert policy_text(objects) == ("addressSpace:\n  aboveCgroup: warn\n  request: 320Mi\n"
                                    "apiVersion: rlimit-init/v1\n")
    finished = node.run_pod(objects, rlimit_as=(256 * MiB, RLIM_INFINITY))
    installed(finished)
    job = finished[WORKLOAD_CONTAINER]
    assert (job.exit_code, job.stdout, job.termination_message) == (1, "touching 400 MiB\n", "")
    # The allocation failed before a page was touched: the pod never came near its limit.
    assert job.parent_peak_memory < 320 * MiB
    lines = job.stderr.splitlines()
    assert lines[0] == (
        f"rlimit-init: raised the soft address-space limit (RLIMIT_AS) from {describe(256 * MiB)}"
        f" to {describe(320 * MiB)}; hard limit unlimited; cgroup memory limit 384 MiB from "
        f"{LIMIT_SOURCE}")
    assert (lines[1], lines[-1]) == ("Traceback (most recent call last):", "MemoryError")


# --- rlimit-init as the ENTRYPOINT of a user's image ----------------------------------------

def raised_to_512_mib(limit_text: str) -> str:
    return (f"rlimit-init: raised the soft address-space limit (RLIMIT_AS) from "
            f"{describe(256 * MiB)} to {describe(512 * MiB)}; hard limit unlimited; cgroup "
            f"memory limit {limit_text} from {LIMIT_SOURCE}\n")


@pytest.mark.sets_rlimit_as
def test_user_image_with_rlimit_init_as_entrypoint_runs_the_seed_job(node: Node) -> None:
    """docs/containers.md, "As the ENTRYPOINT of your image": tests/runc/user-image/ under
    docker run --ulimit as=268435456:-1 --memory=1g."""
    job = node.docker_run(USER_IMAGE, ulimit_as=(256 * MiB, RLIM_INFINITY), memory=1 * GiB)
    assert (job.exit_code, job.stdout, job.stderr) == (
        0, "allocated_bytes=314572800\n", raised_to_512_mib("1 GiB"))


@pytest.mark.sets_rlimit_as
def test_user_image_refusal_names_the_docker_run_ulimit_to_change(node: Node) -> None:
    job = node.docker_run(USER_IMAGE, ulimit_as=(256 * MiB, 256 * MiB), memory=1 * GiB)
    assert (job.exit_code, job.stdout, job.stderr) == (
        77, "",
        f"rlimit-init: refused: the job asks for {describe(512 * MiB)} of address space, but "
        f"the hard limit is {describe(256 * MiB)} and raiseHard is not set\n"
        "  asked:   --as = 512Mi (536870912 bytes)\n"
        f"  blocked: hard RLIMIT_AS {describe(256 * MiB)}, inherited from the parent process\n"
        "  layer:   Docker (/.dockerenv exists)\n"
        "  fix:     run the container with docker run --ulimit as=536870912:536870912 (-1 means "
        "unlimited)\n"
        "  or:      lower the request, or set addressSpace.minimum to at most 256Mi to accept "
        "the hard limit\n")


@pytest.mark.sets_rlimit_as
def test_chart_image_mode_runs_the_user_image_without_an_init_container(node: Node) -> None:
    objects = render_values("image-mode")
    spec = pod_spec(objects)
    assert "initContainers" not in spec
    assert repository(container(spec, WORKLOAD_CONTAINER)["image"]) == USER_IMAGE
    finished = node.run_pod(objects, rlimit_as=(256 * MiB, RLIM_INFINITY))
    job = finished[WORKLOAD_CONTAINER]
    assert list(finished) == [WORKLOAD_CONTAINER]
    assert (job.exit_code, job.stdout, job.stderr, job.termination_message) == (
        0, "allocated_bytes=314572800\n", raised_to_512_mib("1 GiB"), "")


# --- the plain manifests in deploy/ ---------------------------------------------------------

@pytest.mark.sets_rlimit_as
def test_deploy_manifests_run_the_seed_job_as_kubectl_apply_k_sends_them(node: Node) -> None:
    """docs/containers.md, "Without Helm": what `kubectl apply -k deploy/` applies, run."""
    kubectl = shutil.which("kubectl") or str(REPO / ".tools" / "bin" / "kubectl")
    skip_unless(os.access(kubectl, os.X_OK), "kubectl is not installed: run "
                                             "scripts/setup-chart-tools.sh as root")
    text = subprocess.run([kubectl, "kustomize", str(REPO / "deploy")], capture_output=True,
                          text=True, check=True).stdout
    objects = parse_objects(text)
    assert sorted(o["kind"] for o in objects) == ["ConfigMap", "Job"]
    finished = node.run_pod(objects, rlimit_as=(256 * MiB, RLIM_INFINITY))
    installed(finished)
    job = finished[WORKLOAD_CONTAINER]
    assert (job.exit_code, job.stdout, job.stderr, job.termination_message) == (
        0, "allocated_bytes=314572800\n", raised_to_512_mib("1 GiB"), "")

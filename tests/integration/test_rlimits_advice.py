# SPDX-License-Identifier: Apache-2.0
"""The fix lines for every rlimit but the address space, in every layer, on the real binary,
and each setting they name checked against its tool.

The limits are real (lowered with prlimit below any CI host's hard limits; lowering needs no
privilege); the layer is pinned with --host-root trees written here (a /.dockerenv, a
/run/.containerenv, a /proc/self/cgroup naming a unit or a container scope, a /proc/kcore mount)
and the variables kubelet and Slurm set: fixtures, because this host is one container and the
layers are many. The tools are real where they run here: the Docker CLI parses every
`docker run --ulimit` printed (before it looks for a daemon), systemd-analyze verifies every
Limit*= in a drop-in of the unit the line names, and the man pages Debian installs say what
limits.conf, slurm.conf and systemd-system.conf take. Where the tool cannot run here (CRI-O,
containerd's CRI plugin, NRI, KEP-5758's API) the test cites its source and checks the printed
text against that syntax. Podman and runc follow the advice for real in
test_rlimits_advice_containers.py."""

from __future__ import annotations

import gzip
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

import golden
from rlimit_json import parse as parse_json
from conftest import KUBERNETES, Runner, skip_unless, write_policy
from docker_cli import docker
from expected import DOCKER_DAEMON_ERRORS, KIB, LIMIT_UNITS, MIB, RLIM_INFINITY

# prlimit lowers RLIMIT_AS nowhere here, but the data and fsize cases lower limits the binary
# lives under, as the address-space tests do.
pytestmark = pytest.mark.sets_rlimit_as


# Per resource: the limits prlimit starts the binary under (each at or below a fresh Debian
# host's hard limit) and a request above that hard limit, in the policy's spelling and as the
# number the tools get.
CASES = {
    "core": ("0:1048576", "2Mi", 2 * MIB, "1Mi"),
    "cpu": ("100:200", "3601", 3601, "200"),
    "data": ("1073741824:1073741824", "2Gi", 2 << 30, "1Gi"),
    "fsize": ("1048576:1048576", "2Mi", 2 * MIB, "1Mi"),
    "locks": ("100:200", "1000", 1000, "200"),
    "memlock": ("65536:1048576", "4Mi", 4 * MIB, "1Mi"),
    "msgqueue": ("1000:2000", "4096", 4096, "2000"),
    "nice": ("0:0", "10", 10, "0"),
    "nofile": ("1024:4096", "65536", 65536, "4096"),
    "nproc": ("1024:4096", "8192", 8192, "4096"),
    "rss": ("1048576:1048576", "2Mi", 2 * MIB, "1Mi"),
    "rtprio": ("0:0", "50", 50, "0"),
    "rttime": ("1000:2000", "5000", 5000, "2000"),
    "sigpending": ("100:200", "1000", 1000, "200"),
    "stack": ("8388608:67108864", "128Mi", 128 * MIB, "64Mi"),
}
assert sorted(CASES) == sorted(set(LIMIT_UNITS) - {"as"})

# Every layer the binary tells apart: (--host-root tree, environment).
CGROUP_SCOPE = "/kubepods.slice/kubepods-pod1.slice/{}-0123.scope"
LAYERS = {
    "kubernetes": ({}, KUBERNETES),
    "kubernetes-containerd": ({"cgroup": CGROUP_SCOPE.format("cri-containerd")}, KUBERNETES),
    "kubernetes-crio": ({"cgroup": CGROUP_SCOPE.format("crio")}, KUBERNETES),
    "kubernetes-docker": ({"cgroup": CGROUP_SCOPE.format("docker")}, KUBERNETES),
    "docker": ({"dockerenv": True}, {}),
    "podman": ({"containerenv": True}, {}),
    "systemd": ({"cgroup": "/system.slice/batch.service"}, {}),
    "slurm": ({}, {"SLURM_JOB_ID": "7"}),
    "container": ({"kcore_masked": True}, {}),
    "shell": ({}, {}),
}


def host_root(base: Path, name: str, *, cgroup: str = "/job", dockerenv: bool = False,
              containerenv: bool = False, kcore_masked: bool = False) -> Path:
    """A --host-root tree: /proc/meminfo of 1 GiB, and the layer's hints."""
    root = base / name
    if root.exists():
        return root
    (root / "proc" / "self").mkdir(parents=True)
    (root / "proc" / "meminfo").write_text("MemTotal:        1048576 kB\n")
    (root / "proc" / "self" / "cgroup").write_text(f"0::{cgroup}\n")
    mountinfo = "30 22 0:27 / /sys/fs/cgroup rw,relatime - cgroup2 cgroup2 rw\n"
    if kcore_masked:  # what runc's maskedPaths leaves in a container's mountinfo
        mountinfo += "41 30 0:5 /null /proc/kcore rw,nosuid - devtmpfs udev rw,mode=755\n"
    (root / "proc" / "self" / "mountinfo").write_text(mountinfo)
    leaf = root / "sys" / "fs" / "cgroup" / cgroup.lstrip("/")
    leaf.mkdir(parents=True, exist_ok=True)
    (leaf / "memory.max").write_text("max\n")
    if dockerenv:
        (root / ".dockerenv").touch()
    if containerenv:
        (root / "run").mkdir()
        (root / "run" / ".containerenv").touch()
    return root


def refusal(run: Runner, tmp_path: Path, workdir: Path, name: str, layer: str,
            request: str | None = None) -> dict:
    """`check -o json` of a policy asking `request` (default: the case's) for `name` above the
    case's hard limit, in `layer`: the decision for that limit."""
    start, default_request, _, _ = CASES[name]
    policy = write_policy(workdir, f"apiVersion: rlimit-init/v1\nlimits:\n  {name}: "
                          f"{request or default_request}\n", name=f"{name}.yaml")
    tree, env = LAYERS[layer]
    root = host_root(tmp_path, layer, **tree)
    result = run(["check", "-o", "json", "-p", str(policy), "--host-root", str(root)],
                 prefix=["prlimit", f"--{name}={start}"], env=env)
    assert result.returncode == 77, (name, layer, result)
    [decision] = [d for d in parse_json(result.stdout)["limits"] if d["name"] == name]
    return decision


def printed(decision: dict) -> list[str]:
    return [decision["fix"]] + decision["alternatives"]


def every_layer(decisions: dict[str, dict]) -> str:
    """The fix and its alternatives in each layer, as a golden file holds them."""
    return "".join(f"[{layer}]\n" + "".join(f"{line}\n" for line in printed(decision))
                   for layer, decision in decisions.items())


@pytest.mark.parametrize("name", sorted(CASES))
def test_every_layer_names_the_limit_the_way_its_tool_does(
        run: Runner, tmp_path: Path, workdir: Path, name: str) -> None:
    golden.check(f"rlimits_advice/{name}.txt", every_layer(
        {layer: refusal(run, tmp_path, workdir, name, layer) for layer in LAYERS}))


def test_unlimited_is_spelled_the_way_each_tool_spells_it(
        run: Runner, tmp_path: Path, workdir: Path) -> None:
    golden.check("rlimits_advice/memlock-unlimited.txt", every_layer(
        {layer: refusal(run, tmp_path, workdir, "memlock", layer, request="unlimited")
         for layer in LAYERS}))
    # go-units' -1, systemd's infinity, the OCI spec's 2^64-1, bash's unlimited:
    docker = printed(refusal(run, tmp_path, workdir, "memlock", "docker", request="unlimited"))
    assert docker[0].startswith("run the container with docker run --ulimit memlock=-1:-1 ")


# ---------------------------------------------------------------------------------------------
# The exact messages of a refused run, for the five limits batch jobs hit most: stderr whole,
# exit 77, and the workload never started.


def refused_run(run: Runner, tmp_path: Path, workdir: Path, name: str, layer: str) -> tuple:
    start, request, _, _ = CASES[name]
    policy = write_policy(workdir, f"apiVersion: rlimit-init/v1\nlimits:\n  {name}: {request}\n",
                          name=f"run-{name}.yaml")
    marker = workdir / f"ran-{name}"
    tree, env = LAYERS[layer]
    root = host_root(tmp_path, layer, **tree)
    result = run(["-q", "-p", str(policy), "--host-root", str(root), "--", "touch", str(marker)],
                 prefix=["prlimit", f"--{name}={start}"], env=env)
    assert not marker.exists()
    return policy, result


@pytest.mark.parametrize("name,layer", [("nofile", "kubernetes"), ("memlock", "docker"),
                                        ("stack", "podman"), ("core", "systemd"),
                                        ("nproc", "shell")])
def test_refusal_message_is_exact_and_nothing_runs(
        run: Runner, tmp_path: Path, workdir: Path, name: str, layer: str) -> None:
    policy, result = refused_run(run, tmp_path, workdir, name, layer)
    assert (result.returncode, result.stdout) == (77, "")
    golden.check(f"rlimits_advice/refused-{name}-{layer}.txt", result.stderr,
                 {str(policy): "{policy}"})


def test_a_partial_grant_names_the_fix_as_loudly_as_a_refusal(
        run: Runner, tmp_path: Path, workdir: Path) -> None:
    """minimum: 0 is the way to say "raise it to the request, capped at the hard limit": the
    run goes on with the hard limit, and the warning says what would give the rest."""
    policy = write_policy(workdir, "apiVersion: rlimit-init/v1\nlimits:\n  nofile:\n"
                          "    request: 65536\n    minimum: 0\n")
    root = host_root(tmp_path, "container", kcore_masked=True)
    result = run(["-q", "-p", str(policy), "--host-root", str(root), "--", "sh", "-c",
                  "ulimit -Sn; ulimit -Hn"], prefix=["prlimit", "--nofile=1024:4096"])
    assert (result.returncode, result.stdout) == (0, "4096\n4096\n")
    golden.check("rlimits_advice/partial-grant-nofile.txt", result.stderr)


# ---------------------------------------------------------------------------------------------
# Docker: every `docker run --ulimit` printed goes through the real CLI's flag parser.


def test_every_docker_ulimit_printed_is_parsed_by_the_docker_cli(
        run: Runner, tmp_path: Path, workdir: Path) -> None:
    skip_unless(shutil.which("docker") is not None, "the Docker CLI is not installed")
    lines = []
    for name in CASES:
        lines += printed(refusal(run, tmp_path, workdir, name, "docker"))
    lines += printed(refusal(run, tmp_path, workdir, "memlock", "docker", request="unlimited"))
    flags = [f for line in lines for f in re.findall(r"docker run (--[a-z-]+[ =]\S+)", line)]
    for flag in sorted(set(flags)):
        result = docker("run", *flag.split(), "busybox")
        assert result.returncode == 125, flag
        assert result.stderr.splitlines()[0] in DOCKER_DAEMON_ERRORS, flag
    assert sorted(flags) == sorted(
        [f"--ulimit {n}={CASES[n][2]}:{CASES[n][2]}" for n in CASES] + ["--ulimit memlock=-1:-1"]
        + ["--cap-add=SYS_RESOURCE"] * 16)
    # The control: the same parser rejects a name it does not know, before the daemon.
    result = docker("run", "--ulimit", "nofiles=65536:65536", "busybox")
    assert (result.returncode, result.stderr.splitlines()[0]) == (
        125, 'invalid argument "nofiles=65536:65536" for "--ulimit" flag: invalid ulimit type: '
             "nofiles")


def test_daemon_json_default_ulimits_has_dockerds_shape(
        run: Runner, tmp_path: Path, workdir: Path) -> None:
    """dockerd is not installed here. moby/moby docs/reference/commandline/dockerd.md, "Default
    ulimit settings": `"default-ulimits": {"nofile": {"Name": "nofile", "Hard": 64000, "Soft":
    64000}}` in daemon.json, its values parsed by the go-units names the CLI test above proves."""
    for name in CASES:
        line = printed(refusal(run, tmp_path, workdir, name, "docker"))[1]
        fragment = re.fullmatch(r"give every container it: (.*) in /etc/docker/daemon.json, then "
                                r"restart docker", line)
        assert fragment, line
        value = CASES[name][2]
        assert json.loads("{" + fragment.group(1) + "}") == {
            "default-ulimits": {name: {"Name": name, "Hard": value, "Soft": value}}}


# ---------------------------------------------------------------------------------------------
# systemd: every Limit*= printed, in a drop-in of the unit the line names.


def unit_settings(lines: list[str]) -> list[tuple[str, str]]:
    found = []
    for line in lines:
        for setting, unit in re.findall(
                r"\b(Limit[A-Z]+=\S+) in (?:a drop-in for|the \[Service\] section of) "
                r"([\w@.-]+\.service)", line):
            found.append((unit, setting))
    return found


def test_every_unit_setting_printed_passes_systemd_analyze_verify(
        run: Runner, tmp_path: Path, workdir: Path) -> None:
    skip_unless(shutil.which("systemd-analyze") is not None, "systemd-analyze is not installed")
    settings: dict[str, set[str]] = {}
    for name in CASES:
        for layer in ("systemd", "kubernetes-containerd", "container", "slurm"):
            for unit, setting in unit_settings(printed(refusal(run, tmp_path, workdir, name,
                                                               layer))):
                settings.setdefault(unit, set()).add(setting)
    for layer in ("systemd", "slurm"):
        for unit, setting in unit_settings(printed(refusal(run, tmp_path, workdir, "memlock",
                                                           layer, request="unlimited"))):
            settings.setdefault(unit, set()).add(setting)
    units = tmp_path / "units"
    units.mkdir()
    for unit, lines in settings.items():
        (units / unit).write_text("[Service]\nExecStart=/bin/true\n")
        (units / f"{unit}.d").mkdir()
        # One setting per drop-in, so that each is parsed (a later one would override).
        for i, setting in enumerate(sorted(lines)):
            (units / f"{unit}.d" / f"{i:02d}.conf").write_text(f"[Service]\n{setting}\n")
        result = subprocess.run(["systemd-analyze", "verify", str(units / unit)],
                                capture_output=True, text=True, timeout=60, check=False)
        assert (result.returncode, result.stderr) == (0, ""), (unit, result)
    expected = {f"Limit{n.upper()}={CASES[n][2]}" for n in CASES}
    assert settings == {"batch.service": expected | {"LimitMEMLOCK=infinity"},
                        "containerd.service": expected,
                        "slurmd.service": expected | {"LimitMEMLOCK=infinity"}}
    # The control: a value systemd cannot parse is reported, naming the drop-in.
    (units / "batch.service.d" / "99.conf").write_text("[Service]\nLimitNICE=41\n")
    result = subprocess.run(["systemd-analyze", "verify", str(units / "batch.service")],
                            capture_output=True, text=True, timeout=60, check=False)
    assert "batch.service.d/99.conf:2: Failed to parse resource value, ignoring: 41" in (
        result.stderr), result


def man_page(section: int, name: str) -> str:
    page = Path(f"/usr/share/man/man{section}/{name}.{section}.gz")
    skip_unless(page.is_file(), f"{page} is missing (its package's manual page)")
    return gzip.decompress(page.read_bytes()).decode().replace("\\&", "").replace("\\-", "-")


def test_default_limit_settings_are_system_conf_settings(
        run: Runner, tmp_path: Path, workdir: Path) -> None:
    """DefaultLimit*= lives in system.conf, which verify does not read: Debian's own
    systemd-system.conf(5) lists each."""
    named = set()
    for name in CASES:
        for line in printed(refusal(run, tmp_path, workdir, name, "systemd")):
            named.update(re.findall(r"\b(Default[A-Za-z]+)=", line))
    assert named == {f"DefaultLimit{n.upper()}" for n in CASES}
    page = man_page(5, "systemd-system.conf")
    assert [n for n in sorted(named) if f"{n}=" not in page] == []


def test_limits_conf_items_and_units_are_pam_limits(
        run: Runner, tmp_path: Path, workdir: Path) -> None:
    """limits.conf(5) as Debian installs it: the item names, KiB for the byte limits, minutes
    for cpu, a nice value for nice, and no item for rttime."""
    page = man_page(5, "limits.conf")
    units = {}
    for item, what in re.findall(r"^\\fB(\w+)\\fR\n\.RS 4\n(.*)$", page, re.M):
        units[item] = what
    for name in CASES:
        lines = printed(refusal(run, tmp_path, workdir, name, "shell"))
        conf = [m for line in lines for m in re.findall(r'"USER hard (\w+) (\S+)"(, [^)]*)?\)',
                                                           line)]
        if name == "rttime":
            assert conf == [] and "rttime" not in units
            continue
        [(item, value, unit)] = conf
        assert item == name and item in units, name
        if unit == ", in KiB":
            assert units[item].endswith("(KB)") or "(KB)" in units[item], (name, units[item])
            assert int(value) == -(-CASES[name][2] // KIB)
        elif unit == ", in minutes":
            assert "(minutes)" in units[item] and int(value) == -(-CASES[name][2] // 60)
        elif unit.startswith(", a nice value"):
            assert "[-20,19]" in units[item] and int(value) == 20 - CASES[name][2]
        else:
            assert "(KB)" not in units[item] and int(value) == CASES[name][2], (name, unit)


def test_slurm_propagates_exactly_the_limits_its_manual_names(
        run: Runner, tmp_path: Path, workdir: Path) -> None:
    """slurm.conf(5) of the installed Slurm lists the names PropagateResourceLimits takes."""
    page = man_page(5, "slurm.conf")
    section = re.search(r"^\\fBPropagateResourceLimits\\fR$(.*?)"
                        r"^\\fBPropagateResourceLimitsExcept\\fR$", page, re.M | re.S).group(1)
    names = set(re.findall(r"^\\fB([A-Z]+)\\fR$", section, re.M)) - {"ALL", "NONE"}
    propagated = {n for n in CASES
                  if printed(refusal(run, tmp_path, workdir, n, "slurm"))[0].startswith(
                      "the job's hard ")}
    assert {n.upper() for n in propagated} | {"AS"} == names


# ---------------------------------------------------------------------------------------------
# What cannot run here, checked against its source.


def test_crio_default_ulimits_use_the_parser_the_docker_cli_proves(
        run: Runner, tmp_path: Path, workdir: Path) -> None:
    """cri-o/cri-o internal/config/ulimits/ulimits.go LoadUlimits: `ul, err :=
    units.ParseUlimit(u)` for each default_ulimits string (crio.conf(5): "[crio.runtime]
    default_ulimits = []", "name=soft:hard"), then `"RLIMIT_" + strings.ToUpper(ul.Name)`: the
    strings printed are the very `--ulimit` values the Docker CLI test parses."""
    for name in CASES:
        lines = printed(refusal(run, tmp_path, workdir, name, "kubernetes-crio"))
        [entry] = re.findall(r'default_ulimits = \["([^"]+)"\] in \[crio\.runtime\] of '
                             r"/etc/crio/crio\.conf", lines[0])
        assert entry == f"{name}={CASES[name][2]}:{CASES[name][2]}"


# containerd/nri plugins/ulimit-adjuster/adjuster.go: the annotation key
# "ulimits.noderesource.dev" + "/container." + container.Name, a YAML list of {type, hard, soft}
# (uint64), each type upper-cased, its "RLIMIT_" prefix trimmed and looked up in `valid`, and
# hard >= soft ("must have hard limit >= soft limit").
NRI_VALID = {"AS", "CORE", "CPU", "DATA", "FSIZE", "LOCKS", "MEMLOCK", "MSGQUEUE", "NICE",
             "NOFILE", "NPROC", "RSS", "RTPRIO", "RTTIME", "SIGPENDING", "STACK"}


def test_nri_annotation_is_what_the_ulimit_adjuster_parses(
        run: Runner, tmp_path: Path, workdir: Path) -> None:
    for name, request in [(n, None) for n in CASES] + [("memlock", "unlimited")]:
        lines = printed(refusal(run, tmp_path, workdir, name, "kubernetes", request=request))
        [(key, value)] = [m for line in lines for m in re.findall(
            r"annotate the pod with (ulimits\.noderesource\.dev/container\.<container name>): "
            r"'(.*)'$", line)]
        assert key == "ulimits.noderesource.dev/container.<container name>"
        [entry] = yaml.safe_load(value)
        assert entry["type"].upper().removeprefix("RLIMIT_") in NRI_VALID
        expected = RLIM_INFINITY if request == "unlimited" else CASES[name][2]
        assert (entry["soft"], entry["hard"]) == (expected, expected)
        assert 0 <= entry["soft"] <= entry["hard"] < 2**64


# kubernetes/kubernetes#137023 (KEP-5758's implementation, open for 1.37/1.38),
# staging/src/k8s.io/api/core/v1/types.go, Ulimit.Hard: "Valid values depend on Name: nofile: -1
# or 256-65536 (-1 is converted to 1048576); nice: -1 or 0-40; rtprio: -1 or 0-99; stack: -1 or
# 262144-17179869184; memlock: -1 or 8192-17179869184; core: -1 or 0-17179869184".
KEP_5758_RANGES = {"nofile": (256, 65536), "nice": (0, 40), "rtprio": (0, 99),
                   "stack": (256 * KIB, 16 << 30), "memlock": (8 * KIB, 16 << 30),
                   "core": (0, 16 << 30)}


def test_pod_ulimits_only_for_kep_5758s_six_and_within_its_ranges(
        run: Runner, tmp_path: Path, workdir: Path) -> None:
    for name in CASES:
        lines = printed(refusal(run, tmp_path, workdir, name, "kubernetes-crio"))
        fields = [yaml.safe_load(m) for line in lines
                  for m in re.findall(r"securityContext: (\{ulimits: .*\}) on this container",
                                      line)]
        if name not in KEP_5758_RANGES:
            assert fields == [], name
            continue
        assert "alpha" in lines[-3] and "privileged pods only" in lines[-3]
        [field] = fields
        [ulimit] = field["ulimits"]
        low, high = KEP_5758_RANGES[name]
        assert ulimit == {"name": name, "soft": CASES[name][2], "hard": CASES[name][2]}
        assert low <= ulimit["hard"] <= high
    # Above the range (nofile 65537) the field is not offered at all.
    lines = printed(refusal(run, tmp_path, workdir, "nofile", "kubernetes-crio", request="65537"))
    assert not any("securityContext: {ulimits" in line for line in lines)


def test_containerd_base_spec_entry_is_an_oci_rlimit(
        run: Runner, tmp_path: Path, workdir: Path) -> None:
    """containerd's base_runtime_spec is a whole OCI spec (containerd docs/cri/config.md,
    "base_runtime_spec"); process.rlimits entries are {type, soft, hard} with type "RLIMIT_*"
    (opencontainers/runtime-spec config.md, POSIX process rlimits). runc applies the entry in
    test_rlimits_advice_containers.py."""
    for name in CASES:
        line = printed(refusal(run, tmp_path, workdir, name, "kubernetes-containerd"))[0]
        [entry] = re.findall(r"process\.rlimits (?:= |to )\[(\{.*?\})\]", line)
        value = CASES[name][2]
        assert json.loads(entry) == {"type": f"RLIMIT_{name.upper()}", "soft": value,
                                     "hard": value}

# SPDX-License-Identifier: Apache-2.0
"""The Kubernetes-node fragments the binary prints for RLIMIT_AS and the memory limit, read by
the parsers their consumers use, from the binary's own JSON ("fix" and "alternatives"), never
from a copy of the strings:

- containerd's config.toml lines (base_runtime_spec under the CRI runtime table): python's
  tomllib, a TOML 1.0 parser as containerd's (pelletier/go-toml) is, compared with the tables
  of containerd's own docs/cri/config.md;
- the NRI ulimit-adjuster annotation: its value by a YAML 1.1 loader (PyYAML), which is what
  the plugin's sigs.k8s.io/yaml (go-yaml v2 underneath) reads, then held to the plugin's own
  checks; the pod carrying it by tests/chart/validate.mjs (kubernetes-models' Pod schema and
  the API server's annotation-key rules);
- resources.limits.memory: the quantity by kubectl's own parser (`kubectl set resources
  --local`, which needs no cluster).

The containerd OCI fragment itself is followed in a runc container by
test_advice_containerd_runc.py. The layer is pinned with the environment of a pod whose cgroup
path names no runtime (KUBERNETES_SERVICE_HOST), so containerd leads and CRI-O and NRI follow.
"""

from __future__ import annotations

import json
import re
import subprocess
import tomllib
from pathlib import Path

import pytest
import yaml

# chart_tools (autouse) fails the module when node, kubectl or kubernetes-models are missing.
from chart_render import chart_tools, quantity_bytes, validate  # noqa: F401
from rlimit_json import parse as parse_json
from conftest import KUBERNETES, Runner, write_policy

pytestmark = pytest.mark.sets_rlimit_as

MIB, GIB = 1 << 20, 1 << 30
UNLIMITED = (1 << 64) - 1

# containerd/containerd docs/cri/config.md (commit 00142976c7947b870a6e93d31f1d03e0238b4995),
# "Full configuration": the runc runtime's table and its base_runtime_spec key, as written there
# for containerd 1.x (config version 2) and 2.x (version 3), and the sentence that says what the
# file holds: "Use containerd's `ctr oci spec > /etc/containerd/cri-base.json` to output initial
# spec file."
CONTAINERD_DOCS = {
    "1.x": 'version = 2\n[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]\n'
           '  base_runtime_spec = ""\n',
    "2.x": "version = 3\n[plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc]\n"
           "  base_runtime_spec = ''\n",
}
CONTAINERD_DOCS_SPEC_COMMAND = "ctr oci spec > /etc/containerd/cri-base.json"

# containerd/nri plugins/ulimit-adjuster/adjuster.go (commit
# 14739f6681acc9a29aacdcef86805a3a459b12d5): the key is ulimitKey + "/container." + the
# container's name, ulimitKey = "ulimits.noderesource.dev"; the value goes through
# yaml.Unmarshal (sigs.k8s.io/yaml) into []ulimit{Type `json:"type"`, Hard uint64
# `json:"hard"`, Soft uint64 `json:"soft"`}; the type, upper-cased with "RLIMIT_" trimmed, must
# be one of `valid` (AS among them), and hard must not be below soft.
NRI_KEY_PREFIX = "ulimits.noderesource.dev/container."
NRI_FIELDS = {"type", "hard", "soft"}
NRI_VALID = {"AS", "CORE", "CPU", "DATA", "FSIZE", "LOCKS", "MEMLOCK", "MSGQUEUE", "NICE",
             "NOFILE", "NPROC", "RSS", "RTPRIO", "RTTIME", "SIGPENDING", "STACK"}


def host_root(tmp_path: Path) -> Path:
    """A --host-root tree with a /proc/meminfo of 1 GiB and a cgroup v2 cgroup without
    memory.max: no cgroup limit, so the memory ceiling is 1 GiB whatever this machine has."""
    root = tmp_path / "host"
    (root / "proc" / "self").mkdir(parents=True)
    (root / "proc" / "meminfo").write_text("MemTotal:        1048576 kB\n")
    (root / "proc" / "self" / "cgroup").write_text("0::/batch/job\n")
    (root / "proc" / "self" / "mountinfo").write_text(
        "30 22 0:27 / /sys/fs/cgroup rw,relatime - cgroup2 cgroup2 rw\n")
    (root / "sys" / "fs" / "cgroup" / "batch" / "job").mkdir(parents=True)
    return root


def refusal_lines(run: Runner, tmp_path: Path, args: list[str],
                  hard: int | str = GIB) -> list[str]:
    """The fix and the alternatives of a refusal on Kubernetes, under a soft 256 MiB."""
    result = run(["check", "-o", "json", "--host-root", str(host_root(tmp_path))] + args,
                 as_limit=(256 * MIB, hard), env=KUBERNETES)
    assert result.returncode == 77, result
    decision = parse_json(result.stdout)
    return [decision["fix"]] + decision["alternatives"]


def hard_limit_lines(run: Runner, tmp_path: Path, request: str) -> list[str]:
    """A hard-limit refusal: `request` asked under a 1 GiB hard limit."""
    return refusal_lines(run, tmp_path, ["--as", request])


def one(pattern: str, lines: list[str]) -> re.Match:
    found = [m for line in lines for m in [re.search(pattern, line)] if m]
    assert len(found) == 1, (pattern, lines)
    return found[0]


# --- containerd's config.toml ---------------------------------------------------------------

CONTAINERD = (r"base_runtime_spec: write a full OCI spec whose process\.rlimits holds only this "
              r"entry, (?:(?P<command>ctr oci spec \| jq '\.process\.rlimits = \[(?P<rlimit>\{[^}]+\})"
              r"\]' > (?P<path>\S+))|(?P<by_hand>ctr oci spec > (?P<hand_path>\S+)), then set its "
              r"process\.rlimits to \[(?P<hand_rlimit>\{[^}]+\})\] in an editor \(jq 1\.6 would "
              r"round \d+\)) \([^)]*\), named by (?P<key>base_runtime_spec = \"[^\"]+\") in "
              r"(?P<v1>\[[^\]]+\]) \(containerd 1\.x\) or (?P<v2>\[[^\]]+\]) \(containerd 2\.x\)")


@pytest.mark.parametrize("request_text, value", [("3Gi", 3 * GIB), ("unlimited", UNLIMITED)])
def test_the_containerd_toml_lines_parse_into_the_tables_containerds_docs_name(
        run: Runner, tmp_path: Path, request_text: str, value: int) -> None:
    found = one(CONTAINERD, hard_limit_lines(run, tmp_path, request_text))
    # The documented command, piped through jq so that the spec's process.rlimits holds the
    # entry alone: run as printed (into a file here), it writes a spec that does. Above 2^53,
    # where jq 1.6 would round the number, the documented command and an edit by hand.
    written = tmp_path / "cri-base.json"
    if value <= 1 << 53:
        assert found["command"].startswith(CONTAINERD_DOCS_SPEC_COMMAND.split(" >")[0] + " | jq ")
        spec_path = found["path"]
        command = found["command"].replace(spec_path, str(written))
    else:
        assert found["by_hand"] == CONTAINERD_DOCS_SPEC_COMMAND
        spec_path = found["hand_path"]
        command = found["by_hand"].replace(spec_path, str(written))
    assert spec_path == CONTAINERD_DOCS_SPEC_COMMAND.split("> ", 1)[1]
    done = subprocess.run(["sh", "-c", command], capture_output=True, text=True, check=False)
    assert (done.returncode, done.stderr) == (0, "")
    spec = json.loads(written.read_text())
    if value > 1 << 53:
        spec["process"]["rlimits"] = [json.loads(found["hand_rlimit"])]  # the edit by hand
        # jq as the line warns: the value rounded, which no uint64 holds.
        rounded = subprocess.run(["jq", "-c", ".", "--"], input=found["hand_rlimit"],
                                 capture_output=True, text=True, check=True).stdout
        assert json.loads(rounded)["soft"] != value
    assert spec["process"]["rlimits"] == [{"type": "RLIMIT_AS", "soft": value, "hard": value}]
    for version, header, config_version in (("1.x", found["v1"], 2), ("2.x", found["v2"], 3)):
        printed = tomllib.loads(f"version = {config_version}\n{header}\n  {found['key']}\n")
        documented = tomllib.loads(CONTAINERD_DOCS[version])
        # The same tables, down to the key; only the value differs: the file the line names.
        documented_runc = documented["plugins"]
        printed_runc = printed["plugins"]
        assert list(printed_runc) == list(documented_runc), version
        plugin = next(iter(documented_runc))
        documented_runc = documented_runc[plugin]["containerd"]["runtimes"]["runc"]
        printed_runc = printed_runc[plugin]["containerd"]["runtimes"]["runc"]
        assert (documented_runc, printed_runc) == (
            {"base_runtime_spec": ""}, {"base_runtime_spec": spec_path}), version
    # The OCI entry: the runtime spec's POSIXRlimit (type, soft, hard), the request for both.
    assert json.loads(found["rlimit"] or found["hand_rlimit"]) == {"type": "RLIMIT_AS", "soft": value, "hard": value}


def test_the_containerd_toml_control_a_dotted_key_unquoted_is_another_table() -> None:
    """The control: without its quotes the plugin id splits into tables, which containerd would
    not read as the CRI plugin; tomllib tells them apart."""
    parsed = tomllib.loads("[plugins.io.containerd.grpc.v1.cri.containerd.runtimes.runc]\n"
                           'base_runtime_spec = "/etc/containerd/cri-base.json"\n')
    assert "io.containerd.grpc.v1.cri" not in parsed["plugins"]
    with pytest.raises(tomllib.TOMLDecodeError):
        tomllib.loads("[plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.runc]\n"
                      "base_runtime_spec = /etc/containerd/cri-base.json\n")


# --- the NRI ulimit-adjuster annotation -----------------------------------------------------

NRI = r"annotate the pod with (?P<annotation>[^:']+: '[^']*')$"


def nri_pod(annotation_line: str, container: str) -> str:
    """A pod manifest with the printed annotation pasted under metadata.annotations, its
    "<container name>" placeholder filled in as the line asks."""
    line = annotation_line.replace("<container name>", container)
    return ("apiVersion: v1\nkind: Pod\nmetadata:\n  name: batch-job\n  annotations:\n"
            f"    {line}\nspec:\n  containers:\n  - name: {container}\n    image: busybox\n")


def adjuster_reads(value: str) -> list[dict]:
    """What the ulimit-adjuster makes of an annotation value, by its own rules (see NRI_*)."""
    ulimits = yaml.safe_load(value)
    assert isinstance(ulimits, list), value
    read = []
    for u in ulimits:
        assert set(u) <= NRI_FIELDS, u
        kind = str(u["type"]).upper().removeprefix("RLIMIT_")
        assert kind in NRI_VALID, u
        soft, hard = u.get("soft", 0), u.get("hard", 0)
        assert isinstance(soft, int) and isinstance(hard, int) and 0 <= soft <= hard < 2**64, u
        read.append({"type": "RLIMIT_" + kind, "soft": soft, "hard": hard})
    return read


@pytest.mark.parametrize("request_text, value", [("3Gi", 3 * GIB), ("unlimited", UNLIMITED)])
def test_the_nri_annotation_is_what_the_ulimit_adjuster_reads(
        run: Runner, tmp_path: Path, request_text: str, value: int) -> None:
    found = one(NRI, hard_limit_lines(run, tmp_path, request_text))
    text = nri_pod(found["annotation"], "workload")
    pod = yaml.safe_load(text)
    annotations = pod["metadata"]["annotations"]
    assert list(annotations) == [NRI_KEY_PREFIX + "workload"]
    value_text = annotations[NRI_KEY_PREFIX + "workload"]
    # An annotation's value is a string (the API server takes nothing else)...
    assert isinstance(value_text, str)
    # ...which the plugin unmarshals into the limit asked for.
    assert adjuster_reads(value_text) == [{"type": "RLIMIT_AS", "soft": value, "hard": value}]
    done = validate(text)
    assert (done.returncode, done.stderr) == (0, ""), done


def test_the_nri_annotation_control_an_unquoted_value_is_not_a_string() -> None:
    """The control: pasted without the quotes the line prints, the value would be a YAML list,
    which the schema refuses for an annotation."""
    text = nri_pod(NRI_KEY_PREFIX + "<container name>: [{type: RLIMIT_AS, soft: 1, hard: 1}]",
                   "workload")
    assert not isinstance(yaml.safe_load(text)["metadata"]["annotations"]
                          [NRI_KEY_PREFIX + "workload"], str)
    done = validate(text)
    assert done.returncode == 1, done


# --- resources.limits.memory ----------------------------------------------------------------

MEMORY = (r"raise resources\.limits\.memory of this container to at least (?P<quantity>\S+) "
          r"\(a LimitRange or ResourceQuota in the namespace may cap it\)$")


def kubectl_memory_limit(pod: Path, quantity: str) -> subprocess.CompletedProcess:
    return subprocess.run(["kubectl", "set", "resources", "--local", "-f", str(pod),
                           f"--limits=memory={quantity}", "-o", "json"],
                          capture_output=True, text=True, timeout=60, check=False)


@pytest.mark.parametrize("require, quantity, refused", [
    ("4Gi", "4Gi", "quantities must match the regular expression "
                   "'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"),
    ("1536Mi", "1536Mi", "unable to parse quantity's suffix"),
    ("2000000000", "1953125Ki", "unable to parse quantity's suffix"),
    ("2000000001", "2000000001", None)])
def test_the_memory_limit_fix_is_a_quantity_kubectl_parses(
        run: Runner, workdir: Path, tmp_path: Path, require: str, quantity: str,
        refused: str | None) -> None:
    path = write_policy(workdir, "apiVersion: rlimit-init/v1\naddressSpace:\n  request: 512Mi\n"
                        f"memory:\n  require: {require}\n")
    printed = one(MEMORY, refusal_lines(run, tmp_path, ["-p", str(path)], hard="unlimited"))
    assert printed["quantity"] == quantity
    pod = tmp_path / "pod.yaml"
    pod.write_text("apiVersion: v1\nkind: Pod\nmetadata:\n  name: batch-job\nspec:\n"
                   "  containers:\n  - name: workload\n    image: busybox\n")
    done = kubectl_memory_limit(pod, quantity)
    assert (done.returncode, done.stderr) == (0, ""), done
    limits = json.loads(done.stdout)["spec"]["containers"][0]["resources"]["limits"]
    # kubectl keeps the quantity as written: it is already in canonical form, and exactly the
    # memory.require asked for.
    assert limits == {"memory": quantity}
    assert quantity_bytes(quantity) == quantity_bytes(require)
    if refused is not None:
        # The control: kubectl refuses the same quantity in the wrong case.
        done = kubectl_memory_limit(pod, quantity.lower())
        assert (done.returncode, done.stderr) == (1, f"error: {refused}\n")

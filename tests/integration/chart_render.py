# SPDX-License-Identifier: Apache-2.0
"""Renders charts/rlimit-init with helm and picks the rendered objects apart.

Shared by the chart tests and by tests that run the rendered Job for real (OCI bundles under
runc): they take the command, args, mounts and memory limit from here, never from a copy typed
into the test.

    objects = render("charts/rlimit-init/ci/defaults-values.yaml")
    pod = pod_spec(objects)
    workload = container(pod, "workload")
    memory_limit_bytes(workload)          # 268435456 for limits.memory: 256Mi

helm comes from $HELM, else .tools/bin/helm as scripts/setup-chart-tools.sh installs it.

The chart test files (test_chart_*.py, test_deploy.py) also share the release they render, the
values files they render it with, and `chart_tools`, which each imports so that it runs for
every test in it.
"""

from __future__ import annotations

import copy
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any, Iterable

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
CHART = REPO / "charts" / "rlimit-init"
CHART_TESTS = REPO / "tests" / "chart"
# Test values live where chart-testing (ct) looks for them: charts/rlimit-init/ci/*-values.yaml.
VALUES_DIR = CHART / "ci"
INVALID_VALUES_DIR = CHART_TESTS / "invalid"
DEPLOY = REPO / "deploy"
SETUP_HINT = "run scripts/setup-chart-tools.sh (as root, once) to install it"

WORKLOAD_CONTAINER = "workload"
INIT_CONTAINER = "install-rlimit-init"


class ToolMissing(RuntimeError):
    """A tool the chart tests need is not installed."""


class HelmError(RuntimeError):
    """helm exited non-zero; the message carries its stderr."""


def helm_path() -> Path:
    """The helm binary, or ToolMissing saying how to install it."""
    explicit = os.environ.get("HELM")
    path = Path(explicit) if explicit else REPO / ".tools" / "bin" / "helm"
    if not os.access(path, os.X_OK):
        raise ToolMissing(f"helm not found at {path}: {SETUP_HINT}")
    return path


def run_helm(*args: str | os.PathLike) -> subprocess.CompletedProcess:
    """Runs helm with `args`, returning the finished process whatever its exit code."""
    return subprocess.run([str(helm_path()), *map(str, args)], capture_output=True, text=True,
                          check=False)


def template_text(values_file: str | os.PathLike | None = None, *, release: str = "test",
                  namespace: str = "batch", set_values: Iterable[str] = (),
                  skip_tests: bool = False) -> str:
    """`helm template` of the chart as text; HelmError when helm refuses."""
    args: list[str | os.PathLike] = ["template", release, CHART, "--namespace", namespace]
    if values_file is not None:
        args += ["--values", values_file]
    for assignment in set_values:
        args += ["--set", assignment]
    if skip_tests:
        args.append("--skip-tests")
    done = run_helm(*args)
    if done.returncode != 0:
        raise HelmError(f"helm template failed ({done.returncode}): {done.stderr.strip()}")
    return done.stdout


def notes_text(values_file: str | os.PathLike, work_dir: Path, *, release: str = "test",
               namespace: str = "batch") -> str:
    """NOTES.txt as `helm install` would print it. helm template leaves NOTES.txt out and
    helm install needs a cluster, so this renders a copy of the chart in `work_dir` where a
    template passes NOTES.txt through `tpl`."""
    chart = Path(work_dir) / CHART.name
    shutil.copytree(CHART, chart)
    (chart / "templates" / "NOTES.txt").rename(chart / "notes.tpl")
    (chart / "templates" / "notes.yaml").write_text(
        'notes: {{ tpl (.Files.Get "notes.tpl") . | toJson }}\n')
    done = run_helm("template", release, chart, "--values", values_file,
                    "--namespace", namespace, "--show-only", "templates/notes.yaml")
    if done.returncode != 0:
        raise HelmError(f"rendering NOTES.txt failed ({done.returncode}): {done.stderr.strip()}")
    return yaml.safe_load(done.stdout)["notes"]


def validate(text: str) -> subprocess.CompletedProcess:
    """Runs tests/chart/validate.mjs over a multi-document YAML stream: exit 0 and a
    "valid: ..." line per object, or exit 1 and one "validate: ..." line per error on stderr."""
    return subprocess.run(["node", str(CHART_TESTS / "validate.mjs"), "-"], input=text,
                          capture_output=True, text=True, check=False)


def parse_objects(text: str) -> list[dict[str, Any]]:
    """The objects of a multi-document YAML stream, empty documents left out."""
    return [doc for doc in yaml.safe_load_all(text) if doc is not None]


def render(values_file: str | os.PathLike | None = None, **kwargs: Any) -> list[dict[str, Any]]:
    """`helm template` with a values file, parsed into objects. Keywords as template_text."""
    return parse_objects(template_text(values_file, **kwargs))


def chart_values(values_file: str | os.PathLike | None = None) -> dict[str, Any]:
    """The values the chart sees: its values.yaml with the file merged over it as Helm does
    (maps merge key by key, anything else replaces, null deletes the key)."""
    merged = yaml.safe_load((CHART / "values.yaml").read_text())
    if values_file is not None:
        _merge(merged, yaml.safe_load(Path(values_file).read_text()) or {})
    return merged


def _merge(base: dict[str, Any], override: dict[str, Any]) -> None:
    for key, value in override.items():
        if value is None:
            base.pop(key, None)
        elif isinstance(value, dict) and isinstance(base.get(key), dict):
            _merge(base[key], value)
        else:
            base[key] = copy.deepcopy(value)


def find(objects: list[dict[str, Any]], kind: str, name: str | None = None) -> list[dict[str, Any]]:
    """All objects of `kind` (and `name`, when given)."""
    return [o for o in objects
            if o.get("kind") == kind and (name is None or o["metadata"]["name"] == name)]


def only(objects: list[dict[str, Any]], kind: str) -> dict[str, Any]:
    """The single object of `kind`; AssertionError when there are none or several."""
    found = find(objects, kind)
    assert len(found) == 1, f"expected one {kind}, found {len(found)}"
    return found[0]


def is_test_hook(obj: dict[str, Any]) -> bool:
    return obj.get("metadata", {}).get("annotations", {}).get("helm.sh/hook") == "test"


def job_spec(objects: list[dict[str, Any]]) -> dict[str, Any]:
    """The JobSpec: the Job's, or the CronJob's jobTemplate's."""
    jobs = find(objects, "Job")
    cron_jobs = find(objects, "CronJob")
    assert len(jobs) + len(cron_jobs) == 1, "expected exactly one Job or CronJob"
    return jobs[0]["spec"] if jobs else cron_jobs[0]["spec"]["jobTemplate"]["spec"]


def pod_template(objects: list[dict[str, Any]]) -> dict[str, Any]:
    """The workload's pod template (metadata and spec)."""
    return job_spec(objects)["template"]


def pod_spec(objects: list[dict[str, Any]]) -> dict[str, Any]:
    """The workload's PodSpec."""
    return pod_template(objects)["spec"]


def container(spec: dict[str, Any], name: str = WORKLOAD_CONTAINER) -> dict[str, Any]:
    """The container or init container `name` of a PodSpec."""
    for c in [*spec.get("initContainers", []), *spec["containers"]]:
        if c["name"] == name:
            return c
    raise KeyError(f"no container {name!r} in the pod")


def volume(spec: dict[str, Any], name: str) -> dict[str, Any]:
    for v in spec.get("volumes", []):
        if v["name"] == name:
            return v
    raise KeyError(f"no volume {name!r} in the pod")


def mounts(spec: dict[str, Any], name: str = WORKLOAD_CONTAINER) -> dict[str, dict[str, Any]]:
    """A container's mounts by mount path, each with the pod volume it mounts under "volume"."""
    return {m["mountPath"]: {**m, "volume": volume(spec, m["name"])}
            for m in container(spec, name).get("volumeMounts", [])}


def policy_text(objects: list[dict[str, Any]]) -> str:
    """The policy file exactly as the workload container sees it."""
    config_maps = [o for o in find(objects, "ConfigMap") if "policy.yaml" in o.get("data", {})]
    assert len(config_maps) == 1, "expected one ConfigMap with key policy.yaml"
    return config_maps[0]["data"]["policy.yaml"]


_SUFFIXES = {"": 1, "k": 10**3, "M": 10**6, "G": 10**9, "T": 10**12, "P": 10**15, "E": 10**18,
             "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60}


def quantity_bytes(quantity: str | int) -> int:
    """Bytes of a Kubernetes memory quantity ("256Mi", "1.5Gi", "4G", 1073741824), rounded up
    to a whole byte as Kubernetes does."""
    from decimal import ROUND_CEILING, Decimal
    text = str(quantity)
    number = text.rstrip("kKMGTPEi")
    suffix = text[len(number):]
    if suffix not in _SUFFIXES or not number:
        raise ValueError(f"not a memory quantity: {quantity!r}")
    return int((Decimal(number) * _SUFFIXES[suffix]).to_integral_value(rounding=ROUND_CEILING))


def memory_limit_bytes(c: dict[str, Any]) -> int | None:
    """A container's resources.limits.memory in bytes, or None when it has none."""
    limit = c.get("resources", {}).get("limits", {}).get("memory")
    return None if limit is None else quantity_bytes(limit)


# --- what the chart test files share ---------------------------------------------------------

RELEASE = "test"
FULLNAME = "test-rlimit-init"
POLICY_FILE = "/etc/rlimit-init/policy.yaml"
VALID = ["defaults", "cronjob", "indexed", "image-mode", "full-policy"]


@pytest.fixture(scope="session", autouse=True)
def chart_tools() -> None:
    """Fails (never skips) when a tool is missing, saying how to install it."""
    missing = []
    try:
        helm_path()
    except ToolMissing as error:
        missing.append(str(error))
    for package in ("kubernetes-models", "yaml"):
        if not (CHART_TESTS / "node_modules" / package / "package.json").is_file():
            missing.append(f"tests/chart/node_modules/{package} is missing: {SETUP_HINT}")
    for tool in ("node", "kubectl"):
        if shutil.which(tool) is None:
            missing.append(f"{tool} is not on PATH")
    if missing:
        pytest.fail("chart test tools missing:\n" + "\n".join(missing), pytrace=False)


def values(name: str) -> Path:
    return VALUES_DIR / f"{name}-values.yaml"


def workload(objects: list[dict]) -> dict:
    return container(pod_spec(objects), WORKLOAD_CONTAINER)


def checksum(objects: list[dict]) -> str:
    return pod_template(objects)["metadata"]["annotations"]["checksum/policy"]

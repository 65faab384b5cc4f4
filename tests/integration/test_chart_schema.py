# SPDX-License-Identifier: Apache-2.0
"""The Helm chart charts/rlimit-init against its schemas: helm lint, the Kubernetes API schemas
of every rendered object, values.schema.json refusing bad values, and the chart README
documenting every value the schema allows.

Needs helm at .tools/bin/helm, tests/chart/node_modules, node and kubectl: run
scripts/setup-chart-tools.sh once. A missing tool fails every test here instead of skipping
it (chart_render.chart_tools), because CI has all of them.
"""

from __future__ import annotations

import json

import pytest

# chart_tools runs for every test in this file.
from chart_render import chart_tools  # noqa: F401
from chart_render import (CHART, FULLNAME, INVALID_VALUES_DIR, RELEASE, VALID, HelmError,
                          run_helm, template_text, validate, values)

# Starts no rlimit-init binary: the sanitizer run leaves it out (it would check nothing new).
pytestmark = pytest.mark.without_binary


SCHEMA = json.loads((CHART / "values.schema.json").read_text())


def error_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith("[ERROR]")]


# --- helm lint and the Kubernetes schemas -------------------------------------------------

@pytest.mark.parametrize("name", VALID)
def test_helm_lint_accepts_values_file(name: str) -> None:
    done = run_helm("lint", "--strict", CHART, "--values", values(name))
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.splitlines()[-1] == "1 chart(s) linted, 0 chart(s) failed"


EXPECTED_OBJECTS = {
    "defaults": ["v1 ConfigMap", "batch/v1 Job", "v1 Pod"],
    "cronjob": ["v1 ConfigMap", "batch/v1 CronJob", "v1 Pod"],
    "indexed": ["v1 ConfigMap", "batch/v1 Job", "v1 Pod"],
    "image-mode": ["v1 ConfigMap", "batch/v1 Job"],
    "full-policy": ["v1 ConfigMap", "batch/v1 Job", "v1 Pod"],
}


@pytest.mark.parametrize("name", VALID)
def test_every_rendered_object_passes_the_kubernetes_schemas(name: str) -> None:
    done = validate(template_text(values(name), release=RELEASE))
    assert done.returncode == 0, done.stderr
    names = {"v1 Pod": f"{FULLNAME}-check"}
    assert done.stdout.splitlines() == [
        f"valid: {kind} {names.get(kind, FULLNAME)}" for kind in EXPECTED_OBJECTS[name]]


def test_validator_rejects_what_the_api_server_would() -> None:
    # Proves validate.mjs is not a no-op: schema errors (type, enum) and API-server rules.
    broken = """\
apiVersion: batch/v1
kind: Job
metadata: {name: Bad_Name}
spec:
  backoffLimit: "3"
  podFailurePolicy:
    rules: [{action: FailJob, onExitCodes: {containerName: main, operator: In, values: [77]}}]
  template:
    spec:
      restartPolicy: OnFailure
      containers:
        - name: workload
          image: python
          volumeMounts: [{name: policy, mountPath: /etc/rlimit-init}]
---
apiVersion: v1
kind: PolicyMap
metadata: {name: policy}
"""
    done = validate(broken)
    assert done.returncode == 1
    job = "validate: document 1 Job/Bad_Name"
    assert done.stderr.splitlines() == [
        f"{job}: /spec/backoffLimit: must be integer",
        f'{job}: /metadata/name: "Bad_Name" is not a DNS-1123 subdomain',
        f'{job}: /spec/template/spec/containers/0/volumeMounts/0/name: no volume "policy" in the pod',
        f"{job}: /spec/template/spec/restartPolicy: must be Never when podFailurePolicy is set",
        f'{job}: /spec/podFailurePolicy/rules/0/onExitCodes/containerName: no container "main"',
        "validate: document 2 PolicyMap/policy: unknown apiVersion/kind v1/PolicyMap",
    ]


# --- values that break the schema ---------------------------------------------------------

SCHEMA_ERRORS = {
    "above-cgroup-enum": "- policy.addressSpace.aboveCgroup: policy.addressSpace.aboveCgroup "
                         'must be one of the following: "allow", "warn", "refuse"',
    "missing-command": "- workload.command: Array must have at least 1 items",
    "unknown-key": "- (root): Additional property memoryLimit is not allowed",
    "bad-quantity": "- policy.addressSpace.request: Does not match pattern "
                    f"'{SCHEMA['definitions']['amount']['pattern']}'",
}


@pytest.mark.parametrize("name", sorted(SCHEMA_ERRORS))
def test_helm_lint_rejects_values_that_break_the_schema(name: str) -> None:
    done = run_helm("lint", "--strict", CHART, "--values", INVALID_VALUES_DIR / f"{name}.yaml")
    assert done.returncode == 1
    assert error_lines(done.stdout) == [
        f"[ERROR] values.yaml: {SCHEMA_ERRORS[name]}",
        "[ERROR] templates/: values don't meet the specifications of the schema(s) in the "
        "following chart(s):",
    ]
    assert done.stderr == "Error: 1 chart(s) linted, 1 chart(s) failed\n"


def test_chart_defaults_lint_and_render_the_demo_job() -> None:
    # `helm install demo charts/rlimit-init` with no values runs the seed job.
    done = run_helm("lint", "--strict", CHART)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.splitlines()[-1] == "1 chart(s) linted, 0 chart(s) failed"
    done = validate(template_text(None, release="demo"))
    assert (done.returncode, done.stdout.splitlines()) == (0, [
        "valid: v1 ConfigMap demo-rlimit-init", "valid: batch/v1 Job demo-rlimit-init",
        "valid: v1 Pod demo-rlimit-init-check"]), done.stderr


def test_removing_the_command_is_refused() -> None:
    with pytest.raises(HelmError) as raised:
        template_text(None, set_values=["workload.command=null"])
    assert str(raised.value).splitlines()[-1] == (
        "- workload: command is required")


# --- the chart README ------------------------------------------------------------------------

def schema_keys(node: dict, prefix: str = "") -> list[str]:
    """Dotted paths of the values: our own (strict) objects are descended into."""
    keys = []
    for key, sub in node.get("properties", {}).items():
        path = f"{prefix}{key}"
        if sub.get("additionalProperties") is False and path != "resources":
            keys += schema_keys(sub, f"{path}.")
        else:
            keys.append(path)
    return keys


def test_readme_documents_every_value() -> None:
    schema = json.loads((CHART / "values.schema.json").read_text())
    documented = {line.split("`")[1] for line in (CHART / "README.md").read_text().splitlines()
                  if line.startswith("| `")}
    assert documented == set(schema_keys(schema)) - {"global"}

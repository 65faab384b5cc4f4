"""The Helm chart charts/rlimit-init and the plain manifests in deploy/.

Needs helm at .tools/bin/helm, tests/chart/node_modules, node and kubectl: run
scripts/setup-chart-tools.sh once. A missing tool fails every test here instead of skipping
it, because CI has all of them.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from chart_render import (CHART, CHART_TESTS, DEPLOY, INIT_CONTAINER, INVALID_VALUES_DIR, REPO,
                          SETUP_HINT, VALUES_DIR, WORKLOAD_CONTAINER, HelmError, ToolMissing,
                          chart_values, container, find, helm_path, is_test_hook, job_spec,
                          memory_limit_bytes, mounts, only, parse_objects, pod_spec, pod_template,
                          notes_text, policy_text, quantity_bytes, render, run_helm, template_text,
                          validate)

RELEASE = "test"
FULLNAME = "test-rlimit-init"
POLICY_DIR = "/etc/rlimit-init"
POLICY_FILE = "/etc/rlimit-init/policy.yaml"
RLIMIT_INIT_IMAGE = "rlimit-init:0.1.0"
VALID = ["defaults", "cronjob", "indexed", "image-mode", "full-policy"]
FAIL_JOB_ON_RLIMIT_INIT_EXITS = {
    "rules": [{
        "action": "FailJob",
        "onExitCodes": {"containerName": "workload", "operator": "In", "values": [64, 77, 78]},
    }]
}


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
    return VALUES_DIR / f"{name}.yaml"


def workload(objects: list[dict]) -> dict:
    return container(pod_spec(objects), WORKLOAD_CONTAINER)


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
                    r"'^(unlimited|hard|(0|[1-9][0-9]*)(\.[0-9]+)?(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E)?"
                    r"|(0\.[0-9]{1,2}|[1-9][0-9]?(\.[0-9]{1,2})?|100(\.0{1,2})?)%)$'",
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


def test_install_without_a_command_is_refused() -> None:
    # The chart's own defaults leave the workload image and command empty: helm template (and
    # install) refuse until they are given.
    with pytest.raises(HelmError) as raised:
        template_text(None)
    lines = str(raised.value).splitlines()
    assert lines[:2] == [
        "helm template failed (1): Error: values don't meet the specifications of the schema(s) "
        "in the following chart(s):",
        "rlimit-init:"]
    # The schema library reports errors in no fixed order.
    assert sorted(lines[2:]) == [
        "- workload.command: Array must have at least 1 items",
        "- workload.image.repository: String length must be greater than or equal to 1"]


# --- injection and the wrapped command ----------------------------------------------------

def test_init_container_installs_the_binary_into_the_shared_empty_dir() -> None:
    objects = render(values("defaults"), release=RELEASE)
    spec = pod_spec(objects)
    assert [c["name"] for c in spec["initContainers"]] == [INIT_CONTAINER]
    init = container(spec, INIT_CONTAINER)
    assert init["image"] == RLIMIT_INIT_IMAGE
    assert init["command"] == ["/rlimit-init", "install", "/target"]
    assert "args" not in init
    assert init["securityContext"]["runAsUser"] == 65532
    init_mounts = mounts(spec, INIT_CONTAINER)
    assert list(init_mounts) == ["/target"]
    assert init_mounts["/target"]["volume"] == {"name": "rlimit-init-bin", "emptyDir": {}}
    shared = mounts(spec)["/rlimit-init"]
    assert shared["volume"] == {"name": "rlimit-init-bin", "emptyDir": {}}
    assert shared["readOnly"] is True


@pytest.mark.parametrize("name,binary", [
    ("defaults", "/rlimit-init/rlimit-init"),
    ("cronjob", "/rlimit-init/rlimit-init"),
    ("indexed", "/rlimit-init/rlimit-init"),
    ("image-mode", "/opt/tools/rlimit-init"),
    ("full-policy", "/rlimit-init/rlimit-init"),
])
def test_workload_command_is_wrapped_by_rlimit_init(name: str, binary: str) -> None:
    given = chart_values(values(name))["workload"]
    main = workload(render(values(name)))
    assert main["command"] == [binary, "--policy", POLICY_FILE, "--", *given["command"]]
    assert main.get("args", []) == given["args"]


def test_wrapped_command_keeps_arguments_exactly() -> None:
    # Quotes, spaces, a leading dash and YAML-special text pass through unchanged.
    objects = render(values("defaults"), set_values=[
        "workload.command={sh,-c}",
        r"workload.args={echo \"a b\" 'c': #d,--,yes}"])
    main = workload(objects)
    assert main["command"] == ["/rlimit-init/rlimit-init", "--policy", POLICY_FILE, "--",
                               "sh", "-c"]
    assert main["args"] == ['echo "a b" \'c\': #d', "--", "yes"]


def test_defaults_command_is_the_seed_python_job() -> None:
    main = workload(render(values("defaults")))
    assert main["image"] == "python:3.12-slim"
    assert main["command"] == [
        "/rlimit-init/rlimit-init", "--policy", POLICY_FILE, "--", "python3", "-c",
        "data = bytearray(300 * 1024 * 1024); print(f'allocated_bytes={len(data)}')"]
    assert "args" not in main


def test_image_mode_has_no_init_container_and_no_empty_dir() -> None:
    spec = pod_spec(render(values("image-mode")))
    assert "initContainers" not in spec
    assert [v["name"] for v in spec["volumes"]] == ["policy"]
    assert list(mounts(spec)) == [POLICY_DIR]
    main = container(spec)
    assert main["command"][:4] == ["/opt/tools/rlimit-init", "--policy", POLICY_FILE, "--"]
    assert main["image"] == "registry.example.com/jvm-batch:17"
    assert main["imagePullPolicy"] == "Always"


# --- the policy ----------------------------------------------------------------------------

@pytest.mark.parametrize("name", VALID)
def test_policy_config_map_is_mounted_where_the_command_points(name: str) -> None:
    objects = render(values(name), release=RELEASE)
    spec = pod_spec(objects)
    policy_arg = container(spec)["command"][2]
    directory, file_name = os.path.split(policy_arg)
    mount = mounts(spec)[directory]
    assert mount["readOnly"] is True
    config_map = only(objects, "ConfigMap")
    assert mount["volume"] == {"name": "policy", "configMap": {"name": FULLNAME}}
    assert config_map["metadata"]["name"] == FULLNAME
    assert list(config_map["data"]) == [file_name]


@pytest.mark.parametrize("name", VALID)
def test_policy_file_equals_the_policy_value(name: str) -> None:
    objects = render(values(name))
    assert yaml.safe_load(policy_text(objects)) == chart_values(values(name))["policy"]


def test_policy_with_every_key_is_written_as_given() -> None:
    assert policy_text(render(values("full-policy"))) == """\
addressSpace:
  aboveCgroup: refuse
  minimum: 4Gi
  raiseHard: true
  request: 6Gi
apiVersion: rlimit-init/v1
memory:
  require: 4Gi
report:
  format: json
  terminationMessagePath: /tmp/rlimit-init-report
"""


def test_default_policy_raises_the_soft_limit_to_the_hard_limit() -> None:
    assert policy_text(render(values("defaults"))) == "addressSpace:\n  request: hard\napiVersion: rlimit-init/v1\n"


def test_byte_count_request_is_written_as_a_quoted_string() -> None:
    quoted = policy_text(parse_objects(run_helm(
        "template", RELEASE, CHART, "--values", values("defaults"),
        "--set-string", "policy.addressSpace.request=1073741824").stdout))
    assert quoted == 'addressSpace:\n  request: "1073741824"\napiVersion: rlimit-init/v1\n'


def test_byte_count_request_as_a_number_is_refused() -> None:
    # An unquoted number would reach the policy file as a YAML integer, or in exponent form
    # once Helm's float64 rounding kicks in; the schema asks for a string instead.
    with pytest.raises(HelmError) as raised:
        template_text(values("defaults"), set_values=["policy.addressSpace.request=1073741824"])
    assert str(raised.value).splitlines()[-1] == (
        "- policy.addressSpace.request: Invalid type. Expected: string, given: integer")


# --- failure handling ------------------------------------------------------------------------

@pytest.mark.parametrize("name", VALID)
def test_pod_failure_policy_fails_the_job_on_rlimit_init_exit_codes(name: str) -> None:
    objects = render(values(name))
    assert job_spec(objects)["podFailurePolicy"] == FAIL_JOB_ON_RLIMIT_INIT_EXITS
    # The rule names the container whose command rlimit-init wraps.
    assert workload(objects)["command"][3] == "--"


@pytest.mark.parametrize("name,path", [
    ("defaults", "/dev/termination-log"),
    ("cronjob", "/dev/termination-log"),
    ("indexed", "/dev/termination-log"),
    ("image-mode", "/dev/termination-log"),
    ("full-policy", "/tmp/rlimit-init-report"),
])
def test_restart_policy_and_termination_message(name: str, path: str) -> None:
    spec = pod_spec(render(values(name)))
    assert spec["restartPolicy"] == "Never"
    main = container(spec)
    assert main["terminationMessagePolicy"] == "FallbackToLogsOnError"
    assert main["terminationMessagePath"] == path


def test_disabled_report_file_leaves_the_kubernetes_default_path() -> None:
    spec = pod_spec(render(values("defaults"), set_values=["policy.report.terminationMessagePath="]))
    main = container(spec)
    assert "terminationMessagePath" not in main
    assert main["terminationMessagePolicy"] == "FallbackToLogsOnError"


# --- the checksum annotation ---------------------------------------------------------------

def checksum(objects: list[dict]) -> str:
    return pod_template(objects)["metadata"]["annotations"]["checksum/policy"]


@pytest.mark.parametrize("name", VALID)
def test_checksum_annotation_is_the_sha256_of_the_policy_file(name: str) -> None:
    objects = render(values(name))
    assert checksum(objects) == hashlib.sha256(policy_text(objects).encode()).hexdigest()


def test_checksum_annotation_changes_exactly_when_the_policy_does() -> None:
    base = checksum(render(values("defaults")))
    changed = render(values("defaults"), set_values=["policy.addressSpace.request=2Gi"])
    assert checksum(changed) != base
    assert checksum(changed) == hashlib.sha256(
        b"addressSpace:\n  request: 2Gi\napiVersion: rlimit-init/v1\n").hexdigest()
    unrelated = render(values("defaults"), set_values=["backoffLimit=5", "podLabels.team=x"])
    assert checksum(unrelated) == base


# --- Job, CronJob, Indexed ------------------------------------------------------------------

def test_defaults_render_a_job_with_the_chart_defaults() -> None:
    objects = render(values("defaults"), release=RELEASE)
    assert [o["kind"] for o in objects if not is_test_hook(o)] == ["ConfigMap", "Job"]
    spec = only(objects, "Job")["spec"]
    assert {k: v for k, v in spec.items() if k not in ("template", "podFailurePolicy")} == {
        "parallelism": 1, "completions": 1, "completionMode": "NonIndexed",
        "backoffLimit": 3, "ttlSecondsAfterFinished": 86400}
    assert "resources" not in workload(objects)


def test_cronjob_values_render_a_cronjob_and_no_job() -> None:
    objects = render(values("cronjob"), release=RELEASE)
    assert find(objects, "Job") == []
    cron = only(objects, "CronJob")
    assert cron["metadata"]["name"] == FULLNAME
    assert {k: v for k, v in cron["spec"].items() if k != "jobTemplate"} == {
        "schedule": "30 2 * * *", "timeZone": "Europe/Berlin", "concurrencyPolicy": "Replace",
        "startingDeadlineSeconds": 600, "successfulJobsHistoryLimit": 1,
        "failedJobsHistoryLimit": 5, "suspend": False}
    spec = cron["spec"]["jobTemplate"]["spec"]
    assert spec["activeDeadlineSeconds"] == 21600
    assert spec["ttlSecondsAfterFinished"] == 3600
    main = workload(objects)
    assert main["env"] == [{"name": "PYTHONUNBUFFERED", "value": "1"}]
    assert main["resources"] == {"requests": {"cpu": "2", "memory": "8Gi"},
                                 "limits": {"memory": "8Gi"}}
    assert memory_limit_bytes(main) == 8 * 2**30


def test_indexed_values_render_an_indexed_job() -> None:
    objects = render(values("indexed"))
    spec = only(objects, "Job")["spec"]
    assert (spec["completionMode"], spec["completions"], spec["parallelism"],
            spec["backoffLimit"]) == ("Indexed", 8, 4, 6)
    assert "ttlSecondsAfterFinished" not in spec  # null in the values removes it
    assert workload(objects)["image"] == (
        "registry.example.com/shard-worker@sha256:"
        "4f53cda18c2baa0c0354bb5f9a3ecbe5ed12ab4d8e11ba873c2f11161202b945")


def test_pod_settings_pass_through() -> None:
    objects = render(values("image-mode"), release=RELEASE)
    given = chart_values(values("image-mode"))
    template = pod_template(objects)
    spec = template["spec"]
    for key in ("serviceAccountName", "nodeSelector", "tolerations", "affinity",
                "imagePullSecrets"):
        assert spec[key] == given[key], key
    assert spec["securityContext"] == given["podSecurityContext"]
    assert container(spec)["securityContext"] == given["securityContext"]
    assert template["metadata"]["annotations"] == {
        "checksum/policy": checksum(objects),
        "cluster-autoscaler.kubernetes.io/safe-to-evict": "false"}
    assert template["metadata"]["labels"]["team"] == "data-platform"


def test_workload_volumes_and_env_pass_through() -> None:
    objects = render(values("full-policy"))
    spec = pod_spec(objects)
    main = container(spec)
    assert main["envFrom"] == [{"configMapRef": {"name": "job-settings"}}]
    assert mounts(spec)["/data"] == {
        "name": "data", "mountPath": "/data", "readOnly": True,
        "volume": {"name": "data", "persistentVolumeClaim": {"claimName": "batch-data"}}}
    assert main["securityContext"] == {"capabilities": {"add": ["SYS_RESOURCE"]}}


# --- names and labels ----------------------------------------------------------------------

def test_labels_keep_selector_labels_apart_from_version_labels() -> None:
    objects = render(values("defaults"), release=RELEASE,
                     set_values=[r"podLabels.app\.kubernetes\.io/name=hijack", "podLabels.team=x"])
    version_labels = {"helm.sh/chart": "rlimit-init-0.1.0", "app.kubernetes.io/version": "0.1.0",
                      "app.kubernetes.io/managed-by": "Helm"}
    selector = {"app.kubernetes.io/name": "rlimit-init", "app.kubernetes.io/instance": RELEASE}
    for obj in objects:
        assert obj["metadata"]["labels"].items() >= {**selector, **version_labels}.items()
    # The chart's labels win over podLabels, so `kubectl -l` in NOTES.txt always matches.
    assert pod_template(objects)["metadata"]["labels"] == {
        **selector, **version_labels, "app.kubernetes.io/component": "workload", "team": "x"}


def test_long_release_names_leave_room_for_cronjob_suffixes() -> None:
    objects = render(values("cronjob"), release="a" * 53)
    assert only(objects, "CronJob")["metadata"]["name"] == "a" * 52


# --- the helm test hook ----------------------------------------------------------------------

def test_helm_test_hook_checks_the_policy_with_the_workload_resources() -> None:
    objects = render(values("full-policy"), release=RELEASE)
    hooks = [o for o in objects if is_test_hook(o)]
    assert [(o["kind"], o["metadata"]["name"]) for o in hooks] == [("Pod", f"{FULLNAME}-check")]
    pod = hooks[0]
    assert pod["metadata"]["annotations"]["helm.sh/hook-delete-policy"] == (
        "before-hook-creation,hook-succeeded")
    spec = pod["spec"]
    assert spec["restartPolicy"] == "Never"
    check = container(spec, "check")
    assert check["image"] == RLIMIT_INIT_IMAGE
    assert check["command"] == ["/rlimit-init", "check", "--policy", POLICY_FILE]
    assert mounts(spec, "check")[POLICY_DIR]["volume"] == {
        "name": "policy", "configMap": {"name": FULLNAME}}
    assert check["resources"] == workload(objects)["resources"]
    assert check["terminationMessagePath"] == "/tmp/rlimit-init-report"


def test_helm_test_hook_can_be_turned_off() -> None:
    assert [o for o in render(values("image-mode")) if is_test_hook(o)] == []


# --- NOTES.txt ---------------------------------------------------------------------------------

def render_notes(tmp_path: Path, values_file: Path) -> list[str]:
    return notes_text(values_file, tmp_path, release=RELEASE).splitlines()


def test_notes_tell_how_to_read_a_refusal(tmp_path: Path) -> None:
    lines = render_notes(tmp_path, values("defaults"))
    pods = "app.kubernetes.io/instance=test,app.kubernetes.io/component=workload"
    assert f"  kubectl --namespace batch describe pod -l {pods}" in lines
    assert f"  kubectl --namespace batch logs job/{FULLNAME} -c workload" in lines
    assert "  77  refused by the policy: a cap outside the pod must change (the hard RLIMIT_AS the node's" in lines
    assert "  helm test test --namespace batch --logs" in lines


def test_notes_for_a_cronjob_say_how_to_start_a_run(tmp_path: Path) -> None:
    lines = render_notes(tmp_path, values("cronjob"))
    assert lines[0] == f'The CronJob {FULLNAME} runs the workload under rlimit-init on the schedule "30 2 * * *".'
    assert f"  kubectl --namespace batch create job --from=cronjob/{FULLNAME} {FULLNAME}-manual" in lines


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


# --- deploy/ ---------------------------------------------------------------------------------

GENERATED = ["configmap.yaml", "job.yaml", "kustomization.yaml"]


def test_deploy_matches_a_fresh_render(tmp_path: Path) -> None:
    done = subprocess.run(["bash", str(REPO / "scripts" / "render-deploy.sh"), str(tmp_path)],
                          capture_output=True, text=True, check=False,
                          env={**os.environ, "HELM": str(helm_path())})
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == GENERATED
    for name in GENERATED:
        assert (DEPLOY / name).read_text() == (tmp_path / name).read_text(), (
            f"deploy/{name} has drifted from the chart: run scripts/render-deploy.sh")
    assert sorted(p.name for p in DEPLOY.iterdir()) == sorted([*GENERATED, "README.md",
                                                                "values.yaml"])


def test_kubectl_kustomize_renders_deploy() -> None:
    done = subprocess.run(["kubectl", "kustomize", str(DEPLOY)], capture_output=True, text=True,
                          check=False)
    assert done.returncode == 0, done.stderr
    objects = parse_objects(done.stdout)
    assert sorted((o["kind"], o["metadata"]["name"]) for o in objects) == [
        ("ConfigMap", "memory-hungry-job"), ("Job", "memory-hungry-job")]
    on_disk = [o for name in ("configmap.yaml", "job.yaml")
               for o in parse_objects((DEPLOY / name).read_text())]
    assert sorted(objects, key=lambda o: o["kind"]) == sorted(on_disk, key=lambda o: o["kind"])
    checked = validate(done.stdout)
    assert checked.returncode == 0, checked.stderr


def test_deploy_job_injects_rlimit_init_with_an_init_container() -> None:
    objects = [o for name in ("configmap.yaml", "job.yaml")
               for o in parse_objects((DEPLOY / name).read_text())]
    spec = pod_spec(objects)
    assert container(spec, INIT_CONTAINER)["command"] == ["/rlimit-init", "install", "/target"]
    main = container(spec)
    assert main["command"][:4] == ["/rlimit-init/rlimit-init", "--policy", POLICY_FILE, "--"]
    assert memory_limit_bytes(main) == quantity_bytes("1Gi")
    assert yaml.safe_load(policy_text(objects)) == {
        "apiVersion": "rlimit-init/v1",
        "addressSpace": {"request": "512Mi", "aboveCgroup": "refuse"},
        "memory": {"require": "512Mi"}}
    for obj in objects:
        assert "app.kubernetes.io/managed-by" not in obj["metadata"]["labels"]


# --- chart_render helpers -----------------------------------------------------------------

@pytest.mark.parametrize("text,expected", [
    ("256Mi", 268435456), ("1Gi", 1073741824), ("1.5Gi", 1610612736), ("4G", 4000000000),
    ("1073741824", 1073741824), (512, 512), ("0.5Ki", 512), ("1.0001k", 1001),
])
def test_quantity_bytes(text: str | int, expected: int) -> None:
    assert quantity_bytes(text) == expected

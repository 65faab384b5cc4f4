# SPDX-License-Identifier: Apache-2.0
"""What the Helm chart charts/rlimit-init renders: the init container injection and the wrapped
command, failure handling, Job, CronJob and Indexed Job, the pod settings, names and labels,
the helm test hook and NOTES.txt; and chart_render's own quantity parser.

Needs helm at .tools/bin/helm, tests/chart/node_modules, node and kubectl: run
scripts/setup-chart-tools.sh once. A missing tool fails every test here instead of skipping
it (chart_render.chart_tools), because CI has all of them.
"""

from __future__ import annotations

from pathlib import Path

import pytest

# chart_tools runs for every test in this file.
from chart_render import chart_tools  # noqa: F401
from chart_render import (FULLNAME, INIT_CONTAINER, POLICY_FILE, RELEASE, VALID, chart_values,
                          checksum, container, find, is_test_hook, job_spec, memory_limit_bytes,
                          mounts, notes_text, only, pod_spec, pod_template, quantity_bytes, render,
                          values, workload)

# Starts no rlimit-init binary: the sanitizer run leaves it out (it would check nothing new).
pytestmark = pytest.mark.without_binary

POLICY_DIR = "/etc/rlimit-init"
RLIMIT_INIT_IMAGE = "rlimit-init:0.1.0"
FAIL_JOB_ON_RLIMIT_INIT_EXITS = {
    "rules": [{
        "action": "FailJob",
        "onExitCodes": {"containerName": "workload", "operator": "In", "values": [64, 77, 78, 126, 127]},
    }]
}


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

@pytest.mark.parametrize("name", ["defaults", "cronjob", "indexed", "full-policy"])
def test_helm_test_hook_is_the_workload_pod_running_check(name: str) -> None:
    """The test Pod is the workload's pod with `check` in place of the workload's command: the
    same image (a named user: resolves in its /etc/passwd), securityContext (raiseHard sees
    its capabilities), resources, env, injection and placement."""
    objects = render(values(name), release=RELEASE)
    hooks = [o for o in objects if is_test_hook(o)]
    assert [(o["kind"], o["metadata"]["name"]) for o in hooks] == [("Pod", f"{FULLNAME}-check")]
    pod = hooks[0]
    assert pod["metadata"]["annotations"]["helm.sh/hook-delete-policy"] == (
        "before-hook-creation,hook-succeeded")
    assert pod["metadata"]["labels"]["app.kubernetes.io/component"] == "check"
    spec, job_pod = pod["spec"], pod_spec(objects)
    check = container(spec, "check")
    main = workload(objects)
    assert check["command"] == [main["command"][0], "check", "--policy", POLICY_FILE]
    assert "args" not in check
    # Everything else of the container is the workload's, and the pod around it too, apart
    # from the workload's own volumes, which a check does not read.
    assert {k: v for k, v in check.items() if k not in ("name", "command")} == {
        k: v for k, v in main.items() if k not in ("name", "command", "args")
        and not (k == "volumeMounts")} | {"volumeMounts": [
            m for m in main["volumeMounts"] if m["mountPath"] in (POLICY_DIR, "/rlimit-init")]}
    user_volumes = {v["name"] for v in chart_values(values(name)).get("volumes", [])}
    assert {k: v for k, v in spec.items() if k not in ("containers", "volumes")} == {
        k: v for k, v in job_pod.items() if k not in ("containers", "volumes")}
    assert spec["volumes"] == [v for v in job_pod["volumes"] if v["name"] not in user_volumes]


def test_helm_test_hook_runs_the_workload_image_with_the_workload_security_context() -> None:
    objects = render(values("full-policy"), release=RELEASE)
    check = container([o for o in objects if is_test_hook(o)][0]["spec"], "check")
    assert check["image"] == "python:3.12-slim"
    assert check["securityContext"] == {"capabilities": {"add": ["SYS_RESOURCE"]}}
    assert check["terminationMessagePath"] == "/tmp/rlimit-init-report"


def test_helm_test_hook_in_image_mode_uses_the_images_own_binary() -> None:
    objects = render(values("image-mode"), set_values=["test.enabled=true"])
    spec = [o for o in objects if is_test_hook(o)][0]["spec"]
    assert "initContainers" not in spec
    check = container(spec, "check")
    assert (check["image"], check["command"]) == (
        "registry.example.com/jvm-batch:17",
        ["/opt/tools/rlimit-init", "check", "--policy", POLICY_FILE])
    assert check["securityContext"] == chart_values(values("image-mode"))["securityContext"]


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


# --- chart_render helpers -----------------------------------------------------------------

@pytest.mark.parametrize("text,expected", [
    ("256Mi", 268435456), ("1Gi", 1073741824), ("1.5Gi", 1610612736), ("4G", 4000000000),
    ("1073741824", 1073741824), (512, 512), ("0.5Ki", 512), ("1.0001k", 1001),
])
def test_quantity_bytes(text: str | int, expected: int) -> None:
    assert quantity_bytes(text) == expected

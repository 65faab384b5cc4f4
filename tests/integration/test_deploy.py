# SPDX-License-Identifier: Apache-2.0
"""The plain manifests in deploy/: rendered from the chart by scripts/render-deploy.sh and never
edited by hand, what `kubectl kustomize deploy/` renders, and the Job injecting rlimit-init with
an init container.

Needs helm at .tools/bin/helm, tests/chart/node_modules, node and kubectl: run
scripts/setup-chart-tools.sh once. A missing tool fails every test here instead of skipping
it (chart_render.chart_tools), because CI has all of them.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import yaml

# chart_tools runs for every test in this file.
import pytest

from chart_render import chart_tools  # noqa: F401
from chart_render import (DEPLOY, INIT_CONTAINER, POLICY_FILE, REPO, container, helm_path,
                          memory_limit_bytes, parse_objects, pod_spec, policy_text, quantity_bytes,
                          validate)

# Starts no rlimit-init binary: the sanitizer run leaves it out (it would check nothing new).
pytestmark = pytest.mark.without_binary

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

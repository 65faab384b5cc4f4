# SPDX-License-Identifier: Apache-2.0
"""The policy the chart writes: the ConfigMap mounted where the wrapped command points, the file
exactly as the policy value says, and the checksum annotation, which changes exactly when the
policy does.

Needs helm at .tools/bin/helm, tests/chart/node_modules, node and kubectl: run
scripts/setup-chart-tools.sh once. A missing tool fails every test here instead of skipping
it (chart_render.chart_tools), because CI has all of them.
"""

from __future__ import annotations

import hashlib
import os

import pytest
import yaml

# chart_tools runs for every test in this file.
from chart_render import chart_tools  # noqa: F401
from chart_render import (CHART, FULLNAME, RELEASE, VALID, HelmError, chart_values, checksum,
                          container, mounts, only, parse_objects, pod_spec, policy_text, render,
                          run_helm, template_text, values)

# Starts no rlimit-init binary: the sanitizer run leaves it out (it would check nothing new).
pytestmark = pytest.mark.without_binary


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


def test_byte_count_request_as_a_number_is_written_as_a_number() -> None:
    # --set reads 1073741824 as an integer; the schema takes it, and the binary reads the
    # unquoted number as the same byte count (tests/chart/amounts.tsv holds the full list).
    text = policy_text(render(values("defaults"),
                              set_values=["policy.addressSpace.request=1073741824"]))
    assert text == "addressSpace:\n  request: 1073741824\napiVersion: rlimit-init/v1\n"


# --- the checksum annotation ---------------------------------------------------------------

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

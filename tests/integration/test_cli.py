# SPDX-License-Identifier: Apache-2.0
"""rlimit-init's own command line, run through the real binary: bundled short options, an
option given twice, a bad command line under -o json, --version with the commit it was built
from, and the README's usage block against --help."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

import golden
from rlimit_json import parse as parse_json
from conftest import REPO, Runner, clean_env, marker_workload, policy, write_policy
from expected import project_version, source_commit

def test_bundled_short_options_take_their_value(run: Runner, workdir: Path) -> None:
    write_policy(workdir, policy("512Mi"), "g.yaml")
    for args in (["-qp", "g.yaml"], ["-qpg.yaml"], ["-vqpg.yaml"]):
        result = run(args + ["--", "echo", "ran"], cwd=workdir)
        assert (result.returncode, result.stdout) == (0, "ran\n"), args
    assert run(["-qp", "g.yaml", "--", "echo"], cwd=workdir).stderr == ""


@pytest.mark.parametrize("args, option", [
    (["-p", "a.yaml", "--policy=b.yaml"], "--policy"),
    (["-q", "--quiet"], "--quiet"),
    (["-qq"], "--quiet"),
    (["-o", "text", "-otext"], "--output"),
    (["-q"] * 100_000, "--quiet"),
    (["-" + "q" * 100_000], "--quiet"),
    (["--as", "1Gi"] * 50_000, "--as"),
], ids=["policy", "quiet", "quiet-bundled", "output", "100000-words", "100000-letters",
        "as-50000-times"])
def test_an_option_given_twice_is_a_bad_command_line(run: Runner, workdir: Path, args,
                                                    option) -> None:
    # Refusing the second occurrence also bounds the work: rlimit-init reads each word once.
    workload, marker = marker_workload(workdir)
    result = run(args + workload)
    assert (result.returncode, result.stdout) == (64, "")
    golden.check(f"cli/option-given-twice-{option.lstrip('-')}.txt", result.stderr)
    assert not marker.exists()


# Each answered as golden/cli/json-NAME.json says.
BAD_UNDER_JSON = {
    "unknown-option": ["--frobnicate", "-o", "json", "--", "true"], "no-workload": ["-o", "json"],
    "check-extra": ["check", "extra", "--output=json"], "bundled": ["-qojson", "-x", "true"],
    "output-twice": ["-o", "json", "-o", "text", "check"], "missing-value": ["-ojson", "--policy"]}


@pytest.mark.parametrize("name", BAD_UNDER_JSON)
def test_bad_command_line_under_json_answers_in_json(run: Runner, name: str) -> None:
    result = run(BAD_UNDER_JSON[name])
    assert (result.returncode, result.stdout) == (64, "")
    assert result.stderr.endswith("\n") and result.stderr.count("\n") == 1
    document = parse_json(result.stderr)
    assert (document["outcome"], document["exit_code"]) == ("error", 64)
    golden.check_json(f"cli/json-{name}.json", document)


# Each answered as golden/cli/text-NAME.txt says.
BAD_OUTPUT = {"bad-format": ["-o", "yaml", "--", "true"], "no-format": ["check", "-o"],
              "dashes-as-format": ["-o", "--", "true"],
              "workloads-own-o": ["--frobnicate", "--", "-o", "json"]}


@pytest.mark.parametrize("name", BAD_OUTPUT)
def test_when_output_itself_is_bad_the_answer_is_text(run: Runner, name: str) -> None:
    result = run(BAD_OUTPUT[name])
    assert (result.returncode, result.stdout) == (64, "")
    golden.check(f"cli/text-{name}.txt", result.stderr)


@pytest.mark.parametrize("args", [["version"], ["--version"]])
def test_version_prints_the_version_and_the_commit_built_from(run: Runner, args) -> None:
    result = run(args)
    assert (result.returncode, result.stderr) == (0, "")
    golden.check("image/version.txt", result.stdout,
                 {source_commit(): "{revision}", project_version(): "{project version}"})


@pytest.mark.parametrize("args", [["version", "-o", "json"], ["-o", "json", "--version"]])
def test_version_answers_in_json_when_asked(run: Runner, args) -> None:
    result = run(args)
    assert (result.returncode, result.stderr) == (0, "")
    assert parse_json(result.stdout) == {"version": project_version(),
                                         "commit": source_commit()}


def test_help_stays_text_under_json(run: Runner) -> None:
    # Documented in docs/json.md: help is for a person; its text is the same with -o json.
    assert run(["help", "-o", "json"]).stdout == run(["help"]).stdout


@pytest.mark.parametrize("given, expected", [(None, "unknown"), ("0123abc", "0123abc")])
def test_commit_outside_a_git_checkout_is_unknown_unless_given(tmp_path: Path, given,
                                                               expected) -> None:
    # A source tree without .git, as in a release tarball: configure it (no build needed) and
    # read the generated version.cc.
    shutil.copy2(REPO / "CMakeLists.txt", tmp_path / "CMakeLists.txt")
    shutil.copytree(REPO / "src", tmp_path / "src")
    command = ["cmake", "-S", str(tmp_path), "-B", str(tmp_path / "build"),
               "-DRLIMIT_INIT_TESTS=OFF"]
    if given:
        command.append(f"-DRLIMIT_INIT_COMMIT={given}")
    done = subprocess.run(command, capture_output=True, text=True, timeout=300,
                          env=clean_env({"GIT_CEILING_DIRECTORIES": str(tmp_path.parent)}))
    assert done.returncode == 0, done.stderr
    generated = (tmp_path / "build" / "version.cc").read_text()
    assert f'const char kCommit[] = "{expected}";' in generated.splitlines()
    assert f'const char kVersion[] = "{project_version()}";' in generated.splitlines()


def readme_usage() -> list[str]:
    """The fenced block right under the README's "## Usage" heading."""
    text = (REPO / "README.md").read_text()
    section = text.split("\n## Usage\n", 1)[1]
    return section.split("```\n", 2)[1].splitlines()


def test_readme_usage_block_is_the_help_text(run: Runner) -> None:
    help_text = run(["--help"]).stdout
    usage = help_text.split("\n\n", 1)[0].splitlines()
    options = help_text.split("\noptions:\n", 1)[1].split("\n\n", 1)[0].splitlines()
    # --help indents the usage lines under "usage: "; the README leaves that prefix out.
    assert all(re.match(r"(usage: |       )rlimit-init ", line) for line in usage)
    assert readme_usage() == [line[7:] for line in usage] + [""] + options

# SPDX-License-Identifier: Apache-2.0
"""`rlimit-init check` answers on stdout, in the conditional: its report is its product, read by
people, CI jobs and `jq`, while a run leaves stdout to the workload. Tested with the real binary,
Python's JSON parser and Debian's jq (scripts/setup.sh --tests installs it)."""

from __future__ import annotations

import json
import shlex
import shutil
import subprocess

import pytest

import golden
from rlimit_json import parse as parse_json, validate as validate_json
from conftest import KUBERNETES, TIMEOUT, Runner, clean_env, command_line, skip_unless
from expected import GIB, MIB


def check_said(name: str, text: str) -> None:
    golden.check(f"check_output/{name}.txt", text, {golden.HOST_MEMORY: "{host memory}"})


@pytest.mark.sets_rlimit_as
def test_check_says_what_a_run_would_do_on_stdout(run: Runner) -> None:
    result = run(["check", "--as", "512Mi"], as_limit=(256 * MIB, GIB))
    assert (result.returncode, result.stderr) == (0, "")
    check_said("would-raise", result.stdout)


@pytest.mark.sets_rlimit_as
def test_check_says_it_would_leave_a_limit_that_already_covers_the_request(
        run: Runner) -> None:
    result = run(["check", "--as", "512Mi"], as_limit=(GIB, GIB))
    assert (result.returncode, result.stderr) == (0, "")
    check_said("would-leave", result.stdout)


@pytest.mark.sets_rlimit_as
def test_a_run_says_what_it_did_on_stderr(run: Runner) -> None:
    result = run(["--as", "512Mi", "--", "true"], as_limit=(256 * MIB, GIB))
    assert (result.returncode, result.stdout) == (0, "")
    check_said("raised", result.stderr)


def jq(args: list[str], as_limit: tuple[int, int], *jq_args: str,
       prefix: list[str] | None = None) -> subprocess.CompletedProcess:
    """`rlimit-init ARGS | jq JQ_ARGS` through a real shell pipe; the exit code is jq's, and
    PIPESTATUS's first entry (rlimit-init's) is printed on stderr as "rlimit-init=N"."""
    skip_unless(shutil.which("jq") is not None,
                "jq is not installed: run scripts/setup.sh --tests (Debian package jq)")
    pipeline = ('"$@" | ' + shlex.join(["jq", *jq_args]) +
                '; status=("${PIPESTATUS[@]}"); echo "rlimit-init=${status[0]}" >&2; '
                'exit "${status[1]}"')
    argv = ["bash", "-c", pipeline, "bash", *command_line(args, as_limit, prefix=prefix or ())]
    return subprocess.run(argv, capture_output=True, text=True, env=clean_env(KUBERNETES),
                          stdin=subprocess.DEVNULL, timeout=TIMEOUT, check=False)


@pytest.mark.sets_rlimit_as
def test_check_json_pipes_into_jq(built_binary) -> None:
    done = jq(["check", "-o", "json", "--as", "512Mi"], (256 * MIB, GIB),
              "-r", "-e", "[.outcome, .soft_after, .message[:11]] | @tsv")
    assert (done.returncode, done.stdout, done.stderr) == (
        0, "raised\t536870912\twould raise\n", "rlimit-init=0\n")


@pytest.mark.sets_rlimit_as
def test_check_json_refusal_pipes_into_jq(built_binary) -> None:
    done = jq(["check", "-o", "json", "--as", "2Gi"], (256 * MIB, GIB),
              "-r", "-e", "[.outcome, .blocker] | @tsv")
    assert (done.returncode, done.stdout, done.stderr) == (
        0, "refused\thard_limit\n", "rlimit-init=77\n")


# A refused nofile under an address space that is granted: exit 77 (README's jq example).
REFUSED_NOFILE = ["check", "--as", "512Mi", "--limit", "nofile=65536", "-o", "json"]
NOFILE_4096 = ["prlimit", "--nofile=1024:4096"]


@pytest.mark.sets_rlimit_as
def test_check_json_outcome_is_refused_when_only_a_limit_is(built_binary) -> None:
    done = jq(REFUSED_NOFILE, (256 * MIB, GIB), "-r", ".outcome", prefix=NOFILE_4096)
    assert (done.returncode, done.stdout, done.stderr) == (0, "refused\n", "rlimit-init=77\n")


@pytest.mark.sets_rlimit_as
def test_check_json_top_level_answers_for_the_whole_run(run: Runner) -> None:
    """The top level says what the exit code says: the refused limit's blocker, fix and
    message; the address space's own figures stay, and the limit keeps its own object."""
    result = run(REFUSED_NOFILE, as_limit=(256 * MIB, GIB), prefix=NOFILE_4096, env=KUBERNETES)
    assert (result.returncode, result.stderr) == (77, "")
    report = parse_json(result.stdout)
    [nofile] = report["limits"]
    assert (nofile["name"], nofile["outcome"], nofile["blocker"]) == (
        "nofile", "refused", "hard_limit")
    assert (report["outcome"], report["blocker"], report["fix"], report["alternatives"],
            report["message"]) == ("refused", "hard_limit", nofile["fix"],
                                   nofile["alternatives"], nofile["message"])
    golden.check("check_output/nofile-refused-message.txt", report["message"] + "\n")
    assert (report["soft_before"], report["soft_after"]) == (256 * MIB, 512 * MIB)


@pytest.mark.sets_rlimit_as
def test_check_json_is_one_object_for_a_json_parser(run: Runner, workdir) -> None:
    # Every outcome, and an error: exactly one JSON value on stdout, nothing on stderr.
    missing = str(workdir / "missing.yaml")
    for args, code in [(["--as", "512Mi"], 0), (["--as", "2Gi"], 77), (["-p", missing], 78)]:
        result = run(["check", "-o", "json", *args], as_limit=(256 * MIB, GIB), env=KUBERNETES)
        assert (result.returncode, result.stderr) == (code, ""), args
        decoded, end = json.JSONDecoder().raw_decode(result.stdout)
        assert result.stdout[end:] == "\n"
        validate_json(decoded)
        assert decoded["outcome"] == {0: "raised", 77: "refused", 78: "error"}[code]


def test_check_leaves_a_bad_command_line_on_stderr(run: Runner) -> None:
    result = run(["check", "-o", "json", "--as", "lots"])
    assert (result.returncode, result.stdout) == (64, "")
    assert parse_json(result.stderr)["exit_code"] == 64


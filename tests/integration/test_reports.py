# SPDX-License-Identifier: Apache-2.0
"""What rlimit-init says and where: -q and -v, everything flushed before exec, the JSON object
read with a real JSON parser, and the termination message file Kubernetes shows."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

import golden
from conftest import KUBERNETES, NOBODY, Runner, TerminationLog, policy, write_policy
from expected import GIB, MIB, UNLIMITED, HostMemory, may_raise_hard
from rlimit_json import parse as parse_json

JSON_KEYS = ["outcome", "request_bytes", "minimum_bytes", "soft_before", "soft_after",
             "hard_before", "hard_after", "memory_limit_bytes", "memory_limit_source",
             "memory_limit_unknown", "memory_ceiling_bytes", "memory_ceiling_source", "cgroup_version", "layer",
             "blocker", "fix", "alternatives", "warnings", "limits", "message"]


def said(name: str, text: str, host: HostMemory, grant: int | str | None = None) -> None:
    """Compares what the binary said with golden/reports/NAME.txt, this host's memory and
    cgroup checked against expected.py's reading and written as placeholders."""
    observed = f"cgroup {host.cgroup_version} {host.cgroup_path} at {host.directory}; "
    golden.check(f"reports/{name}.txt", text, {
        observed: "cgroup {host cgroup}; ",
        f"may raise hard: {'yes' if may_raise_hard() else 'no'}\n": "may raise hard: {may}\n",
        **golden.host_memory(host, grant)})


# --- -q, -v and flushing -----------------------------------------------------------------------

@pytest.mark.sets_rlimit_as
def test_quiet_prints_nothing_on_success(run: Runner) -> None:
    result = run(["-q", "--as", "512Mi", "--", "sh", "-c", "ulimit -Sv"],
                 as_limit=(256 * MIB, GIB))
    assert (result.returncode, result.stdout, result.stderr) == (0, "524288\n", "")


@pytest.mark.sets_rlimit_as
def test_quiet_still_prints_a_refusal(run: Runner) -> None:
    result = run(["-q", "--as", "2Gi", "check"], as_limit=(256 * MIB, GIB), env=KUBERNETES)
    assert result.returncode == 77
    golden.check("reports/quiet-refusal.txt", result.stdout)


@pytest.mark.sets_rlimit_as
def test_verbose_adds_what_was_observed(run: Runner, host: HostMemory) -> None:
    result = run(["-v", "--as", "512Mi", "--", "true"], as_limit=(256 * MIB, GIB),
                 env=KUBERNETES)
    assert result.returncode == 0
    said("verbose-adds-what-was-observed", result.stderr, host, 512 * MIB)


@pytest.mark.sets_rlimit_as
def test_report_is_flushed_before_the_workload_writes(run: Runner, host: HostMemory) -> None:
    # One pipe for rlimit-init's stderr and the workload's stdout and stderr: anything still
    # buffered in rlimit-init at exec would be lost or come after the workload's lines.
    result = run(["--as", "512Mi", "--", "sh", "-c", "echo out; echo err >&2"],
                 as_limit=(256 * MIB, GIB), stderr=subprocess.STDOUT)
    assert result.returncode == 0
    said("report-before-the-workloads-lines", result.stdout, host, 512 * MIB)


def test_stdout_is_left_to_the_workload(run: Runner) -> None:
    result = run(["--", "echo", "only the workload writes here"])
    assert (result.returncode, result.stdout) == (0, "only the workload writes here\n")


# --- JSON --------------------------------------------------------------------------------------

def memory_fields(host: HostMemory) -> dict:
    return {"memory_limit_bytes": host.limit, "memory_limit_source": host.limit_source,
            "memory_limit_unknown": host.unknown, "memory_ceiling_bytes": host.ceiling,
            "memory_ceiling_source": host.ceiling_source, "cgroup_version": host.cgroup_version}


def only_json_object(stderr: str) -> dict:
    """stderr must be exactly one JSON object on one line."""
    lines = stderr.splitlines()
    assert len(lines) == 1 and stderr.endswith("\n"), stderr
    decoded = parse_json(lines[0])
    assert list(decoded) == JSON_KEYS or list(decoded) == ["outcome", "exit_code", "message"]
    return decoded


def check_document(name: str, document: dict, host: HostMemory) -> None:
    """The whole document against golden/reports/NAME.json: this host's memory fields are
    compared with what expected.py read, then written as {field}; the message's tail as in
    said()."""
    fields = memory_fields(host)
    assert {key: document[key] for key in fields} == fields
    document = {key: f"{{{key}}}" if key in fields else value for key, value in document.items()}
    document["message"] = golden.masked(document["message"], golden.host_memory(host))
    golden.check_json(f"reports/{name}.json", document)


@pytest.mark.sets_rlimit_as
def test_json_for_raised(run: Runner, host: HostMemory) -> None:
    result = run(["-o", "json", "--as", "512Mi", "--", "true"], as_limit=(256 * MIB, GIB),
                 env=KUBERNETES)
    assert result.returncode == 0
    check_document("json-raised", only_json_object(result.stderr), host)


@pytest.mark.sets_rlimit_as
def test_json_for_unchanged_says_unlimited_as_a_string(run: Runner, host: HostMemory) -> None:
    result = run(["--output=json", "--as", "512Mi", "check"], as_limit=(GIB, UNLIMITED),
                 env=KUBERNETES)
    assert result.returncode == 0
    check_document("json-unchanged-under-unlimited", only_json_object(result.stdout), host)


@pytest.mark.sets_rlimit_as
def test_json_for_partial_from_the_policy_format(run: Runner, workdir: Path,
                                                 host: HostMemory) -> None:
    path = write_policy(workdir, policy("2Gi", minimum="512Mi", report_format="json"))
    result = run(["-p", str(path), "check"], as_limit=(256 * MIB, GIB), env=KUBERNETES)
    assert result.returncode == 0
    check_document("json-partial", only_json_object(result.stdout), host)


@pytest.mark.sets_rlimit_as
def test_json_for_refused(run: Runner, host: HostMemory) -> None:
    result = run(["-o", "json", "--as", "2Gi", "--", "true"], as_limit=(256 * MIB, GIB),
                 env=KUBERNETES)
    assert result.returncode == 77
    document = only_json_object(result.stderr)
    # The fix and its alternatives, one a line: the same lines the text report prints after
    # "fix:" and "or:".
    advice = [document.pop("fix")] + document.pop("alternatives")
    golden.check("reports/as-refused-kubernetes-advice.txt", "".join(f"{a}\n" for a in advice))
    check_document("json-refused", document, host)


# check answers on stdout, a bad command line is said on stderr whatever the subcommand.
@pytest.mark.parametrize("args, code, stream", [
    (["-p", "/nonexistent/policy.yaml", "check"], 78, "stdout"),
    (["--as", "lots", "check"], 64, "stderr"),
], ids=["missing-policy", "bad-as"])
def test_json_error_object(run: Runner, args, code, stream,
                           request: pytest.FixtureRequest) -> None:
    result = run(["-o", "json"] + args)
    other = "stderr" if stream == "stdout" else "stdout"
    assert (result.returncode, getattr(result, other)) == (code, "")
    document = only_json_object(getattr(result, stream))
    assert (document["outcome"], document["exit_code"]) == ("error", code)
    golden.check_json(f"reports/json-error-{request.node.callspec.id}.json", document)


@pytest.mark.sets_rlimit_as
def test_json_decision_then_error_when_the_workload_is_not_found(run: Runner) -> None:
    result = run(["-o", "json", "--as", "512Mi", "--", "no-such-workload-xyz"],
                 as_limit=(256 * MIB, GIB))
    decision, error = (parse_json(line) for line in result.stderr.splitlines())
    assert (result.returncode, decision["outcome"], decision["soft_after"]) == (
        127, "raised", 512 * MIB)
    golden.check_json("reports/json-error-workload-not-found.json", error)


# --- the termination message file --------------------------------------------------------------

@pytest.fixture
def message_file(workdir: Path) -> Path:
    path = workdir / "termination-log"
    path.write_text("")
    path.chmod(0o666)
    return path


@pytest.mark.sets_rlimit_as
def test_refusal_is_written_to_the_termination_message_file(run: Runner, workdir: Path,
                                                            message_file: Path) -> None:
    path = write_policy(workdir, policy("2Gi", report_path=str(message_file)))
    result = run(["-p", str(path), "--", "true"], as_limit=(256 * MIB, GIB), env=KUBERNETES)
    assert (result.returncode, result.stdout) == (77, "")
    golden.check("reports/as-refused-2gi-kubernetes.txt", result.stderr, {str(path): "{policy}"})
    assert message_file.read_text() == result.stderr


@pytest.mark.sets_rlimit_as
def test_termination_message_is_text_when_stderr_is_json(run: Runner, workdir: Path,
                                                         message_file: Path) -> None:
    path = write_policy(workdir, policy("2Gi", report_path=str(message_file)))
    text = run(["-p", str(path), "check"], as_limit=(256 * MIB, GIB), env=KUBERNETES)
    message_file.write_text("")
    result = run(["-p", str(path), "-o", "json", "check"], as_limit=(256 * MIB, GIB),
                 env=KUBERNETES)
    assert (result.returncode, only_json_object(result.stdout)["outcome"]) == (77, "refused")
    assert message_file.read_text() == text.stdout


@pytest.mark.sets_rlimit_as
def test_success_leaves_the_termination_message_file_alone(run: Runner, workdir: Path,
                                                          message_file: Path) -> None:
    path = write_policy(workdir, policy("512Mi", report_path=str(message_file)))
    result = run(["-q", "-p", str(path), "--", "true"], as_limit=(256 * MIB, GIB))
    assert (result.returncode, message_file.read_text()) == (0, "")


def test_policy_error_is_written_to_the_termination_message_file(
        run: Runner, workdir: Path, message_file: Path) -> None:
    path = write_policy(workdir, policy("512Mi", report_path=str(message_file)) +
                        "user: no-such-user-here\n")
    result = run(["-p", str(path), "--", "true"])
    assert (result.returncode, message_file.read_text()) == (78, result.stderr)
    golden.check("reports/policy-error-to-the-message-file.txt", result.stderr,
                 {str(path): "{policy}"})


def test_workload_not_found_is_written_to_the_termination_message_file(
        run: Runner, workdir: Path, message_file: Path) -> None:
    path = write_policy(workdir, policy("512Mi", report_path=str(message_file)))
    result = run(["-q", "-p", str(path), "--", "/no/such/job"])
    assert (result.returncode, message_file.read_text()) == (127, result.stderr)
    golden.check("reports/workload-not-found-to-the-message-file.txt", result.stderr)


def test_unparseable_policy_is_written_to_dev_termination_log(
        run: Runner, workdir: Path, termination_log: TerminationLog) -> None:
    # The policy that would name another path could not be read, so the default is used.
    path = write_policy(workdir, "apiVersion: rlimit-init/v1\naddressSpace: [\n")
    result = run(["-p", str(path), "--", "true"], prefix=termination_log.prefix)
    assert (result.returncode, result.stdout) == (78, "")
    golden.check("reports/unparseable-policy.txt", result.stderr, {str(path): "{policy}"})
    assert termination_log.path.read_text() == result.stderr


def test_termination_message_is_cut_at_4096_bytes(run: Runner,
                                                 termination_log: TerminationLog) -> None:
    long_path = "/" + "p" * 5000
    result = run(["-p", long_path, "--", "true"], prefix=termination_log.prefix)
    assert result.returncode == 78
    golden.check("reports/policy-path-too-long.txt", result.stderr,
                 {long_path: "{/ and 5,000 p}"})
    assert len(result.stderr) > 4096
    assert termination_log.path.read_text() == result.stderr[:4096]


@pytest.mark.sets_rlimit_as
def test_empty_termination_message_path_disables_it(run: Runner, workdir: Path,
                                                    termination_log: TerminationLog) -> None:
    path = write_policy(workdir, policy("2Gi", report_path='""'))
    result = run(["-p", str(path), "check"], as_limit=(256 * MIB, GIB), env=KUBERNETES,
                 prefix=termination_log.prefix)
    golden.check("reports/as-refused-2gi-kubernetes.txt", result.stdout, {str(path): "{policy}"})
    assert (result.returncode, result.stderr, termination_log.path.read_text()) == (77, "", "")


@pytest.mark.sets_rlimit_as
def test_missing_termination_message_file_is_not_created(run: Runner, workdir: Path) -> None:
    absent = workdir / "termination-log"
    path = write_policy(workdir, policy("2Gi", report_path=str(absent)))
    result = run(["-p", str(path), "check"], as_limit=(256 * MIB, GIB))
    assert result.returncode == 77
    assert not absent.exists()


@pytest.mark.sets_rlimit_as
@pytest.mark.parametrize("target", ["directory", "/dev/full"])
def test_unwritable_termination_message_path_keeps_the_exit_code(
        run: Runner, workdir: Path, target: str) -> None:
    # The reference is the same policy with the message file turned off: a path that cannot
    # be written must leave the report and the exit code exactly as no path at all does.
    where = str(workdir) if target == "directory" else target
    path = write_policy(workdir, policy("2Gi", report_path=where))
    without = write_policy(workdir, policy("2Gi", report_path='""'), "without.yaml")
    result = run(["-p", str(path), "check"], as_limit=(256 * MIB, GIB), env=KUBERNETES)
    reference = run(["-p", str(without), "check"], as_limit=(256 * MIB, GIB), env=KUBERNETES)
    assert (result.returncode, result.stdout, result.stderr) == (77, reference.stdout.replace(
        str(without), str(path)), "")
    golden.check("reports/as-refused-2gi-kubernetes.txt", result.stdout, {str(path): "{policy}"})


@pytest.mark.sets_rlimit_as
def test_termination_message_file_without_write_permission_keeps_the_exit_code(
        run: Runner, workdir: Path, nobody_binary: Path) -> None:
    readonly = workdir / "termination-log"
    readonly.write_text("")
    readonly.chmod(0o644)  # root's; uid 65534 may not write it
    path = write_policy(workdir, policy("2Gi", report_path=str(readonly)))
    result = run(["-p", str(path), "check"], as_limit=(256 * MIB, GIB), env=KUBERNETES,
                 user=NOBODY, binary=nobody_binary)
    assert (result.returncode, result.stderr) == (77, "")
    golden.check("reports/as-refused-2gi-kubernetes.txt", result.stdout, {str(path): "{policy}"})
    assert readonly.read_text() == ""




def test_bad_as_error_goes_to_the_policys_termination_message_file(
        run: Runner, workdir: Path, message_file: Path) -> None:
    path = write_policy(workdir, policy("512Mi", report_path=str(message_file)))
    result = run(["-p", str(path), "--as", "lots", "--", "true"])
    assert (result.returncode, message_file.read_text()) == (64, result.stderr)
    golden.check("reports/bad-as-to-the-message-file.txt", result.stderr)


def test_bad_as_error_is_json_when_the_policy_says_json(run: Runner, workdir: Path) -> None:
    path = write_policy(workdir, policy("512Mi", report_format="json"))
    result = run(["-p", str(path), "--as", "lots", "--", "true"])
    assert result.returncode == 64
    golden.check_json("reports/json-error-bad-as.json", only_json_object(result.stderr))

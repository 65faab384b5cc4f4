# SPDX-License-Identifier: Apache-2.0
"""The runtimes that reserve address space (docs/runtimes.md), run for real from Debian's
packages under real limits: rlimit-init names each one before exec, its warning fires at a grant
where the runtime then fails with the error the warning predicts, and following the warning (its
env:, or the grant it names) makes the job run. The warnings' exact text is in golden files,
tests/fixtures/golden/runtimes/ (scripts/update-goldens.sh rewrites them from the binary)."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
from pathlib import Path

import pytest

import golden
from conftest import Runner, skip_unless, write_policy
from measure_values import recommended_request
from rlimit_json import parse as parse_json

pytestmark = pytest.mark.sets_rlimit_as

MIB = 1024**2
START_AS = (128 * MIB, "unlimited")  # below every grant here: rlimit-init raises it
WASM = ("const m = []; for (let i = 0; i < {n}; i++) "
        "m.push(new WebAssembly.Memory({{initial: 1}})); console.log('ok ' + m.length)")


def said_as_golden(name: str, text: str, program: str | None = None) -> None:
    """Compares TEXT with golden/runtimes/NAME.txt, PROGRAM (a temporary path) written
    "PROGRAM"."""
    golden.check(f"runtimes/{name}.txt", text, {program: "PROGRAM"} if program else None)


def warning(run: Runner, grant: str, *command: str) -> str:
    """What `check -q --as GRANT -- COMMAND` says: only warnings, on stdout."""
    result = run(["check", "-q", "--as", grant, "--", *command], as_limit=START_AS)
    assert (result.returncode, result.stderr) == (0, "")
    return result.stdout


def advised_env(text: str) -> str:
    return re.search(r"env: (\{.*?\}) in the policy", text).group(1)


def policy_file(workdir: Path, grant: str, env: str | None = None) -> Path:
    text = f"apiVersion: rlimit-init/v1\naddressSpace:\n  request: {grant}\n"
    return write_policy(workdir, text + (f"env: {env}\n" if env else ""))


def runs(run: Runner, args: list[str], workdir: Path) -> subprocess.CompletedProcess:
    # The JVM drops hs_err_pid*.log files into its working directory when it fails.
    return run(args, as_limit=START_AS, cwd=workdir)


def require(tool: str, package: str) -> str:
    path = shutil.which(tool)
    skip_unless(path is not None, f"{tool} is not installed (Debian's {package}; "
                                  "scripts/setup.sh --tests installs it)")
    return path


@pytest.fixture(scope="module")
def programs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A Go hello world and gcc -fsanitize=address ones (libasan, and -static-libasan stripped),
    built once."""
    directory = tmp_path_factory.mktemp("runtimes")
    directory.chmod(0o755)
    if shutil.which("go"):
        (directory / "hello.go").write_text(
            'package main\nimport "fmt"\nfunc main() { fmt.Println("ok") }\n')
        subprocess.run(["go", "build", "-o", "gohello", "hello.go"], cwd=directory, check=True,
                       env={**os.environ, "GOCACHE": str(directory / "cache"),
                            "GO111MODULE": "off", "GOPATH": str(directory / "gopath")})
    if shutil.which("gcc"):
        (directory / "hello.c").write_text(
            '#include <stdio.h>\nint main(void) { puts("ok"); return 0; }\n')
        subprocess.run(["gcc", "-fsanitize=address", "-o", "asanhello", "hello.c"],
                       cwd=directory, check=True)
        # gcc's static runtime, stripped: no __asan_init left anywhere (docs/runtimes.md).
        subprocess.run(["gcc", "-fsanitize=address", "-static-libasan", "-s", "-o",
                        "asanstatic", "hello.c"], cwd=directory, check=True)
    return directory


def test_check_reads_the_workload_and_never_runs_it(run: Runner, workdir: Path) -> None:
    marker = workdir / "ran"
    result = run(["check", "-q", "--as", "512Mi", "--", "touch", str(marker)],
                 as_limit=START_AS)
    assert (result.returncode, result.stdout, result.stderr, marker.exists()) == (
        0, "", "", False)


def test_a_jvm_without_xmx_is_warned_fails_and_runs_with_the_advised_env(
        run: Runner, workdir: Path) -> None:
    require("java", "openjdk-17-jre-headless")
    said = warning(run, "512Mi", "java", "-version")
    said_as_golden("java-512Mi", said)
    failed = runs(run, ["-q", "--as", "512Mi", "--", "java", "-version"], workdir)
    assert failed.returncode == 1
    assert failed.stderr.startswith(said)  # the warning came first, then the JVM's own words
    # HotSpot writes its own errors to stdout.
    assert "Could not reserve enough space for 262144KB object heap" in failed.stdout
    env = advised_env(said)
    fixed = runs(run, ["-q", "-p", str(policy_file(workdir, "512Mi", env)), "--", "java",
                       "-version"], workdir)
    assert fixed.returncode == 0, fixed.stderr
    # No warning: the estimate with the env: fits the grant.
    assert not fixed.stderr.startswith("rlimit-init"), fixed.stderr
    assert "Picked up JAVA_TOOL_OPTIONS" in fixed.stderr


def test_a_jvm_with_xmx_gets_the_grant_that_holds_it(run: Runner, workdir: Path) -> None:
    require("java", "openjdk-17-jre-headless")
    said = warning(run, "512Mi", "java", "-Xmx256m", "-version")
    said_as_golden("java-xmx256m-512Mi", said)
    grant = re.search(r"grant at least (\d+) MiB with env", said).group(1) + "Mi"
    env = advised_env(said)
    assert runs(run, ["-q", "--as", "512Mi", "--", "java", "-Xmx256m", "-version"],
                workdir).returncode == 1
    fixed = runs(run, ["-q", "-p", str(policy_file(workdir, grant, env)), "--", "java",
                       "-Xmx256m", "-version"], workdir)
    assert (fixed.returncode, fixed.stderr.startswith("rlimit-init")) == (0, False), fixed.stderr


def node_has_the_switch(node: str) -> bool:
    version = subprocess.run([node, "--version"], capture_output=True, text=True).stdout
    major, minor = (int(part) for part in version.lstrip("v").split(".")[:2])
    return (major, minor) >= (20, 15)  # added in 22.2.0 and 20.15.0


def test_node_with_webassembly_is_warned_and_follows_the_advice(run: Runner,
                                                                workdir: Path) -> None:
    node = require("node", "nodejs")
    script = WASM.format(n=1)
    said = warning(run, "4Gi", "node", "-e", script)
    said_as_golden("node-4Gi", said)
    failed = runs(run, ["-q", "--as", "4Gi", "--", "node", "-e", script], workdir)
    assert failed.returncode == 1
    assert failed.stderr.startswith(said)
    assert "RangeError: WebAssembly.Memory(): could not allocate memory" in failed.stderr
    env = advised_env(said)
    switched = runs(run, ["-q", "-p", str(policy_file(workdir, "4Gi", env)), "--", "node",
                          "-e", script], workdir)
    if node_has_the_switch(node):
        assert (switched.returncode, switched.stdout, switched.stderr) == (0, "ok 1\n", "")
    else:
        # Debian bookworm's Node.js 18: the warning says older versions have no such switch.
        assert switched.returncode == 9
        assert "--disable-wasm-trap-handler is not allowed in NODE_OPTIONS" in switched.stderr
    grant = re.search(r"or grant at least ([\d.]+) GiB for one", said).group(1)
    granted = runs(run, ["-q", "--as", f"{float(grant) * 1024:.0f}Mi", "--", "node", "-e",
                         script], workdir)
    assert (granted.returncode, granted.stdout, granted.stderr) == (0, "ok 1\n", "")


def test_npm_is_node_by_its_shebang(run: Runner) -> None:
    require("npm", "npm")
    said = warning(run, "512Mi", "npm", "--version")
    said_as_golden("npm-512Mi", said)


def test_a_go_program_is_named_by_its_build_info(run: Runner, workdir: Path,
                                                 programs: Path) -> None:
    require("go", "golang-go")
    hello = str(programs / "gohello")
    said = warning(run, "512Mi", hello)
    said_as_golden("go-512Mi", said, hello)
    failed = runs(run, ["-q", "--as", "512Mi", "--", hello], workdir)
    assert failed.returncode == 2
    assert "fatal error: failed to reserve page summary memory" in failed.stderr
    grant = re.search(r"grant at least (\d+) MiB", said).group(1) + "Mi"
    granted = runs(run, ["-q", "--as", grant, "--", hello], workdir)
    assert (granted.returncode, granted.stdout, granted.stderr) == (0, "ok\n", "")


# A dynamic ASan build (libasan in DT_NEEDED), and a stripped -static-libasan one (recognised by
# its .preinit_array and __sanitizer_symbolize_code in .dynstr).
@pytest.mark.parametrize("program, name", [("asanhello", "asan-1Ti"),
                                           ("asanstatic", "asan-static-stripped-1Ti")])
def test_a_sanitizer_build_is_told_to_request_unlimited(run: Runner, workdir: Path,
                                                        programs: Path, program: str,
                                                        name: str) -> None:
    require("gcc", "gcc")
    hello = str(programs / program)
    said = warning(run, "1Ti", hello)
    said_as_golden(name, said, hello)
    failed = runs(run, ["-q", "--as", "1Ti", "--", hello], workdir)
    assert failed.returncode == -signal.SIGABRT
    assert "ReserveShadowMemoryRange failed" in failed.stderr
    path = write_policy(workdir, "apiVersion: rlimit-init/v1\naddressSpace: {request: unlimited}\n")
    granted = runs(run, ["-q", "-p", str(path), "--", hello], workdir)
    assert (granted.returncode, granted.stdout, granted.stderr) == (0, "ok\n", "")


def test_the_json_report_carries_the_same_warning(run: Runner) -> None:
    require("java", "openjdk-17-jre-headless")
    result = run(["check", "-o", "json", "--as", "512Mi", "--", "java", "-version"],
                 as_limit=START_AS)
    assert result.returncode == 0, result.stderr
    # The words of java-512Mi.txt, as a JSON string.
    golden.check_json("runtimes/java-512Mi-warnings.json", json.loads(result.stdout)["warnings"])


@pytest.mark.parametrize("grant, opened", [("unlimited", False), ("512Mi", True)])
def test_the_workload_is_read_only_under_a_finite_grant(run: Runner, workdir: Path,
                                                         grant: str, opened: bool) -> None:
    require("strace", "strace")
    trace = workdir / "trace"
    result = run(["check", "-q", "--as", grant, "--", "/bin/true"],
                 as_limit=START_AS, prefix=["strace", "-e", "trace=openat", "-o", str(trace)])
    assert (result.returncode, result.stdout) == (0, "")
    assert ('"/bin/true"' in trace.read_text()) == opened


def test_rlimit_data_bounds_them_where_rlimit_as_breaks_them(workdir: Path,
                                                             programs: Path) -> None:
    # RLIMIT_DATA counts private writable mappings (Linux 4.7 and later), not reservations:
    # at 512 MiB, where every runtime here fails under RLIMIT_AS, the JVM, node with a
    # WebAssembly memory and Go run; AddressSanitizer's shadow is private and writable, so it
    # fails under both (docs/runtimes.md has the least grants).
    require("java", "openjdk-17-jre-headless")
    require("node", "nodejs")
    require("go", "golang-go")
    cases = [(["java", "-Xmx256m", "-version"], "openjdk version"),
             (["node", "-e", WASM.format(n=1)], "ok 1"),
             ([str(programs / "gohello")], "ok"),
             ([str(programs / "asanhello")], None)]
    for command, said in cases:
        outcomes = []
        for resource in ("as", "data"):
            result = subprocess.run(["prlimit", f"--{resource}={512 * MIB}:unlimited", *command],
                                    capture_output=True, text=True, cwd=workdir, timeout=60)
            outcomes.append(result.returncode == 0 and said in result.stdout + result.stderr)
        assert outcomes == [False, said is not None], command


# measure names the runtime from the maps of the process that set the largest VmPeak
# (docs/measure.md); its words are in golden/runtimes/measure-*.txt.
PID = re.compile(r"(?<=\bpid )\d+\b")


def one_pid(pid: int | None = None) -> dict[re.Pattern[str], golden.Replacement]:
    """A placeholder {pid} for the process measure names, checked to be `pid` (the JSON
    report's) or, without it, the same process wherever the text names one."""
    seen: set[str] = set() if pid is None else {str(pid)}

    def same(match: re.Match[str]) -> str:
        seen.add(match.group(0))
        assert len(seen) == 1, f"measure names more than one process: {sorted(seen)}"
        return "{pid}"
    return {PID: same}


def report_lines(text: str, start: str, end: str | None = None) -> str:
    """The lines of TEXT from the first that starts with START to the one before END."""
    lines = text.splitlines(keepends=True)
    first = next(i for i, line in enumerate(lines) if line.startswith(start))
    last = next((i for i in range(first + 1, len(lines)) if end and lines[i].startswith(end)),
                first + 1 if end is None else len(lines))
    return "".join(lines[first:last])


def measured(run: Runner, workdir: Path, command: list[str],
             env: dict[str, str] | None = None) -> tuple[dict, str]:
    """measure's JSON report and the text report of the same command, each checked to exit 0."""
    as_json = run(["measure", "-q", "-o", "json", "--", *command], env=env, cwd=workdir)
    assert as_json.returncode == 0, as_json.stderr
    as_text = run(["measure", "-q", "--", *command], env=env, cwd=workdir)
    assert as_text.returncode == 0, as_text.stderr
    # The job's own output comes first on stderr; the report is the last line, schema-checked.
    return parse_json(as_json.stderr.splitlines()[-1]), as_text.stderr


def test_measure_of_an_asan_build_recommends_unlimited_which_check_and_a_run_accept(
        run: Runner, workdir: Path, programs: Path) -> None:
    hello = str(programs / "asanhello")
    # LeakSanitizer, on by default, runs under measure (under ptrace it refused, and exited 1).
    report, text = measured(run, workdir, [hello], {"ASAN_OPTIONS": None})
    pid = report["vm_peak"]["pid"]
    assert report["runtime"] == {
        "name": "AddressSanitizer", "evidence": "libasan.so.8.0.0", "pid": pid,
        "process": "asanhello", "sanitizer": True, "jvm": False, "max_heap_pinned": None,
        "message": None}
    assert report["vm_peak"]["value"] > 20 * 1024**4  # the shadow: no finite grant fits
    assert report["recommended"]["addressSpace"]["request"] == "unlimited"
    golden.check("runtimes/measure-asan-request.txt",
                 report_lines(report["recommended_policy"], "  request: "), one_pid(pid))
    golden.check("runtimes/measure-asan-runtime.txt", report_lines(text, "  runtime: "),
                 one_pid())
    policy = workdir / "recommended.yaml"
    policy.write_text(report["recommended_policy"])
    checked = run(["check", "-q", "-p", str(policy), "--", hello])
    assert (checked.returncode, checked.stdout, checked.stderr) == (0, "", "")
    ran = runs(run, ["-q", "-p", str(policy), "--", hello], workdir)
    assert (ran.returncode, ran.stdout, ran.stderr) == (0, "ok\n", "")


def test_measure_of_a_jvm_without_xmx_says_pin_it_and_keeps_the_measured_request(
        run: Runner, workdir: Path) -> None:
    require("java", "openjdk-17-jre-headless")
    report, text = measured(run, workdir, ["java", "-version"])
    runtime = report["runtime"]
    assert (runtime["name"], runtime["evidence"], runtime["jvm"], runtime["max_heap_pinned"],
            runtime["process"]) == ("a JVM", "libjvm.so", True, False, "java")
    golden.check("runtimes/measure-jvm-without-xmx.txt", runtime["message"],
                 one_pid(runtime["pid"]))
    # The request is still the measured peak + 25%: the words say what it is worth.
    assert report["recommended"]["addressSpace"]["request"] == \
        f"{recommended_request(report['vm_peak']['value']) // MIB}Mi"
    # The text report says it just before the policy, for the process its runtime line names.
    golden.check("runtimes/measure-jvm-runtime.txt", report_lines(text, "  runtime: "), one_pid())
    lines = text.splitlines(keepends=True)
    policy_at = lines.index("rlimit-init: recommended policy:\n")
    said = "".join(lines[policy_at - 2:policy_at])
    golden.check("runtimes/measure-jvm-without-xmx.txt", said, one_pid())
    assert PID.findall(said) == PID.findall(report_lines(text, "  runtime: "))


@pytest.mark.parametrize("command, env", [
    (["java", "-Xmx256m", "-version"], None),
    (["java", "-version"], {"JAVA_TOOL_OPTIONS": "-Xmx256m"})])
def test_measure_of_a_jvm_with_xmx_does_not_say_pin_it(run: Runner, workdir: Path,
                                                      command: list[str],
                                                      env: dict[str, str] | None) -> None:
    require("java", "openjdk-17-jre-headless")
    report, text = measured(run, workdir, command, env)
    runtime = report["runtime"]
    assert (runtime["name"], runtime["max_heap_pinned"], runtime["message"]) == (
        "a JVM", True, None)
    golden.check("runtimes/measure-jvm-runtime.txt", report_lines(text, "  runtime: "), one_pid())
    # Nothing between the processes and the policy: the words of measure-jvm-without-xmx.txt
    # are not said.
    lines = text.splitlines(keepends=True)
    assert lines[lines.index("rlimit-init: recommended policy:\n") - 1].startswith("    pid "), text

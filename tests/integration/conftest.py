# SPDX-License-Identifier: Apache-2.0
"""Shared fixtures for the black-box tests of the real rlimit-init binary.

The binary is $RLIMIT_INIT_BIN (CTest sets it), else build/rlimit-init. Every run gets a clean
environment, so that a variable of the machine running the tests (KUBERNETES_SERVICE_HOST,
RLIMIT_INIT_AS, ...) cannot change what the binary decides or says.

Tests that need root or a writable cgroup v1 memory hierarchy skip and say what is missing;
with RLIMIT_INIT_NO_SKIP=1 (set by .ci/run) every skip is reported as a failure instead.
What the binary says is compared with golden files (golden.py, tests/fixtures/golden/); what it
should find on this host, and the wordings of the files not yet converted, are in expected.py.
"""

from __future__ import annotations

import itertools
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator, Mapping, Sequence

import pytest

import rlimit_json
from rlimit_json import parse as parse_json
from expected import (HostMemory, cgroup_mounts, host_memory_of, mem_total, own_v1_cgroup,
                      v1_memory_mounts)

REPO = Path(__file__).resolve().parents[2]
POLICIES = REPO / "tests" / "fixtures" / "policies"
BINARY = Path(os.environ.get("RLIMIT_INIT_BIN") or REPO / "build" / "rlimit-init").absolute()
NOBODY = 65534
# A child that outlives its deadline is a hang, which is a failure of its own (a FIFO policy,
# a stuck read); the deadline is generous because it never decides a passing test.
TIMEOUT = 60
CLEAN_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
# Pins the layer rlimit-init detects, and so the fix it names, whatever the host has.
KUBERNETES = {"KUBERNETES_SERVICE_HOST": "10.96.0.1"}
# Pins RLIMIT_AS to unlimited, the kernel's default, whatever the test runner inherited, so that
# a message about the inherited limit is the same on every machine. A `prefix`, not `as_limit`:
# AddressSanitizer starts under it, so the sanitized run keeps these tests.
AS_UNLIMITED = ["prlimit", "--as=unlimited:unlimited"]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "sets_rlimit_as: runs the binary under an RLIMIT_AS set with prlimit "
        "(deselected in the AddressSanitizer run, which cannot start under one)")
    config.addinivalue_line(
        "markers",
        "static_binary: needs the statically linked release binary (deselected in the "
        "AddressSanitizer run, whose binary is dynamic)")
    config.addinivalue_line(
        "markers",
        "without_binary: starts no rlimit-init binary (charts, docs, schemas, conventions; "
        "deselected in the AddressSanitizer run, where it would check nothing new)")


def pytest_terminal_summary(terminalreporter) -> None:
    """How many of rlimit-init's JSON documents this run validated against docs/schema/."""
    counts = {name: n for name, n in rlimit_json.validated.items() if n}
    if counts:
        terminalreporter.write_line(
            f"rlimit-init JSON documents validated against docs/schema/: "
            f"{sum(counts.values())} (" + ", ".join(f"{n} {name}" for name, n in counts.items()) +
            ")")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Iterator[None]:
    """Under RLIMIT_INIT_NO_SKIP=1 a skip is a failure: CI has root and a v1 memory cgroup."""
    outcome = yield
    report = outcome.get_result()
    if os.environ.get("RLIMIT_INIT_NO_SKIP") != "1":
        return
    if report.skipped and not hasattr(report, "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longrepr
        report.outcome = "failed"
        report.longrepr = f"skipped, but RLIMIT_INIT_NO_SKIP=1 makes a skip a failure: {reason}"


@pytest.fixture(scope="session")
def host() -> HostMemory:
    """This test run's own cgroup memory facts. The development and CI machines are cgroup v1
    (hybrid) hosts whose memory hierarchy is mounted with root /, which is read directly;
    elsewhere the binary's own `inspect` is trusted (test_cgroups checks it against real
    cgroups)."""
    path = own_v1_cgroup()
    if path is not None and any(m.root == "/" for m in v1_memory_mounts()):
        return host_memory_of(path)
    result = subprocess.run([str(BINARY), "inspect", "-o", "json"], capture_output=True,
                            text=True, env=clean_env(), timeout=TIMEOUT, check=True)
    seen = parse_json(result.stdout)
    return HostMemory(seen["cgroup_version"], seen["cgroup_path"], seen["cgroup_directory"],
                      seen["memory_limit_bytes"], seen["memory_limit_source"], mem_total(),
                      seen["memory_limit_unknown"])


# ---------------------------------------------------------------------------------------------
# Running the binary.


# The sanitizer run's settings must reach the sanitized binary.
PASSED_THROUGH = ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS")


def clean_env(extra: Mapping[str, str | None] | None = None) -> dict[str, str]:
    """PATH and LC_ALL, the sanitizers' options, then EXTRA (a None value removes a variable).
    OPENBLAS_NUM_THREADS=1 says the job is single-threaded: without it a grant of 272 MiB or
    less on two CPUs draws the address-space budget's thread warning, which only
    test_as_budget*.py expect (they remove it)."""
    env = {"PATH": CLEAN_PATH, "LC_ALL": "C", "OPENBLAS_NUM_THREADS": "1"}
    env.update({k: os.environ[k] for k in PASSED_THROUGH if k in os.environ})
    for key, value in (extra or {}).items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


def skip_unless(condition: bool, missing: str) -> None:
    """Skips saying exactly what is missing (a failure under RLIMIT_INIT_NO_SKIP=1)."""
    if not condition:
        pytest.skip(missing)


def require_root(what: str) -> None:
    skip_unless(os.geteuid() == 0, f"{what} needs root (running as uid {os.geteuid()})")


Runner = Callable[..., subprocess.CompletedProcess]


def command_line(args: Sequence[str], as_limit: tuple[int | str, int | str] | None = None,
                 user: int | None = None, binary: Path | None = None,
                 prefix: Sequence[str] = ()) -> list[str]:
    """argv for rlimit-init ARGS, under `prlimit --as=SOFT:HARD` and as uid:gid `user`.
    `prefix` goes between them and the binary (e.g. a shell that joins a cgroup)."""
    argv: list[str] = []
    # The build directory may sit below a directory only root may enter (a clone under /root,
    # mode 0700): another user runs a copy it can reach (the nobody_binary fixture), on every
    # machine, so that a test never passes here and fails on a fresh one.
    assert user in (None, 0) or binary is not None, "as another user, pass binary=nobody_binary"
    if user is not None:
        argv += ["setpriv", f"--reuid={user}", f"--regid={user}", "--clear-groups"]
    if as_limit is not None:
        argv += ["prlimit", f"--as={as_limit[0]}:{as_limit[1]}"]
    return argv + list(prefix) + [str(binary or BINARY)] + list(args)


@pytest.fixture(scope="session")
def built_binary() -> Path:
    """Fails, never skips, without a binary: every test that runs it is about it."""
    if not os.access(BINARY, os.X_OK):
        pytest.fail(f"{BINARY} is missing or not executable: build it with "
                    "cmake -S . -B build && cmake --build build, or set RLIMIT_INIT_BIN",
                    pytrace=False)
    return BINARY


@pytest.fixture
def run(request: pytest.FixtureRequest, built_binary: Path) -> Runner:
    """run(args, as_limit=(soft, hard) or None, env=None, cwd=None, user=None, prefix=(),
    stderr=PIPE, binary=None) runs the binary and returns the CompletedProcess (text mode)."""

    def runner(args: Sequence[str], as_limit: tuple[int | str, int | str] | None = None,
               env: Mapping[str, str] | None = None, cwd: str | Path | None = None,
               user: int | None = None, prefix: Sequence[str] = (),
               stderr: int = subprocess.PIPE,
               binary: Path | None = None) -> subprocess.CompletedProcess:
        if as_limit is not None:
            assert request.node.get_closest_marker("sets_rlimit_as"), (
                "a test that sets RLIMIT_AS must be marked @pytest.mark.sets_rlimit_as")
        if user is not None:
            require_root(f"running the binary as uid {user} with setpriv")
        return subprocess.run(command_line(args, as_limit, user, binary, prefix),
                              stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=stderr,
                              text=True, env=clean_env(env), cwd=cwd, timeout=TIMEOUT)

    return runner



@pytest.fixture
def workdir() -> Iterator[Path]:
    """A directory that any user may enter (tmp_path's parents are root's own), removed after."""
    path = Path(tempfile.mkdtemp(prefix="rlimit-init-it-"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def nobody_binary(workdir: Path, built_binary: Path) -> Path:
    """A copy of the binary that uid 65534 can reach (the build directory may sit below a
    directory only root may enter)."""
    copy = workdir / "rlimit-init"
    shutil.copy2(built_binary, copy)
    copy.chmod(0o755)
    return copy


def marker_workload(directory: Path) -> tuple[list[str], Path]:
    """A workload that leaves a file behind if it ever runs."""
    marker = directory / "workload-ran"
    return ["--", "touch", str(marker)], marker


def write_policy(directory: Path, text: str, name: str = "policy.yaml") -> Path:
    path = directory / name
    path.write_text(text)
    path.chmod(0o644)
    return path


def policy(request: str, **extra: str) -> str:
    """A policy with addressSpace.request and further addressSpace keys; `memory_require`,
    `report_path` and `report_format` go into their own sections."""
    lines = ["apiVersion: rlimit-init/v1", "addressSpace:", f"  request: {request}"]
    sections: dict[str, list[str]] = {"memory": [], "report": []}
    for key, value in extra.items():
        if key == "memory_require":
            sections["memory"].append(f"  require: {value}")
        elif key == "report_path":
            sections["report"].append(f"  terminationMessagePath: {value}")
        elif key == "report_format":
            sections["report"].append(f"  format: {value}")
        else:
            lines.append(f"  {key}: {value}")
    for name, entries in sections.items():
        if entries:
            lines += [f"{name}:"] + entries
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------------------------
# /dev/termination-log: where errors go before a policy could name another path.


@dataclass
class TerminationLog:
    """A /dev/termination-log of the test's own: `prefix` runs the binary in a private mount
    namespace whose /dev is a directory holding only `path`, as kubelet bind-mounts a file
    there. The machine's real /dev/termination-log is never created, written or removed."""
    path: Path
    prefix: list[str]


@pytest.fixture
def termination_log(workdir: Path) -> TerminationLog:
    require_root("a private mount namespace for /dev/termination-log")
    skip_unless(shutil.which("unshare") is not None, "unshare (util-linux) is not installed")
    dev = workdir / "dev"
    dev.mkdir()
    dev.chmod(0o755)
    path = dev / "termination-log"
    path.write_bytes(b"")
    path.chmod(0o666)
    prefix = ["unshare", "--mount", "sh", "-c", 'mount --bind "$0" /dev && exec "$@"', str(dev)]
    probe = subprocess.run(prefix + ["true"], capture_output=True, text=True, timeout=TIMEOUT)
    skip_unless(probe.returncode == 0, f"a private mount namespace is not available here: "
                                       f"{probe.stderr.strip()}")
    return TerminationLog(path, prefix)


# ---------------------------------------------------------------------------------------------
# Real cgroup v1 memory cgroups.

_cgroup_numbers = itertools.count(1)


@dataclass
class MemoryCgroup:
    """A parent cgroup with one child, "job", that processes are run in."""
    mount_point: str
    parent: Path
    leaf: Path

    @property
    def leaf_path(self) -> str:
        """The cgroup path as /proc/self/cgroup shows it."""
        return "/" + str(self.leaf.relative_to(self.mount_point))

    def limit_file(self, which: Path) -> str:
        return str(which / "memory.limit_in_bytes")

    def join_prefix(self) -> list[str]:
        """A shell that moves itself into the leaf, then execs the rest of the command line."""
        return ["sh", "-c", 'echo $$ > "$0" && exec "$@"', str(self.leaf / "cgroup.procs")]


def _set_limit(directory: Path, limit: int | None) -> None:
    if limit is not None:
        (directory / "memory.limit_in_bytes").write_text(str(limit))


class _V1Hierarchy:
    """The cgroup v1 hierarchy of one controller, mounted with root /, in which a test makes
    cgroups of its own; `remove` takes them away afterwards, children first (every process run
    in them must have ended)."""

    def __init__(self, controller: str, mounts: list) -> None:
        require_root(f"creating cgroup v1 {controller} cgroups")
        mounts = [m for m in mounts if m.root == "/"]
        skip_unless(bool(mounts), f"needs a cgroup v1 {controller} hierarchy mounted with root / "
                                  "(none in /proc/self/mountinfo)")
        self.controller = controller
        self.mount_point = mounts[0].mount_point
        skip_unless(os.access(self.mount_point, os.W_OK),
                    f"needs write access to {self.mount_point}")
        self.created: list[Path] = []

    def make(self, parent: Path | None = None) -> Path:
        """A new cgroup: <mount>/rlimit-init-test-<pid>-<n>, or `parent`/job."""
        directory = (parent / "job" if parent is not None else
                     Path(self.mount_point, f"rlimit-init-test-{os.getpid()}-"
                                            f"{next(_cgroup_numbers)}"))
        try:
            directory.mkdir()
        except OSError as error:
            pytest.skip(f"needs a writable cgroup v1 {self.controller} hierarchy: mkdir "
                        f"{directory}: {error}")
        self.created.append(directory)
        return directory

    def remove(self) -> None:
        for directory in reversed(self.created):
            directory.rmdir()


@pytest.fixture
def memory_cgroup() -> Iterator[Callable[[int | None, int | None], MemoryCgroup]]:
    """memory_cgroup(parent_limit, leaf_limit) creates
    <mount>/rlimit-init-test-<pid>-<n>/job with those memory.limit_in_bytes (None: no limit)
    and removes both afterwards, the child first."""
    hierarchy = _V1Hierarchy("memory", v1_memory_mounts())

    def make(parent_limit: int | None, leaf_limit: int | None) -> MemoryCgroup:
        parent = hierarchy.make()
        leaf = hierarchy.make(parent)
        _set_limit(parent, parent_limit)
        _set_limit(leaf, leaf_limit)
        return MemoryCgroup(hierarchy.mount_point, parent, leaf)

    yield make
    # Every process run inside has exited and been reaped, so the cgroups are empty.
    hierarchy.remove()


@dataclass
class PidsCgroup:
    """A cgroup v1 pids cgroup of the test's own, "leaf", that processes are run in."""
    leaf: Path

    def join_prefix(self) -> list[str]:
        """A shell that moves itself into the leaf, then execs the rest of the command line."""
        return ["sh", "-c", 'echo $$ > "$0" && exec "$@"', str(self.leaf / "cgroup.procs")]


@pytest.fixture
def pids_cgroup() -> Iterator[Callable[[], PidsCgroup]]:
    """pids_cgroup() creates <pids mount>/rlimit-init-test-<pid>-<n>, a cgroup v1 pids cgroup
    (this host is hybrid: pids on v1, as memory), and removes it afterwards; the test must have
    ended every process it put in it."""
    hierarchy = _V1Hierarchy("pids", cgroup_mounts("pids"))

    def make() -> PidsCgroup:
        return PidsCgroup(hierarchy.make())

    yield make
    hierarchy.remove()

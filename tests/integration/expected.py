# SPDX-License-Identifier: Apache-2.0
"""What rlimit-init should find on this host, worked out without the binary: MemTotal,
CAP_SYS_RESOURCE, the v1 memory cgroup limits that bind a process, what a workload's `ulimit -v`
and /proc/self/limits show, the kernel's limits for its first process, and the table of bad
policies' messages shared with the unit tests. rlimit-init's messages are not worded here: tests
compare them with golden files (golden.py)."""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

KIB, MIB, GIB = 1024, 1024**2, 1024**3
UNLIMITED = "unlimited"
CAP_SYS_RESOURCE = 24

# ---------------------------------------------------------------------------------------------
# What this host looks like, read without the binary, so that exact messages can be expected.


def mem_total() -> int:
    for line in Path("/proc/meminfo").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key == "MemTotal":
            number, unit = rest.split()
            assert unit == "kB"
            return int(number) * KIB
    raise AssertionError("no MemTotal in /proc/meminfo")


def cap_sys_resource() -> bool:
    """CAP_SYS_RESOURCE in this process's effective set (root here lacks it)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("CapEff:"):
            return bool(int(line.split()[1], 16) >> CAP_SYS_RESOURCE & 1)
    raise AssertionError("no CapEff in /proc/self/status")


def may_raise_hard() -> bool:
    """What rlimit-init should find: CAP_SYS_RESOURCE in the initial user namespace."""
    uid_map = Path("/proc/self/uid_map").read_text().split()
    return cap_sys_resource() and uid_map == ["0", "0", "4294967295"]


@dataclass(frozen=True)
class Mount:
    root: str
    mount_point: str


def cgroup_mounts(controller: str | None) -> list[Mount]:
    """cgroup v1 mounts with CONTROLLER (None: cgroup2 mounts), from /proc/self/mountinfo."""
    mounts = []
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        fields = line.split(" ")
        separator = fields.index("-")
        fs_type, options = fields[separator + 1], fields[separator + 3].split(",")
        if (fs_type == "cgroup" and controller in options) or (
                fs_type == "cgroup2" and controller is None):
            decode = lambda s: s.replace("\\040", " ").replace("\\011", "\t")
            mounts.append(Mount(decode(fields[3]), decode(fields[4])))
    return mounts


def v1_memory_mounts() -> list[Mount]:
    """cgroup v1 mounts with the memory controller, from /proc/self/mountinfo."""
    return cgroup_mounts("memory")


def own_pids_directory() -> str | None:
    """The directory of this test run's pids controller cgroup, as measure finds it: the v1
    pids hierarchy's (mounted with root /), else the cgroup2 one's; None when neither is."""
    lines = [line.split(":", 2) for line in Path("/proc/self/cgroup").read_text().splitlines()]
    for _, controllers, path in lines:
        if "pids" in controllers.split(","):
            mounts = [m for m in cgroup_mounts("pids") if m.root == "/"]
            return mounts[0].mount_point + ("" if path == "/" else path) if mounts else None
    for hierarchy, controllers, path in lines:
        if hierarchy == "0" and controllers == "":
            mounts = [m for m in cgroup_mounts(None) if m.root == "/"]
            return mounts[0].mount_point + ("" if path == "/" else path) if mounts else None
    return None


def v1_no_limit() -> int:
    """cgroup v1's "no limit": PAGE_COUNTER_MAX pages, LONG_MAX rounded down to the page size."""
    page = os.sysconf("SC_PAGE_SIZE")
    return (2**63 - 1) // page * page


@dataclass(frozen=True)
class HostMemory:
    """The cgroup and memory facts rlimit-init should find for a process of this test run."""
    cgroup_version: str
    cgroup_path: str
    directory: str
    limit: int | str | None  # bytes or UNLIMITED; None (JSON null) when unknown
    limit_source: str
    mem_total: int
    unknown: str | None = None  # why the limit is unknown (JSON memory_limit_unknown)

    @property
    def ceiling(self) -> int | None:
        if self.unknown is not None:
            return None
        if self.limit != UNLIMITED and self.limit <= self.mem_total:
            return self.limit
        return self.mem_total

    @property
    def ceiling_source(self) -> str:
        if self.unknown is not None:
            return ""
        if self.limit != UNLIMITED and self.limit <= self.mem_total:
            return self.limit_source
        return "/proc/meminfo MemTotal"


def read_v1_limit(directory: str) -> int | str:
    value = int(Path(directory, "memory.limit_in_bytes").read_text())
    return UNLIMITED if value >= v1_no_limit() else value


def host_memory_of(cgroup_path: str) -> HostMemory:
    """Walks a v1 memory cgroup and its ancestors up to the mount point, as the kernel sees
    them: the tightest memory.limit_in_bytes binds."""
    mounts = [m for m in v1_memory_mounts() if m.root == "/"]
    assert mounts, "no cgroup v1 memory hierarchy mounted with root /"
    mount_point = mounts[0].mount_point
    directory = mount_point + ("" if cgroup_path == "/" else cgroup_path)
    limit: int | str = UNLIMITED
    source = ""
    current = directory
    while True:
        value = read_v1_limit(current)
        if value != UNLIMITED and (limit == UNLIMITED or value < limit):
            limit, source = value, f"{current}/memory.limit_in_bytes"
        if current == mount_point:
            break
        current = os.path.dirname(current)
    return HostMemory("v1", cgroup_path, directory, limit, source, mem_total())


def own_v1_cgroup() -> str | None:
    for line in Path("/proc/self/cgroup").read_text().splitlines():
        _, controllers, path = line.split(":", 2)
        if "memory" in controllers.split(","):
            return path
    return None


# Prints what the workload sees: the soft and hard `ulimit -v` of the shell, then the
# "Max address space" line of /proc/self/limits of a process it starts.
SHOW_LIMITS = ["sh", "-c", 'ulimit -Sv; ulimit -Hv; grep "^Max address space" /proc/self/limits']


def kib(value: int | str) -> str:
    """What the shell's `ulimit -v` prints for a byte value (bash's and dash's words)."""
    return UNLIMITED if value == UNLIMITED else str(value // KIB)


def limits_seen(soft: int | str, hard: int | str) -> str:
    """The output of SHOW_LIMITS for a soft and a hard RLIMIT_AS in bytes."""
    # proc_pid_limits() prints "%-25s %-20s %-20s %-10s" per line.
    line = f"{'Max address space':<25} {soft:<20} {hard:<20} {'bytes':<10}"
    return f"{kib(soft)}\n{kib(hard)}\n{line}\n"


# ---------------------------------------------------------------------------------------------
# Bad policies: the one table of their messages, shared with tests/unit/policy_test.cc.

BAD_POLICY_MESSAGES = Path(__file__).resolve().parents[1] / "fixtures" / "policies" / \
    "bad-messages.txt"


def bad_policy_messages() -> dict[str, str]:
    """{"duplicate-key.yaml": "duplicate-key.yaml:4:3: addressSpace.request: duplicate key"}:
    the message after "invalid policy: " for each file in tests/fixtures/policies/bad, with the
    file's path written as its name."""
    messages: dict[str, str] = {}
    for line in BAD_POLICY_MESSAGES.read_text().splitlines():
        if line and not line.startswith("#"):
            name = line.split(":", 1)[0]
            assert name not in messages, f"{name} has two lines in {BAD_POLICY_MESSAGES}"
            messages[name] = line
    return messages


def bad_policy_message(name: str, path: str | Path) -> str:
    """The message for bad/NAME when the policy's path is written `path`."""
    return str(path) + bad_policy_messages()[name][len(name):]


# ---------------------------------------------------------------------------------------------
# What `rlimit-init --version` prints for this source tree.

SOURCE_TREE = Path(__file__).resolve().parents[2]


def project_version() -> str:
    text = (SOURCE_TREE / "CMakeLists.txt").read_text()
    return text.split("project(rlimit-init VERSION ", 1)[1].split()[0]


def source_commit() -> str:
    """HEAD of the checkout the binary was configured in, or "unknown" outside git."""
    done = subprocess.run(["git", "-C", str(SOURCE_TREE), "rev-parse", "--verify", "HEAD"],
                          capture_output=True, text=True, timeout=60)
    return done.stdout.strip() if done.returncode == 0 else "unknown"


# ---------------------------------------------------------------------------------------------
# The advice for every rlimit is checked against golden files (tests/fixtures/golden/), and each
# setting against its tool (test_rlimits_advice.py, test_advice_*.py, the runc, CRI, Podman and
# Slurm tests, which follow it).

RLIM_INFINITY = 2**64 - 1


# Every rlimit as `inspect` shows it, in rlimit-init's table order (prlimit's names): the unit,
# bash's `ulimit` flag and the bytes per unit of that flag.

LIMIT_UNITS = {
    "as": ("bytes", "v", KIB), "core": ("bytes", "c", KIB), "cpu": ("seconds", "t", 1),
    "data": ("bytes", "d", KIB), "fsize": ("bytes", "f", KIB), "locks": ("count", "x", 1),
    "memlock": ("bytes", "l", KIB), "msgqueue": ("bytes", "q", 1), "nice": ("count", "e", 1),
    "nofile": ("count", "n", 1), "nproc": ("count", "u", 1), "rss": ("bytes", "m", KIB),
    "rtprio": ("count", "r", 1), "rttime": ("microseconds", "R", 1),
    "sigpending": ("count", "i", 1), "stack": ("bytes", "s", KIB),
}


def kernel_init_rlimits(threads_max: int) -> dict[str, tuple]:
    """What the kernel's first process starts with: Linux's include/asm-generic/resource.h
    INIT_RLIMITS (_STK_LIM 8 MiB, INR_OPEN_CUR:INR_OPEN_MAX 1024:4096, MLOCK_LIMIT 8 MiB since
    5.16, MQ_BYTES_MAX 819200, nice and rtprio 0), everything else unlimited; nproc and
    sigpending are max_threads / 2 (kernel/fork.c, fork_init)."""
    limits = {name: (UNLIMITED, UNLIMITED) for name in LIMIT_UNITS}
    limits.update({"stack": (8 * MIB, UNLIMITED), "core": (0, UNLIMITED), "nofile": (1024, 4096),
                   "memlock": (8 * MIB, 8 * MIB), "msgqueue": (819200, 819200), "nice": (0, 0),
                   "rtprio": (0, 0), "nproc": (threads_max // 2, threads_max // 2),
                   "sigpending": (threads_max // 2, threads_max // 2)})
    return limits


_PROC_LIMITS = {"Max cpu time": "cpu", "Max file size": "fsize", "Max data size": "data",
                "Max stack size": "stack", "Max core file size": "core",
                "Max resident set": "rss", "Max processes": "nproc",
                "Max open files": "nofile", "Max locked memory": "memlock",
                "Max address space": "as", "Max file locks": "locks",
                "Max pending signals": "sigpending", "Max msgqueue size": "msgqueue",
                "Max nice priority": "nice", "Max realtime priority": "rtprio",
                "Max realtime timeout": "rttime"}


def proc_limits(text: str) -> dict[str, tuple]:
    """/proc/PID/limits by prlimit's names: {"nofile": (1024, 4096), ...}."""
    found = {}
    for line in text.splitlines()[1:]:
        label = line[:26].strip()
        soft, hard = line[26:].split()[:2]
        found[_PROC_LIMITS[label]] = tuple(v if v == UNLIMITED else int(v) for v in (soft, hard))
    return found


# ---------------------------------------------------------------------------------------------
# The Docker CLI's first line for a `docker run` whose flags it parsed, when DOCKER_HOST names a
# socket that does not exist: Docker 28.x (this machine's CLI) or 20.10 (the client of Debian
# bookworm's docker.io, which scripts/setup-docker-cli.sh installs on a fresh machine), whose
# line ends in one more ".".

DOCKER_NO_DAEMON = "unix:///nonexistent/rlimit-init-test/docker.sock"
_DOCKER_DAEMON_ERROR = (f"docker: Cannot connect to the Docker daemon at {DOCKER_NO_DAEMON}. "
                        "Is the docker daemon running?")
DOCKER_DAEMON_ERRORS = (_DOCKER_DAEMON_ERROR, _DOCKER_DAEMON_ERROR + ".")


# ---------------------------------------------------------------------------------------------
# The address-space budget (src/decide/budget.cc): what numpy needs, measured.

# Measured on this machine (2 CPUs, Debian bookworm, python3-numpy 1.24.2 with
# libopenblas0-pthread 0.3.21, RLIMIT_STACK 8 MiB): the least RLIMIT_AS, to 1 MiB, under which
# `python3 -c "import numpy"` exits 0. The README's numpy table quotes them.
NUMPY_LEAST_GRANT = {"two OpenBLAS threads": 214 * MIB, "OPENBLAS_NUM_THREADS=1": 82 * MIB}

# SPDX-License-Identifier: Apache-2.0
"""`rlimit-init measure`'s text report read back into values, and the rules of docs/measure.md
that the recommended policy must follow from them. The report's words are checked against the
golden files under tests/fixtures/golden/measure/ (every number masked, since each belongs to its
run: `masked`); its numbers are checked here, against the rules, on the policy as YAML."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from chart_render import quantity_bytes

MIB = 1024**2
HEADROOM_PERCENT = 25
REQUEST_STEP = 64 * MIB
COUNT_STEP = 64
SETTING_NAMES = ("MALLOC_ARENA_MAX", "GLIBC_TUNABLES", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS")


def round_up(value: int, step: int) -> int:
    return -(-value // step) * step


def with_headroom(value: int) -> int:
    return value + -(-value * HEADROOM_PERCENT // 100)


def recommended_request(vm_peak: int) -> int:
    return round_up(with_headroom(vm_peak), REQUEST_STEP)


@dataclass(frozen=True)
class Where:
    value: int
    pid: int
    name: str


# Where each value sits in the report (its words are the golden file's).
_HEAD = re.compile(r"rlimit-init: measured (?P<command>.*): (?P<ending>.*); (?P<processes>\d+) "
                   r"process(es)? measured at exit")
_WHERE = r" in pid (?P<pid>\d+) \((?P<name>[^)]*)\)"
_PEAKS = {"vm_peak": r"  address space: .*\((?P<value>\d+) bytes, ulimit -v \d+\)" + _WHERE,
          "vm_hwm": r"  resident: .*\((?P<value>\d+) bytes\)" + _WHERE,
          "threads": r"  threads: .* (?P<value>\d+)" + _WHERE,
          "fds": r"  descriptors: .* (?P<value>\d+) \(.*\)" + _WHERE}


@dataclass(frozen=True)
class TopProcess:
    """One line of the per-process breakdown: its pid, name, VmPeak and VmHWM as the text says
    them (two decimals), and its command line."""
    pid: int
    name: str
    vm_peak: str
    vm_hwm: str
    command: str


_TOP_HEAD = re.compile(r"  by process:    largest VmPeak first \((\d+) of (\d+) process(es)?\)")
_TOP_LINE = re.compile(r"    pid (\d+) \(([^)]*)\): VmPeak (.+?), VmHWM (.+?): (.*)")


@dataclass
class Measured:
    """A measure text report read back: the values it names, and the policy after it."""
    command: str
    ending: str
    processes: int
    peaks: dict[str, Where]
    tasks_at_once: int
    settings: dict[str, int | str | None]
    cgroup_line: str
    policy: str
    top: list[TopProcess]
    tree_line: str
    faults: tuple[int, int]  # major, minor
    max_rss_kib: int


def read_measure_report(stderr: str) -> Measured:
    """Reads the report at the end of stderr (the job's own lines may come before it)."""
    lines = stderr.splitlines(keepends=True)
    start = max(i for i, line in enumerate(lines) if line.startswith("rlimit-init: measured "))
    head = _HEAD.fullmatch(lines[start].rstrip("\n"))
    assert head, lines[start]
    peaks: dict[str, Where] = {}
    for at, (key, pattern) in enumerate(_PEAKS.items(), start=start + 1):
        match = re.fullmatch(pattern.replace(": ", r":\s+", 1), lines[at].rstrip("\n"))
        assert match, f"{key}: {lines[at]!r}"
        peaks[key] = Where(int(match["value"]), int(match["pid"]), match["name"])
    at = start + len(_PEAKS) + 2  # locked memory's line: words only (the golden file's)
    tasks = re.match(r"  tasks at once: (\d+) ", lines[at])
    assert tasks, lines[at]
    settings = read_settings(lines[at + 1])
    cgroup_line = lines[at + 2]
    tree_line = lines[at + 3]
    assert tree_line.startswith("  whole tree:    "), tree_line
    assert lines[at + 4].startswith("  time:          elapsed "), lines[at + 4]
    faults = re.match(r"  faults:        major (\d+), minor (\d+); ", lines[at + 5])
    assert faults, lines[at + 5]
    max_rss = re.match(r"  max RSS:       .* \((\d+) kbytes, ", lines[at + 6])
    assert max_rss, lines[at + 6]
    at += 7
    top_head = _TOP_HEAD.fullmatch(lines[at].rstrip("\n"))
    assert top_head, lines[at]
    top = []
    for line in lines[at + 1:at + 1 + int(top_head[1])]:
        match = _TOP_LINE.fullmatch(line.rstrip("\n"))
        assert match, line
        top.append(TopProcess(int(match[1]), match[2], match[3], match[4], match[5]))
    # The breakdown holds min(5, processes) processes, the first the largest VmPeak's.
    assert (len(top), int(top_head[2])) == (min(5, int(head["processes"])),
                                            int(head["processes"])), lines[at]
    assert (top[0].pid, top[0].name) == (peaks["vm_peak"].pid, peaks["vm_peak"].name)
    at += 1 + len(top)
    assert lines[at] == "rlimit-init: recommended policy:\n", lines[at]
    return Measured(head["command"], head["ending"], int(head["processes"]), peaks,
                    int(tasks[1]), settings, cgroup_line, "".join(lines[at + 1:]), top,
                    tree_line, (int(faults[1]), int(faults[2])), int(max_rss[1]))


def read_settings(line: str) -> dict[str, int | str | None]:
    match = re.fullmatch(r"  run settings:  (\d+) CPUs online, (\d+) in the affinity mask(.*)\n",
                         line)
    assert match, line
    settings: dict[str, int | str | None] = {"online": int(match[1]), "affinity": int(match[2])}
    for name in SETTING_NAMES:
        value = re.search(f"; {name}=\"([^\"]*)\"", match[3])
        settings[name] = value[1] if value else None
    return settings


def host_settings(env: dict[str, str]) -> dict[str, int | str | None]:
    """What a run started with `env` on this machine must report."""
    online = Path("/sys/devices/system/cpu/online").read_text().strip()
    count = sum(int(r.split("-")[-1]) - int(r.split("-")[0]) + 1 for r in online.split(","))
    return {"online": count, "affinity": len(os.sched_getaffinity(0)),
            **{name: env.get(name) for name in SETTING_NAMES}}


def pinned_env(settings: dict[str, int | str | None]) -> dict[str, str]:
    """docs/measure.md's rules for env: the run's arena and thread settings, pinned (glibc's cap
    of 8 arenas per online CPU; OpenMP's and OpenBLAS's thread per CPU of the affinity mask)."""
    pins = {}
    if settings["GLIBC_TUNABLES"] is not None:
        pins["GLIBC_TUNABLES"] = settings["GLIBC_TUNABLES"]
    pins["MALLOC_ARENA_MAX"] = settings["MALLOC_ARENA_MAX"] or str(8 * settings["online"])
    pins["OMP_NUM_THREADS"] = settings["OMP_NUM_THREADS"] or str(settings["affinity"])
    pins["OPENBLAS_NUM_THREADS"] = (settings["OPENBLAS_NUM_THREADS"]
                                    or settings["OMP_NUM_THREADS"] or str(settings["affinity"]))
    return pins


def recommended_policy(m: Measured, cgroup_peak: int | None = None) -> dict:
    """docs/measure.md's rules, as the values of the policy: request = largest VmPeak + 25% up to
    64 MiB, minimum = the peak up to 1 MiB, memory.require = the cgroup's peak or else the
    largest VmHWM up to 1 MiB; nofile and nproc: what the run needed + 25%, up to 64, as both
    request and minimum; env: pinned. Quantities are read back as bytes."""
    nofile = round_up(with_headroom(m.peaks["fds"].value) | 1, COUNT_STEP)
    nproc = round_up(with_headroom(m.tasks_at_once) | 1, COUNT_STEP)
    peak = m.peaks["vm_peak"].value
    resident = cgroup_peak if cgroup_peak is not None else m.peaks["vm_hwm"].value
    return {"apiVersion": "rlimit-init/v1",
            "addressSpace": {"request": recommended_request(peak),
                             "minimum": round_up(peak, MIB)},
            "memory": {"require": round_up(resident, MIB)},
            "limits": {"nofile": {"request": nofile, "minimum": nofile},
                       "nproc": {"request": nproc, "minimum": nproc}},
            "env": pinned_env(m.settings)}


def policy_values(text: str) -> dict:
    """The recommended policy as YAML, its quantities in bytes."""
    policy = yaml.safe_load(text)
    for section, key in (("addressSpace", "request"), ("addressSpace", "minimum"),
                         ("memory", "require")):
        policy[section][key] = quantity_bytes(policy[section][key])
    return policy


# Every number of a report belongs to its run (pids, peaks, counts, CPUs), and so does a size's
# unit (a peak of 1023 or 1025 MiB); the rules' own constants stay in the golden file ("+ 25%",
# "rounded up to 64 MiB", "8 arenas", "descriptor + 1", "VmLck 0").
_SIZE = re.compile(r"(?<!rounded up to )(?<![\w.])\d+(\.\d+)? [KMGTPE]iB\b")
_QUANTITY = re.compile(r"(?<![\w.])\d+[KMGTPE]i\b")
_NUMBER = re.compile(r"(?<!rounded up to )(?<!\+ )(?<!VmLck )(?<![\w.])\d+(\.\d+)?(?![\d.%])"
                     r"(?! arenas)")


# Whether a short job ends before the timer's first sample is the machine's timing: the sampled
# whole-tree line's two forms are one placeholder in the golden files, and each form is held to
# its words by test_measure_profile.py and tests/unit/measure_test.cc.
_SAMPLED_TREE = re.compile(r"(?m)^  whole tree:    (.* at once, .* s in: .*|not sampled: .*)$")


def masked(text: str) -> str:
    text = _SAMPLED_TREE.sub("  whole tree:    {sampled}", text)
    return _NUMBER.sub("N", _QUANTITY.sub("{quantity}", _SIZE.sub("{size}", text)))

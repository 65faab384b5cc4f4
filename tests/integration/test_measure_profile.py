# SPDX-License-Identifier: Apache-2.0
"""`rlimit-init measure`'s profiler figures on the real binary (docs/measure.md): the
per-process breakdown, the job's rusage as /usr/bin/time -v prints it, the whole tree's peak,
several runs, the timeline and the plot. Each value is held to what the kernel or the job itself
says, exactly."""

from __future__ import annotations

import json
import math
import re
from xml.etree import ElementTree
from pathlib import Path

import golden
from rlimit_json import parse as parse_json
from chart_render import quantity_bytes
from conftest import Runner
from expected import MIB
from measure_values import read_measure_report, recommended_request

# A parent starts six children one after another, child k filling k x 24 MiB, each with its own
# command line, and says which pid ran which; then it fills nothing itself.
FAMILY = """\
import subprocess, sys
for k in range(1, 7):
    argv = [sys.executable, sys.argv[1], str(k), "arg with spaces", "tab\\there"]
    child = subprocess.Popen(argv)
    child.wait()
    print(child.pid, k, flush=True)
"""
CHILD = """\
import sys
data = bytearray(int(sys.argv[1]) * 24 * 1024 * 1024)
"""


def family(workdir: Path) -> list[str]:
    (workdir / "child.py").write_text(CHILD)
    (workdir / "parent.py").write_text(FAMILY)
    return ["python3", str(workdir / "parent.py"), str(workdir / "child.py")]


def started(stdout: str) -> dict[int, int]:
    """pid -> k, as the parent printed them."""
    return {int(pid): int(k) for pid, k in (line.split() for line in stdout.splitlines())}


def test_the_breakdown_names_the_five_largest_processes_with_their_command_lines(
        run: Runner, workdir: Path) -> None:
    job = family(workdir)
    result = run(["measure", "-q", "-o", "json", "--"] + job)
    assert result.returncode == 0
    report = parse_json(result.stderr)
    pids = started(result.stdout)
    by_k = {k: pid for pid, k in pids.items()}
    top = report["top_processes"]
    # The five largest children, largest first; the parent and child 1 are left out.
    assert [p["pid"] for p in top] == [by_k[k] for k in (6, 5, 4, 3, 2)]
    assert [p["command"] for p in top] == [
        ["/usr/bin/python3", job[2], str(k), "arg with spaces", "tab\there"]
        for k in (6, 5, 4, 3, 2)]
    assert [p["name"] for p in top] == ["python3"] * 5
    assert top[0]["vm_peak"] == report["vm_peak"]["value"]
    assert top[0]["pid"] == report["vm_peak"]["pid"]
    assert all(a["vm_peak"] > b["vm_peak"] for a, b in zip(top, top[1:]))
    assert report["processes"] == 7


def test_the_text_breakdown_escapes_the_command_lines(run: Runner, workdir: Path) -> None:
    job = family(workdir)
    result = run(["measure", "-q", "--"] + job)
    assert result.returncode == 0
    measured = read_measure_report(result.stderr)
    pids = started(result.stdout)
    assert [(p.pid, p.name, p.command) for p in measured.top] == [
        (pid, "python3", f"/usr/bin/python3 {job[2]} {k} arg with spaces tab\\there")
        for k in (6, 5, 4, 3, 2) for pid in pids if pids[pid] == k]
    # The top process's VmPeak figure is the tree's peak (the words are measure's golden files').
    assert golden.stands_for(measured.top[0].vm_peak, measured.peaks["vm_peak"].value)


def test_a_launcher_that_execs_keeps_its_peak_and_its_own_command_line(
        run: Runner, workdir: Path) -> None:
    launcher = workdir / "launcher.py"
    launcher.write_text("import os\ndata = bytearray(200 * 1024 * 1024)\n"
                        "os.execvp('true', ['true', 'after'])\n")
    result = run(["measure", "-q", "-o", "json", "--", "python3", str(launcher)])
    assert result.returncode == 0
    report = parse_json(result.stderr)
    [only] = report["top_processes"]
    assert only["command"] == ["python3", str(launcher)]
    assert (only["pid"], only["name"], only["vm_peak"]) == (
        report["vm_peak"]["pid"], "python3", report["vm_peak"]["value"])
    assert only["vm_peak"] > 200 * MIB


# Three children each hold 60 MiB of written (resident) memory at once for a second, ten of the
# timer's intervals, then end; the parent says their pids.
THREE_AT_ONCE = """\
import subprocess, sys
code = "import time; data = b'x' * (60 << 20); time.sleep(1)"
children = [subprocess.Popen([sys.executable, "-c", code]) for _ in range(3)]
for child in children:
    child.wait()
    print(child.pid, flush=True)
"""


def test_the_whole_tree_is_the_largest_resident_sum_of_the_timeline(
        run: Runner, workdir: Path) -> None:
    (workdir / "three.py").write_text(THREE_AT_ONCE)
    result = run(["measure", "-q", "-o", "json", "--", "python3", str(workdir / "three.py")])
    assert result.returncode == 0
    report = parse_json(result.stderr)
    children = [int(pid) for pid in result.stdout.split()]
    timeline = report["timeline"]
    assert timeline["interval_ms"] == 100
    pids = [p["pid"] for p in timeline["processes"]]
    assert set(children) <= set(pids)
    # Each sample's time is shared by every process sampled in it; the tree's peak is the
    # largest sum of resident sets over one sample, and when it was.
    sums: dict[int, int] = {}
    for process in timeline["processes"]:
        times = [point[0] for point in process["points"]]
        assert times == sorted(set(times))
        for at_ms, _, rss in process["points"]:
            sums[at_ms] = sums.get(at_ms, 0) + rss
    peak_at = max(sums, key=lambda at: (sums[at], -at))
    assert report["tree_peak"] == {"bytes": sums[peak_at], "source": "sampled",
                                   "at_ms": peak_at}
    assert report["tree_peak"]["bytes"] >= 3 * 60 * MIB
    assert report["cgroup_peak_bytes"] is None


SVG = "{http://www.w3.org/2000/svg}"


def test_the_plot_is_svg_with_the_recommended_request_drawn_at_its_value(
        run: Runner, workdir: Path) -> None:
    (workdir / "three.py").write_text(THREE_AT_ONCE)
    plot = workdir / "peaks <&> \"x\".svg"
    result = run(["measure", "-q", "-o", "json", "--plot", str(plot), "--", "python3",
                  str(workdir / "three.py")])
    assert result.returncode == 0
    report = parse_json(result.stderr)
    assert report["plot_error"] is None
    root = ElementTree.parse(plot).getroot()  # well-formed XML, or this raises
    assert root.tag == SVG + "svg"
    assert root.find(SVG + "title").text == (
        f"rlimit-init measure: python3 {workdir / 'three.py'}")
    # The data group draws in the data's own units, seconds across and MiB up: the request's
    # line is at the recommended addressSpace.request in MiB, across the whole run.
    request = quantity_bytes(report["recommended"]["addressSpace"]["request"])
    data = root.find(f"{SVG}g[@id='data']")
    [line] = data.findall(f"{SVG}line[@id='request']")
    assert float(line.get("y1")) == float(line.get("y2")) == request / MIB
    assert float(line.get("x1")) == 0
    # The transform puts the data's MiB where the axis labels say them (coordinates are written
    # to 9 significant digits: equal to a thousandth of a pixel).
    scale = re.fullmatch(r"translate\((\d+) (\d+)\) scale\((\S+) (\S+)\)", data.get("transform"))
    assert scale, data.get("transform")
    bottom, per_mib = float(scale[2]), float(scale[4])
    ticks = root.findall(f"{SVG}g[@id='axes']/{SVG}text[@class='y-tick']")
    assert len(ticks) >= 2
    for tick in ticks:
        mib = float(tick.get("data-mib"))
        assert tick.text == f"{tick.get('data-mib')} MiB"
        assert math.isclose(float(tick.get("y")), bottom + mib * per_mib, abs_tol=1e-3)
    assert float(ticks[-1].get("data-mib")) >= request / MIB
    # Each process of the timeline: its address space and its resident set.
    drawn = [(p.get("class"), int(p.get("data-pid"))) for p in data.findall(f"{SVG}polyline")]
    pids = {p["pid"] for p in report["timeline"]["processes"]}
    assert sorted(drawn) == sorted([(kind, pid) for pid in pids
                                    for kind in ("vm-rss", "vm-size")])


def test_the_plot_may_not_overwrite_the_report(run: Runner, workdir: Path) -> None:
    same = workdir / "out"
    result = run(["measure", "--report", str(same), "--plot", str(same), "--", "true"])
    assert (result.returncode, result.stdout) == (64, "")
    golden.check("measure/plot-overwrites-report.txt", result.stderr, {str(workdir): "{workdir}"})
    assert not same.exists()


# Each run fills one more 40 MiB than the run before (a counter in a file), and the run named
# by FAIL_AT exits 3.
GROWING = """\
import os, sys
counter = sys.argv[1]
with open(counter, "a") as f:
    f.write("x")
run = os.path.getsize(counter)
data = b"x" * (run * 40 << 20)
sys.exit(3 if run == int(sys.argv[2]) else 0)
"""


def growing(workdir: Path, fail_at: int) -> list[str]:
    (workdir / "growing.py").write_text(GROWING)
    return ["python3", str(workdir / "growing.py"), str(workdir / "counter"), str(fail_at)]


def test_several_runs_take_the_largest_and_report_the_spread(run: Runner, workdir: Path) -> None:
    result = run(["measure", "-q", "-o", "json", "--runs", "3", "--"] + growing(workdir, 0))
    assert result.returncode == 0
    report = parse_json(result.stderr)
    runs = report["runs"]
    assert [r["exit_code"] for r in runs] == [0, 0, 0]
    peaks = [r["vm_peak"] for r in runs]
    assert peaks[0] + 40 * MIB <= peaks[1] and peaks[1] + 40 * MIB <= peaks[2]
    assert report["vm_peak"]["value"] == peaks[2]
    assert report["spread"]["vm_peak"] == {"min": peaks[0], "max": peaks[2]}
    for name in ("vm_hwm", "tree_sampled", "elapsed_us", "user_us", "system_us"):
        assert report["spread"][name] == {"min": min(r[name] for r in runs),
                                          "max": max(r[name] for r in runs)}
    assert report["vm_hwm"]["value"] == max(r["vm_hwm"] for r in runs)
    assert quantity_bytes(report["recommended"]["addressSpace"]["request"]) == (
        recommended_request(peaks[2]))


def test_runs_stop_at_the_first_that_fails(run: Runner, workdir: Path) -> None:
    result = run(["measure", "-q", "-o", "json", "--runs", "3", "--"] + growing(workdir, 2))
    assert result.returncode == 3
    report = parse_json(result.stderr)
    assert [r["exit_code"] for r in report["runs"]] == [0, 3]
    assert (workdir / "counter").read_text() == "xx"


def test_runs_must_be_a_count_from_1_to_100(run: Runner) -> None:
    result = run(["measure", "--runs", "0", "--", "true"])
    assert (result.returncode, result.stdout) == (64, "")
    golden.check("measure/runs-out-of-range.txt", result.stderr)

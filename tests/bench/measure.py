#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Measures rlimit-init and the programs it is compared with, and prints one markdown table.

tests/bench/run.sh builds what this needs and calls it; see docs/performance.md for what each
column means. Every run gets the same environment (a container's: PATH, HOME, LANG) and starts
under the same inherited soft RLIMIT_AS (16 GiB, hard unlimited), and every program is asked for
the same thing: a soft limit of 64 GiB, the request of tests/bench/policy.yaml. So rlimit-init
takes the path a real container start takes: it raises the limit, reports it, drops to the
policy's user and execs.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

KIB, MIB, GIB = 1024, 1024**2, 1024**3
INHERITED_SOFT = 16 * GIB
REQUEST = 64 * GIB
FLOOR_REQUEST = 512 * MIB  # what the RLIMIT_AS floor runs ask for (`--as 512Mi`)
# What a container's first process typically gets: Docker's PATH and HOME, and the LANG that
# most language images set. LANG matters to prlimit, whose setlocale() then loads a locale;
# every static or C++ program here runs in the "C" locale whatever it says.
ENV = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
       "HOME": "/root", "LANG": "C.UTF-8"}
# A workload that does not exist: the process ends at its failed exec, so what is counted is the
# program itself, from its first instruction to its exec.
MISSING = "/nonexistent/workload"
FLOOR_LOW, FLOOR_HIGH, FLOOR_STEP = 64 * KIB, 64 * MIB, 4 * KIB


@dataclass
class Program:
    name: str
    binary: Path
    argv: Callable[[str], list[str]]  # the program's argv for a workload
    floor_argv: list[str]            # what the RLIMIT_AS floor is searched with


def run(argv: list[str], **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(argv, env=ENV, stdin=subprocess.DEVNULL, text=True,
                          capture_output=True, **kwargs)


def under_inherited_limit(argv: list[str]) -> list[str]:
    return ["prlimit", f"--as={INHERITED_SOFT}:unlimited"] + argv


def instructions(program: Program, scratch: Path) -> int:
    """callgrind's "Collected" total for the whole process, start to the failed exec."""
    # rlimit-init drops to the policy's user (65534) before exec; callgrind writes its file at
    # exit, as that user, so the file must exist already and be writable by anyone.
    out = scratch / f"callgrind.{program.name}"
    out.unlink(missing_ok=True)
    out.touch()
    out.chmod(0o666)
    result = run(under_inherited_limit(
        ["valgrind", "--tool=callgrind", "--vgdb=no", f"--callgrind-out-file={out}"] +
        program.argv(MISSING)))
    match = re.search(r"^==\d+== Collected : (\d+)$", result.stderr, re.MULTILINE)
    if not match:
        sys.exit(f"measure.py: no callgrind total for {program.name}:\n{result.stderr}")
    return int(match.group(1))


def runs_under(program: Program, soft: int) -> bool:
    result = run(["prlimit", f"--as={soft}:unlimited"] + program.floor_argv)
    return result.returncode == 0


def floor(program: Program) -> int:
    """The least soft RLIMIT_AS (in FLOOR_STEP steps) under which the floor run exits 0."""
    low, high = FLOOR_LOW, FLOOR_HIGH
    if runs_under(program, low) or not runs_under(program, high):
        sys.exit(f"measure.py: {program.name} does not fail at {low} and run at {high} bytes")
    while high - low > FLOOR_STEP:
        middle = (low + high) // 2 // FLOOR_STEP * FLOOR_STEP
        if runs_under(program, middle):
            high = middle
        else:
            low = middle
    return high


def stripped_size(binary: Path, scratch: Path) -> int:
    copy = scratch / f"stripped.{binary.name}"
    subprocess.run(["strip", "-o", str(copy), str(binary)], check=True)
    return copy.stat().st_size


def is_static(binary: Path) -> bool:
    headers = subprocess.run(["readelf", "-lW", str(binary)], check=True, capture_output=True,
                             text=True).stdout
    return "INTERP" not in headers


def peak_rss(program: Program, helper: Path) -> int:
    """ru_maxrss in bytes of the program run with a missing workload (see peak_rss.c)."""
    result = run(under_inherited_limit([str(helper)] + program.argv(MISSING)))
    if result.returncode != 0:
        sys.exit(f"measure.py: peak_rss failed for {program.name}: {result.stderr}")
    return int(result.stdout.split()[0]) * KIB


def wall_ratios(programs: list[Program], reference: str, scratch: Path,
                runs: int) -> dict[str, float]:
    """Median wall time of each program over the reference's, all in one hyperfine run."""
    out = scratch / "hyperfine.json"
    commands = [" ".join(p.argv("/bin/true")) for p in programs]
    result = run(under_inherited_limit(
        ["hyperfine", "--shell=none", "--warmup", "20", "--runs", str(runs), "--style", "none",
         "--export-json", str(out)] + commands))
    if result.returncode != 0:
        sys.exit(f"measure.py: hyperfine failed:\n{result.stdout}{result.stderr}")
    medians = {p.name: r["median"]
               for p, r in zip(programs, json.loads(out.read_text())["results"])}
    return {name: median / medians[reference] for name, median in medians.items()}


def mib(value: int) -> str:
    return f"{value / MIB:.2f} MiB"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rlimit-init", type=Path, required=True)
    parser.add_argument("--policy", type=Path, required=True)
    parser.add_argument("--work", type=Path, required=True,
                        help="where run.sh built setrlimit-exec, static-true and peak_rss")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--runs", type=int, default=300, help="hyperfine runs per program")
    args = parser.parse_args()

    work = args.work.absolute()
    static_true = str(work / "static-true")
    tini = Path(shutil.which("tini-static") or "/usr/bin/tini-static")
    dumb_init = Path(shutil.which("dumb-init") or "/usr/bin/dumb-init")
    prlimit = Path(shutil.which("prlimit") or "/usr/bin/prlimit")
    rlimit_init = args.rlimit_init.absolute()
    policy = str(args.policy.absolute())
    c_program = work / "setrlimit-exec"
    programs = [
        Program("rlimit-init", rlimit_init,
                lambda w: [str(rlimit_init), "-p", policy, "--", w],
                [str(rlimit_init), "--as", "512Mi", "--", "/bin/true"]),
        Program("setrlimit-exec (5-line C)", c_program,
                lambda w: [str(c_program), str(REQUEST), w],
                [str(c_program), str(FLOOR_REQUEST), "/bin/true"]),
        Program("tini-static", tini, lambda w: [str(tini), "-s", "--", w],
                [str(tini), "-s", "--", static_true]),
        Program("dumb-init", dumb_init, lambda w: [str(dumb_init), w],
                [str(dumb_init), static_true]),
        Program("prlimit", prlimit, lambda w: [str(prlimit), f"--as={REQUEST}:", w],
                [str(prlimit), f"--as={FLOOR_REQUEST}:", "/bin/true"]),
    ]

    with tempfile.TemporaryDirectory(prefix="rlimit-init-bench-") as name:
        scratch = Path(name)
        scratch.chmod(0o755)  # callgrind writes here after rlimit-init dropped to uid 65534
        rows = []
        for program in programs:
            print(f"measuring {program.name} ...", file=sys.stderr)
            rows.append((program, instructions(program, scratch), floor(program),
                         stripped_size(program.binary, scratch), is_static(program.binary),
                         peak_rss(program, work / "peak_rss")))
        print("measuring wall time (hyperfine) ...", file=sys.stderr)
        ratios = wall_ratios(programs, "prlimit", scratch, args.runs)
        resolution = peak_rss(Program("static-true", Path(static_true),
                                      lambda w: [static_true], []), work / "peak_rss")

    cpu = next((line.split(":", 1)[1].strip() for line in
                Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.machine())
    lines = [
        f"Measured by tests/bench/run.sh on Linux {platform.release()}, {cpu}.",
        "",
        "| program | instructions to exec | least soft RLIMIT_AS | stripped size | "
        "peak RSS before exec | wall time, median / prlimit's |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for program, count, least, size, static, rss in rows:
        linked = "static" if static else "dynamic, without its libraries"
        lines.append(f"| {program.name} | {count:,} | {mib(least)} | {mib(size)} ({linked}) | "
                     f"{mib(rss)} | {ratios[program.name]:.2f} |")
    lines += [
        "",
        f"- Instructions: `valgrind --tool=callgrind` total (\"Collected\") of the whole process "
        f"with the workload `{MISSING}`, so it ends at its failed exec; environment PATH, HOME and "
        f"LANG=C.UTF-8 only, "
        f"inherited soft RLIMIT_AS {INHERITED_SOFT // GIB} GiB, each program asked for "
        f"{REQUEST // GIB} GiB (rlimit-init by tests/bench/policy.yaml). tini is counted "
        "without the child it forks.",
        f"- Least soft RLIMIT_AS: bisected in {FLOOR_STEP // KIB} KiB steps with "
        "`prlimit --as=SOFT:unlimited`, success = exit 0, asking for 512 MiB and running "
        "/bin/true (tini and dumb-init, which set no limit, run a static program that only "
        "exits, so that the figure is theirs and not the workload's).",
        "- Stripped size: `strip` of the installed or built binary; a dynamic binary needs its "
        "shared libraries on top.",
        "- Peak RSS: ru_maxrss of the process run with the missing workload (tests/bench/"
        f"peak_rss.c); the method cannot resolve less than {mib(resolution)}, what a static "
        "program that only exits shows. tini and dumb-init are charged their forked child.",
        f"- Wall time: one `hyperfine --shell=none` run of all five with /bin/true as the "
        f"workload, {args.runs} runs each after 20 warm-ups; each median over prlimit's.",
    ]
    table = "\n".join(lines) + "\n"
    args.out.write_text(table)
    print(table)


if __name__ == "__main__":
    main()

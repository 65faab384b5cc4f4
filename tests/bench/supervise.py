#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Measures rlimit-init in init mode beside tini-static, and appends one markdown table.

tests/bench/run.sh builds supervise_probe (supervise_probe.c) and calls this after measure.py.
Both supervisors run the same workload, supervise_probe itself, not as PID 1 (rlimit-init with
`--init child` and the bench policy, tini-static with `-s`, both as child subreapers). Rounds
alternate between the two so that a busy machine weighs on both alike; the samples of all
rounds are pooled.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
from pathlib import Path

ENV = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
       "HOME": "/root", "LANG": "C.UTF-8"}


def probe(helper: Path, count: int, supervisor: list[str]) -> tuple[list[int], list[int]]:
    """[VmRSS, RssAnon, RssFile] in KiB and the delays in ns of one supervise_probe run."""
    result = subprocess.run([str(helper), str(count)] + supervisor, env=ENV, text=True,
                            stdin=subprocess.DEVNULL, capture_output=True)
    lines = result.stdout.split("\n")
    if result.returncode != 0 or not lines[0].startswith("rss "):
        sys.exit(f"supervise.py: supervise_probe failed for {supervisor[0]}:\n{result.stderr}")
    return [int(v) for v in lines[0].split()[1:]], [int(v) for v in lines[1:] if v]


def percentile(values: list[int], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rlimit-init", type=Path, required=True)
    parser.add_argument("--policy", type=Path, required=True)
    parser.add_argument("--probe", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True, help="appended to")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--signals", type=int, default=1000, help="per round and supervisor")
    args = parser.parse_args()

    tini = shutil.which("tini-static") or "/usr/bin/tini-static"
    supervisors = {
        "rlimit-init --init child": [str(args.rlimit_init.absolute()), "-p",
                                     str(args.policy.absolute()), "--init", "child", "--"],
        "tini-static -s": [tini, "-s", "--"],
    }
    rss: dict[str, list[list[int]]] = {name: [] for name in supervisors}
    delays: dict[str, list[int]] = {name: [] for name in supervisors}
    for round_number in range(args.rounds):
        print(f"measuring supervisors, round {round_number + 1} of {args.rounds} ...",
              file=sys.stderr)
        for name, argv in supervisors.items():
            kib, ns = probe(args.probe, args.signals, argv)
            rss[name].append(kib)
            delays[name] += ns

    lines = [
        "",
        "| supervisor | VmRSS while waiting | of it RssAnon | of it RssFile | "
        "signal to workload, median | p90 |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name in supervisors:
        vm, anon, file = (max(sample[i] for sample in rss[name]) for i in range(3))
        lines.append(f"| {name} | {vm:,} KiB | {anon:,} KiB | {file:,} KiB | "
                     f"{statistics.median(delays[name]) / 1000:.1f} µs | "
                     f"{percentile(delays[name], 0.9) / 1000:.1f} µs |")
    lines += [
        "",
        "- Resident set: /proc/PID/status of the supervisor once its workload is running and "
        f"waiting for signals, the largest of {args.rounds} rounds. RssFile is clean pages of "
        "the binary's own file, shared with the page cache; RssAnon is its own memory.",
        f"- Signal delivery: CLOCK_MONOTONIC before kill(SUPERVISOR, SIGUSR1) to the moment "
        f"the workload's sigwaitinfo() returns, one signal at a time, {args.rounds} rounds of "
        f"{args.signals} for each supervisor, alternating (tests/bench/supervise_probe.c).",
    ]
    table = "\n".join(lines) + "\n"
    with args.out.open("a") as out:
        out.write(table)
    print(table)


if __name__ == "__main__":
    main()

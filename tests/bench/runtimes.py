#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""The least soft RLIMIT_AS (and RLIMIT_DATA) at which real runtimes start: the figures of
docs/runtimes.md and of src/decide/runtime_budget.h, reproduced.

Each case is bisected to 1 MiB under `prlimit --as=N:unlimited` (or `--data=N:unlimited`): N
passes when the case exits 0 and prints what it should in `--runs` runs out of `--runs`
(default 3). Run as any user on a machine with Debian's openjdk-17-jre-headless, nodejs,
golang-go and gcc (scripts/setup.sh --tests installs them); a case whose runtime is missing is
left out and said so. Prints one markdown table.

    python3 tests/bench/runtimes.py [--runs 3] [--only java,node,go,asan] [--data]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

MIB, GIB, TIB = 1024**2, 1024**3, 1024**4
TIMEOUT = 30  # seconds; every case takes under 2 when it runs
ENV = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
       "HOME": "/root", "LANG": "C.UTF-8"}

# One WebAssembly memory per iteration: with V8's trap handler each reserves its 8 GiB
# guard region (plus alignment) whether or not a page of it is touched.
NODE_WASM = ("const m = []; for (let i = 0; i < {n}; i++) "
             "m.push(new WebAssembly.Memory({{initial: 1}})); console.log('ok ' + m.length)")
GO_HELLO = 'package main\nimport "fmt"\nfunc main() { fmt.Println("ok") }\n'
GO_GOROUTINES = """package main
import ("fmt"; "sync")
func main() {
  var wg sync.WaitGroup
  start := make(chan struct{})
  for i := 0; i < 64; i++ { wg.Add(1); go func() { <-start; wg.Done() }() }
  close(start); wg.Wait(); fmt.Println("ok")
}
"""
C_HELLO = '#include <stdio.h>\nint main(void) { puts("ok"); return 0; }\n'
# What the budget warning tells a JVM to set (src/decide/runtime_budget.cc).
JAVA_FIX = "-XX:CompressedClassSpaceSize=64m -XX:ReservedCodeCacheSize=32m"


@dataclass
class Case:
    group: str
    name: str
    argv: list[str]
    env: dict[str, str] = field(default_factory=dict)
    expect: str = ""  # a substring stdout must hold
    high: int = 64 * GIB  # a grant that passes


def build(work: Path) -> dict[str, Path]:
    """Compiles the Go and C programs; returns name -> binary for what could be built."""
    built: dict[str, Path] = {}
    if shutil.which("go"):
        for name, source in (("go_hello", GO_HELLO), ("go_goroutines", GO_GOROUTINES)):
            directory = work / name
            directory.mkdir()
            (directory / "main.go").write_text(source)
            subprocess.run(["go", "build", "-o", str(directory / name), "main.go"],
                           cwd=directory, check=True,
                           env={**os.environ, "GOCACHE": str(work / "gocache"),
                                "GOPATH": str(work / "gopath"), "GO111MODULE": "off"})
            built[name] = directory / name
    if shutil.which("gcc"):
        source = work / "hello.c"
        source.write_text(C_HELLO)
        subprocess.run(["gcc", "-fsanitize=address", "-o", str(work / "asan_hello"),
                        str(source)], check=True)
        built["asan_hello"] = work / "asan_hello"
    return built


def cases(built: dict[str, Path]) -> list[Case]:
    out: list[Case] = []
    if shutil.which("java"):
        fix_env = {"JAVA_TOOL_OPTIONS": "-Xmx256m " + JAVA_FIX, "MALLOC_ARENA_MAX": "2"}
        out += [
            Case("java", "java -version, no -Xmx", ["java", "-version"]),
            Case("java", "java -Xmx256m -version", ["java", "-Xmx256m", "-version"]),
            Case("java", "java -Xmx1g -version", ["java", "-Xmx1g", "-version"]),
            Case("java", "java -Xmx256m -XX:CompressedClassSpaceSize=64m -version",
                 ["java", "-Xmx256m", "-XX:CompressedClassSpaceSize=64m", "-version"]),
            Case("java", f"JAVA_TOOL_OPTIONS=\"-Xmx256m {JAVA_FIX}\" MALLOC_ARENA_MAX=2 "
                 "java -version", ["java", "-version"], fix_env),
            Case("java", f"JAVA_TOOL_OPTIONS=\"-Xmx1g {JAVA_FIX}\" MALLOC_ARENA_MAX=2 "
                 "java -version", ["java", "-version"],
                 {**fix_env, "JAVA_TOOL_OPTIONS": "-Xmx1g " + JAVA_FIX}),
        ]
    if shutil.which("node"):
        off = {"NODE_OPTIONS": "--disable-wasm-trap-handler"}
        out += [
            Case("node", "node -e 1", ["node", "-e", "console.log('ok')"], expect="ok"),
            Case("node", "node, 1 wasm memory",
                 ["node", "-e", NODE_WASM.format(n=1)], expect="ok 1"),
            Case("node", "node, 4 wasm memories",
                 ["node", "-e", NODE_WASM.format(n=4)], expect="ok 4", high=128 * GIB),
            Case("node", "NODE_OPTIONS=--disable-wasm-trap-handler node, 4 wasm memories",
                 ["node", "-e", NODE_WASM.format(n=4)], off, expect="ok 4"),
        ]
    if "go_hello" in built:
        out += [
            Case("go", "Go hello world", [str(built["go_hello"])], expect="ok"),
            Case("go", "Go, 64 goroutines", [str(built["go_goroutines"])], expect="ok"),
        ]
    if "asan_hello" in built:
        out.append(Case("asan", "gcc -fsanitize=address hello", [str(built["asan_hello"])],
                        expect="ok", high=64 * TIB))
    return out


def passes(case: Case, resource: str, limit: int, runs: int, work: Path) -> bool:
    for _ in range(runs):
        try:
            result = subprocess.run(["prlimit", f"--{resource}={limit}:unlimited", *case.argv],
                                    env={**ENV, **case.env}, stdin=subprocess.DEVNULL, cwd=work,
                                    capture_output=True, text=True, timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            return False  # node spins for minutes under a tiny RLIMIT_DATA: a failure
        if result.returncode != 0 or case.expect not in result.stdout:
            return False
    return True


def least(case: Case, resource: str, runs: int, work: Path) -> int | None:
    """The least limit in MiB that passes, bisected between 0 and case.high. The JVM writes
    hs_err_pid*.log files into its working directory when it fails: `work` takes them."""
    high = case.high // MIB
    if not passes(case, resource, high * MIB, runs, work):
        return None
    low = 0  # fails: nothing runs in no address space
    while high - low > 1:
        middle = (low + high) // 2
        if passes(case, resource, middle * MIB, runs, work):
            high = middle
        else:
            low = middle
    return high


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--only", default="java,node,go,asan")
    parser.add_argument("--data", action="store_true",
                        help="also bisect RLIMIT_DATA (prlimit --data)")
    args = parser.parse_args()
    for tool in ("java", "node", "go", "gcc"):
        if not shutil.which(tool):
            print(f"runtimes.py: {tool} is not installed; its cases are left out",
                  file=sys.stderr)
    with tempfile.TemporaryDirectory(prefix="rlimit-init-runtimes-") as temp:
        work = Path(temp)
        built = build(work)
        header = "| case | least AS (MiB) |" + (" least DATA (MiB) |" if args.data else "")
        print(header)
        print("|---|---:|" + ("---:|" if args.data else ""))
        for case in cases(built):
            if case.group not in args.only.split(","):
                continue
            row = f"| {case.name} | {fmt(least(case, 'as', args.runs, work))} |"
            if args.data:
                row += f" {fmt(least(case, 'data', args.runs, work))} |"
            print(row, flush=True)
    return 0


def fmt(mib: int | None) -> str:
    if mib is None:
        return "fails at the highest grant"
    return f"{mib:,}"


if __name__ == "__main__":
    sys.exit(main())

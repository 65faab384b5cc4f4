# SPDX-License-Identifier: Apache-2.0
"""Golden files: the exact text the real binary printed, kept under tests/fixtures/golden/ and
compared byte for byte, so that a message is written once (in src/report/ and src/advice/) and
its wording is reviewed as a diff of these files, not re-implemented in the tests.

    golden.check("rlimits_advice/refused-nofile-kubernetes.txt", result.stderr,
                 {str(policy): "{policy}"})

Values that belong to one run (a temporary path, this host's memory) are replaced by
`{placeholders}` before the comparison; everything else must match exactly. A key of `replace`
is a literal string or a compiled pattern (for a value whose digits belong to the host, such as
`MEM_TOTAL`); a pattern's value may be a function of the match that checks the value before it
replaces it: this host's memory in a summary line (`host_memory`, against what expected.py read
from /proc and the cgroup files), a share of MemTotal (`value`, only a figure that `stands_for`
it); test_golden.py shows each check failing on hosts this machine is not. A JSON document is
compared as `golden.check_json(name, parsed, replace)`, indented with its keys in the binary's
order. With RLIMIT_INIT_UPDATE_GOLDENS=1 (scripts/update-goldens.sh) the text is written instead
of compared, and `git diff tests/fixtures/golden` shows what changed. CI (RLIMIT_INIT_NO_SKIP=1)
refuses to write them.
"""

from __future__ import annotations

import difflib
import json
import os
import re
from pathlib import Path
from typing import Any, Callable, Mapping

import pytest

from expected import UNLIMITED, HostMemory

GOLDEN = Path(__file__).resolve().parents[1] / "fixtures" / "golden"
UPDATE = "RLIMIT_INIT_UPDATE_GOLDENS"

# This host's MemTotal as a summary line says it ("host MemTotal 7.76 GiB"): the digits are the
# host's, the words are the binary's.
MEM_TOTAL = re.compile(r"(?<=host MemTotal )\d+(\.\d+)? [KMGTPE]iB")
# The tail of a summary line: this host's cgroup memory limit and where it was read, or its
# MemTotal ("; no cgroup memory limit; host MemTotal 7.76 GiB").
HOST_MEMORY = re.compile(r"(?<=; )(?:no cgroup memory limit; host MemTotal|cgroup memory limit) "
                         r".*$", re.MULTILINE)
# A byte value in the binary's words ("7.76 GiB", "512 MiB", "100 bytes").
FIGURE = re.compile(r"\b(\d+)(?:\.(\d{1,2}))? (bytes|KiB|MiB|GiB|TiB|PiB|EiB)\b")
_UNITS = {"bytes": 1, "KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30, "TiB": 1 << 40,
          "PiB": 1 << 50, "EiB": 1 << 60}
# The warning a grant above this host's own cgroup memory limit draws (a line, or nothing on a
# host without one): host_memory() checks its figures and source and takes it out.
HOST_OOM_WARNING = re.compile(r"^rlimit-init: warning: (?:the address space granted|the inherited "
                              r"soft limit) \(.*\) is above the cgroup memory limit (.*) "
                              r"\((.*)\): past .*\n", re.MULTILINE)

Replacement = str | Callable[["re.Match[str]"], str]


def stands_for(figure: str, value: int | str) -> bool:
    """Whether `figure` ("7.76 GiB", "unlimited") can be what the binary writes for `value`
    bytes: the same unit's whole number, with at most two decimals cut (never rounded up)."""
    if figure == UNLIMITED or value == UNLIMITED:
        return figure == value
    found = FIGURE.fullmatch(figure)
    if found is None:
        return False
    whole, decimals, unit = found.group(1), found.group(2) or "", found.group(3)
    hundredths = int(whole) * 100 + int(decimals.ljust(2, "0") or 0)
    return (value * 100 // _UNITS[unit] == hundredths and value >= _UNITS[unit] // 1024 * 1024
            and (unit == "EiB" or value < _UNITS[unit] * 1024))


def value(number: int, name: str) -> dict[re.Pattern[str], Replacement]:
    """Placeholders for a byte value that belongs to this host (a share of its MemTotal): its
    figure becomes {NAME}, its byte count {NAME_bytes} and its KiB {NAME_kib}. Only a figure
    that stands for `number` is replaced, so any other value still differs from the golden."""
    return {FIGURE: lambda m: f"{{{name}}}" if stands_for(m.group(0), number) else m.group(0),
            re.compile(rf"\b{number}\b"): f"{{{name}_bytes}}",
            re.compile(rf"\b{number // 1024}\b"): f"{{{name}_kib}}"}


def host_memory(facts: HostMemory,
                oom_above: int | str | None = None) -> dict[re.Pattern[str], Replacement]:
    """Placeholders for this host's memory, each checked against `facts` (read from /proc and
    the cgroup files by expected.py) before it is replaced: the tail of a summary line becomes
    {host memory}; with `oom_above`, the grant of the run, the warning that a grant above the
    host's own cgroup memory limit draws is taken out where (and only where) the host has such
    a limit below the grant. The golden files are those of a host without a cgroup limit."""

    def tail(match: re.Match[str]) -> str:
        text = match.group(0)
        if facts.unknown is not None:
            expected = f"cgroup memory limit unknown ({facts.unknown}); host MemTotal "
        elif facts.limit == UNLIMITED:
            expected = "no cgroup memory limit; host MemTotal "
        else:
            figure, _, source = text.removeprefix("cgroup memory limit ").partition(" from ")
            if not (stands_for(figure, facts.limit) and source == facts.limit_source):
                pytest.fail(f"the binary says {text!r}, but the limit is {facts.limit} bytes "
                            f"from {facts.limit_source}", pytrace=False)
            return "{host memory}"
        if not (text.startswith(expected) and
                stands_for(text.removeprefix(expected), facts.mem_total)):
            pytest.fail(f"the binary says {text!r}, but {expected}is {facts.mem_total} bytes",
                        pytrace=False)
        return "{host memory}"

    def oom(match: re.Match[str]) -> str:
        figure, source = match.group(1), match.group(2)
        if not (oom_above is not None and _above(oom_above, facts) and
                stands_for(figure, facts.limit) and source == facts.limit_source):
            pytest.fail(f"a warning about a cgroup limit this host does not set below the grant "
                        f"({facts.limit} from {facts.limit_source!r}): {match.group(0)!r}",
                        pytrace=False)
        return ""

    def present(match: re.Match[str]) -> str:
        if oom_above is not None and _above(oom_above, facts) and \
                not HOST_OOM_WARNING.search(match.string):
            pytest.fail(f"no warning that the grant is above this host's cgroup memory limit "
                        f"({facts.limit} bytes from {facts.limit_source})", pytrace=False)
        return ""

    # \A matches once, at the start: `present` looks at the whole text and replaces nothing.
    return {re.compile(r"\A"): present, HOST_OOM_WARNING: oom, HOST_MEMORY: tail}


def _above(grant: int | str, facts: HostMemory) -> bool:
    if facts.unknown is not None or facts.limit == UNLIMITED:
        return False
    return grant == UNLIMITED or grant > facts.limit


def masked(text: str, replace: Mapping[str | re.Pattern[str], Replacement] | None) -> str:
    """`text` with each key of `replace` turned into its value, in order."""
    for actual, placeholder in (replace or {}).items():
        if isinstance(actual, re.Pattern):
            text = actual.sub(placeholder, text)
        else:
            text = text.replace(actual, placeholder)
    return text


def check(name: str, text: str,
          replace: Mapping[str | re.Pattern[str], Replacement] | None = None) -> None:
    """Compares `text`, with each key of `replace` turned into its value, with the golden file
    NAME; writes it instead under RLIMIT_INIT_UPDATE_GOLDENS=1. A pattern's value may be a
    function of the match (re.sub's), which checks the value it replaces."""
    text = masked(text, replace)
    path = GOLDEN / name
    if os.environ.get(UPDATE) == "1":
        if os.environ.get("RLIMIT_INIT_NO_SKIP") == "1":
            pytest.fail(f"{UPDATE}=1 with RLIMIT_INIT_NO_SKIP=1: CI compares the golden files, "
                        "it never writes them (scripts/update-goldens.sh does)", pytrace=False)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        return
    if not path.is_file():
        pytest.fail(f"no golden file {path.relative_to(GOLDEN.parents[2])}: write it with "
                    "scripts/update-goldens.sh and review the diff", pytrace=False)
    golden = path.read_text()
    if text != golden:
        diff = "".join(difflib.unified_diff(golden.splitlines(True), text.splitlines(True),
                                            f"golden/{name}", "printed"))
        pytest.fail(f"the text differs from golden/{name} (scripts/update-goldens.sh rewrites "
                    f"it; review the diff):\n{diff}", pytrace=False)


def check_json(name: str, document: Any,
               replace: Mapping[str | re.Pattern[str], Replacement] | None = None) -> None:
    """`check` for a parsed JSON document (or part of one), written indented, one key a line."""
    check(name, json.dumps(document, indent=2, ensure_ascii=False) + "\n", replace)

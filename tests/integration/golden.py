# SPDX-License-Identifier: Apache-2.0
"""Golden files: the exact text the real binary printed, kept under tests/fixtures/golden/ and
compared byte for byte, so that a message is written once (in src/report/ and src/advice/) and
its wording is reviewed as a diff of these files, not re-implemented in the tests.

    golden.check("rlimits_advice/refused-nofile-kubernetes.txt", result.stderr,
                 {str(policy): "{policy}"})

Values that belong to one run (a temporary path, this host's memory) are replaced by
`{placeholders}` before the comparison; everything else must match exactly. A key of `replace`
is a literal string or a compiled pattern (for a value whose digits belong to the host, such as
`MEM_TOTAL`). A JSON document is compared as `golden.check_json(name, parsed, replace)`, indented
with its keys in the binary's order. With
RLIMIT_INIT_UPDATE_GOLDENS=1 (scripts/update-goldens.sh) the text is written instead of
compared, and `git diff tests/fixtures/golden` shows what changed. CI (RLIMIT_INIT_NO_SKIP=1)
refuses to write them.
"""

from __future__ import annotations

import difflib
import json
import os
import re
from pathlib import Path
from typing import Any, Mapping

import pytest

GOLDEN = Path(__file__).resolve().parents[1] / "fixtures" / "golden"
UPDATE = "RLIMIT_INIT_UPDATE_GOLDENS"

# This host's MemTotal as a summary line says it ("host MemTotal 7.76 GiB"): the digits are the
# host's, the words are the binary's.
MEM_TOTAL = re.compile(r"(?<=host MemTotal )\d+(\.\d+)? [KMGTPE]iB")
# The tail of a summary line: this host's cgroup memory limit and where it was read, or its
# MemTotal ("; no cgroup memory limit; host MemTotal 7.76 GiB").
HOST_MEMORY = re.compile(r"(?<=; )(?:no cgroup memory limit; host MemTotal|cgroup memory limit) "
                         r".*$", re.MULTILINE)


def check(name: str, text: str,
          replace: Mapping[str | re.Pattern[str], str] | None = None) -> None:
    """Compares `text`, with each key of `replace` turned into its value, with the golden file
    NAME; writes it instead under RLIMIT_INIT_UPDATE_GOLDENS=1."""
    for actual, placeholder in (replace or {}).items():
        if isinstance(actual, re.Pattern):
            text = actual.sub(placeholder, text)
        else:
            text = text.replace(actual, placeholder)
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
               replace: Mapping[str | re.Pattern[str], str] | None = None) -> None:
    """`check` for a parsed JSON document (or part of one), written indented, one key a line."""
    check(name, json.dumps(document, indent=2, ensure_ascii=False) + "\n", replace)

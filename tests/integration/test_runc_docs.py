# SPDX-License-Identifier: Apache-2.0
"""docs/containers.md and README.md: the files they show are the files the runc tests run, and
every test they name exists in a tests/integration/test_runc*.py file."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from chart_render import REPO

DOCS = [REPO / "docs" / "containers.md", REPO / "README.md"]
# Files whose content the docs show as a copy-paste example, each under a "<!-- PATH -->" line.
DOCUMENTED_FILES = ["tests/runc/user-image/Dockerfile", "tests/runc/user-image/job.py",
                    "tests/runc/values/image-mode.yaml", "tests/runc/values/raise-soft.yaml"]


def documented_examples() -> list[tuple[Path, str, str]]:
    """(doc, file path, code block) for every fenced block right after a "<!-- PATH -->" line
    in the docs (docs/containers.md, and README.md once they are folded into it)."""
    found = []
    pattern = re.compile(r"^<!-- (\S+) -->\n```[a-z]*\n(.*?)^```$", re.MULTILINE | re.DOTALL)
    for doc in DOCS:
        if doc.is_file():
            found += [(doc, m.group(1), m.group(2)) for m in pattern.finditer(doc.read_text())]
    return found


def runc_test_names() -> set[str]:
    """The test functions defined at the top level of the test_runc*.py files."""
    return {node.name for path in Path(__file__).parent.glob("test_runc*.py")
            for node in ast.parse(path.read_text()).body
            if isinstance(node, ast.FunctionDef) and node.name.startswith("test_")}


def test_docs_show_the_tested_files_exactly() -> None:
    examples = documented_examples()
    assert sorted({path for _, path, _ in examples}) == DOCUMENTED_FILES
    for doc, path, block in examples:
        assert block == (REPO / path).read_text(), f"{doc.name} shows {path} out of date"


def test_docs_name_only_tests_that_exist() -> None:
    text = (REPO / "docs" / "containers.md").read_text()
    named = set(re.findall(r"`(test_[a-z0-9_]+)`", text))
    assert len(named) >= 10
    assert sorted(named - runc_test_names()) == []

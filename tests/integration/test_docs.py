# SPDX-License-Identifier: Apache-2.0
"""The README, CONTRIBUTING.md and docs/*.md as a reader follows them: every relative link
reaches a file and a heading that exist, and the README's Quick start is the two commands that
scripts/ci-fresh-root.sh runs in a fresh root (so CI proves exactly what a newcomer types)."""

from __future__ import annotations

import re
from pathlib import Path

from conftest import REPO

PAGES = [REPO / "README.md", REPO / "CONTRIBUTING.md", *sorted((REPO / "docs").glob("*.md"))]
LINK = re.compile(r"\]\(([^)\s]+)\)")


def headings(page: Path) -> set[str]:
    """GitHub's anchors for the page's headings (outside code blocks)."""
    found, fence = set(), False
    for line in page.read_text().splitlines():
        if line.startswith("```"):
            fence = not fence
        elif not fence and (m := re.match(r"#{1,6} (.*)", line)):
            found.add(re.sub(r"[^\w\- ]", "", m.group(1).strip().lower()).replace(" ", "-"))
    return found


def test_every_relative_link_reaches_a_file_and_a_heading() -> None:
    broken = []
    for page in PAGES:
        for target in LINK.findall(page.read_text()):
            if re.match(r"[a-z]+:", target):
                continue
            path, _, anchor = target.partition("#")
            linked = (page.parent / path).resolve() if path else page
            if not linked.exists():
                broken.append((page.name, target, "no such file"))
            elif anchor and (linked.suffix != ".md" or anchor not in headings(linked)):
                broken.append((page.name, target, "no such heading"))
    assert broken == []


def test_quick_start_is_the_two_commands_ci_runs_in_a_fresh_root() -> None:
    readme = (REPO / "README.md").read_text()
    section = readme.split("\n## Quick start\n", 1)[1].split("\n## ", 1)[0]
    block = section.split("```sh\n", 1)[1].split("```", 1)[0]
    assert [line.split("#")[0].strip() for line in block.splitlines()] == [
        "scripts/demo.sh", "scripts/test.sh"]
    fresh_root = (REPO / "scripts" / "ci-fresh-root.sh").read_text()
    assert re.findall(r"^(?:RLIMIT_INIT_NO_SKIP=1 )?(scripts/\w+\.sh)", fresh_root, re.M) == [
        "scripts/demo.sh", "scripts/test.sh"]

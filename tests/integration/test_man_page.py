# SPDX-License-Identifier: Apache-2.0
"""The manual page man/rlimit-init.1: `cmake --install` puts it beside the binary where man finds
it, it renders with man -l (man-db, installed by scripts/setup.sh --tests) without a groff
warning, and it documents every option, subcommand, environment variable and exit code that the
binary's own --help lists (generated from the option table in src/cli/). The policy's reference
is docs/policy.md, which test_docs.py holds to every policy key; the page points there."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import BINARY, REPO, clean_env, skip_unless

MAN_PAGE = REPO / "man" / "rlimit-init.1"


def require_man() -> None:
    skip_unless(shutil.which("man") is not None,
                "man is not installed: run scripts/setup.sh --tests (Debian package man-db)")


def render(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """man ARGS as plain text, 100 columns, no pager."""
    require_man()
    return subprocess.run(["man", "--warnings", *args], capture_output=True, text=True,
                          env=clean_env({"MANWIDTH": "100", "MAN_KEEP_FORMATTING": "",
                                         "MANPAGER": "cat", **(env or {})}),
                          check=False, timeout=60)


def sections(text: str) -> dict[str, str]:
    """The rendered page by section heading (lines at column 0 in capitals)."""
    found: dict[str, str] = {}
    heading = None
    for line in text.splitlines()[1:-1]:  # the header and footer lines
        if re.fullmatch(r"[A-Z][A-Z ]+", line):
            heading = line
            found[heading] = ""
        elif heading is not None:
            found[heading] += line + "\n"
    return found


@pytest.fixture(scope="module")
def page() -> dict[str, str]:
    done = render("-l", str(MAN_PAGE))
    assert (done.returncode, done.stderr) == (0, "")
    return sections(done.stdout)


@pytest.fixture(scope="module")
def help_text(built_binary) -> str:
    done = subprocess.run([str(BINARY), "--help"], capture_output=True, text=True,
                          env=clean_env(), check=True, timeout=60)
    return done.stdout


def test_page_has_the_usual_sections(page: dict[str, str]) -> None:
    assert list(page) == ["NAME", "SYNOPSIS", "DESCRIPTION", "COMMANDS", "OPTIONS",
                          "EXIT STATUS", "ENVIRONMENT", "FILES", "EXAMPLES", "SEE ALSO"]
    assert page["NAME"].strip() == (
        "rlimit-init - give a job the address space it asks for, or say which cap must change")


def test_every_option_of_help_is_documented(page: dict[str, str], help_text: str) -> None:
    options = help_text.split("\noptions:\n")[1].split("\n\n")[0]
    flags = re.findall(r"^ {2}(?:(-\w), )? *(--[a-z-]+)", options, re.MULTILINE)
    assert len(flags) >= 8
    # Each option is a tag line of its own in OPTIONS: "-p FILE, --policy FILE", "--as QUANTITY".
    tags = [line.strip() for line in page["OPTIONS"].splitlines()
            if re.match(r" {7}-", line)]
    for short, long in flags:
        assert any(re.search(rf"(^|, ){re.escape(long)}\b", tag) for tag in tags), long
        if short:
            assert any(tag.startswith(short + " ") or tag.startswith(short + ",")
                       for tag in tags), short
    assert len(tags) == len(flags)


def test_every_subcommand_of_help_is_documented(page: dict[str, str], help_text: str) -> None:
    usage = help_text.split("\n\n")[0]
    subcommands = re.findall(r"rlimit-init (check|measure|inspect|install|version|help)\b", usage)
    assert subcommands == ["check", "measure", "inspect", "install", "version", "help"]
    tags = {line.split()[0] for line in page["COMMANDS"].splitlines()
            if re.match(r" {7}[a-z]", line)}
    assert tags >= set(subcommands)
    for subcommand in subcommands:
        assert f"rlimit-init {subcommand}" in page["SYNOPSIS"]


def test_every_exit_code_of_help_is_documented(page: dict[str, str], help_text: str) -> None:
    codes = re.findall(r"^ {2}(\d+) ", help_text.split("\nexit codes:\n")[1], re.MULTILINE)
    assert codes == ["0", "64", "70", "73", "77", "78", "126", "127"]
    documented = re.findall(r"^ {7}(\d+)\b", page["EXIT STATUS"], re.MULTILINE)
    assert documented == codes


def test_every_environment_variable_is_documented(page: dict[str, str], help_text: str) -> None:
    variables = sorted(set(re.findall(r"RLIMIT_INIT_[A-Z_]+", help_text)))
    assert variables == ["RLIMIT_INIT_AS", "RLIMIT_INIT_HOST_ROOT", "RLIMIT_INIT_INIT",
                         "RLIMIT_INIT_LIMITS", "RLIMIT_INIT_POLICY"]
    documented = re.findall(r"^ {7}(RLIMIT_INIT_[A-Z_]+)$", page["ENVIRONMENT"], re.MULTILINE)
    assert documented == ["RLIMIT_INIT_POLICY", "RLIMIT_INIT_AS", "RLIMIT_INIT_LIMITS",
                          "RLIMIT_INIT_INIT",
                          "RLIMIT_INIT_HOST_ROOT"]


def test_every_docs_page_it_names_exists(page: dict[str, str]) -> None:
    """The reference lives in docs/: the page names its files, and each one is there."""
    named = re.findall(r"docs/[\w-]+\.md", "".join(page.values()))
    assert "docs/policy.md" in named
    assert [name for name in named if not (REPO / name).is_file()] == []


def test_page_names_the_binarys_version(built_binary) -> None:
    done = subprocess.run([str(BINARY), "--version"], capture_output=True, text=True,
                          env=clean_env(), check=True, timeout=60)
    version = done.stdout.split()[1]
    header = next(line for line in MAN_PAGE.read_text().splitlines() if line.startswith(".TH"))
    assert f'"rlimit-init {version}"' in header


def test_cmake_install_puts_binary_and_page_where_man_finds_them(tmp_path: Path,
                                                                 built_binary) -> None:
    build = BINARY.parent
    skip_unless((build / "cmake_install.cmake").is_file(),
                f"{build} is not a CMake build directory")
    done = subprocess.run(["cmake", "--install", str(build), "--prefix", str(tmp_path)],
                          capture_output=True, text=True, check=False, timeout=120)
    assert done.returncode == 0, done.stderr
    installed = sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if p.is_file())
    assert installed == ["bin/rlimit-init", "share/man/man1/rlimit-init.1"]
    assert (tmp_path / "bin" / "rlimit-init").read_bytes() == BINARY.read_bytes()
    assert os.access(tmp_path / "bin" / "rlimit-init", os.X_OK)
    # `man rlimit-init` with the prefix on MANPATH, as for /usr/local.
    done = render("rlimit-init", env={"MANPATH": str(tmp_path / "share" / "man")})
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout.splitlines()[0].split() == ["RLIMIT-INIT(1)", "User", "Commands",
                                                   "RLIMIT-INIT(1)"]

# SPDX-License-Identifier: Apache-2.0
"""scripts/release.sh, what a user gets without building: the tarball unpacks to a working
binary and its manual page, the .deb passes dpkg-deb's and lintian's checks, installs with dpkg
into a separate root, runs there and removes cleanly, and SHA256SUMS verifies both.

Runs the release script on the binary under test (RLIMIT_INIT_BIN). Needs root (dpkg --root),
dpkg-deb, man and lintian (scripts/setup.sh --tests installs man-db and lintian); without them
the tests skip saying why, and fail instead where RLIMIT_INIT_NO_SKIP=1 (CI).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tarfile
from pathlib import Path

import pytest

import golden
from conftest import BINARY, REPO, TIMEOUT, clean_env, require_root, skip_unless
from expected import HostMemory, source_commit

pytestmark = [pytest.mark.static_binary]

RELEASE = REPO / "scripts" / "release.sh"
VERSION = re.search(r"^project\(rlimit-init VERSION (\S+)$",
                    (REPO / "CMakeLists.txt").read_text(), re.MULTILINE).group(1)
ARCH = subprocess.run(["dpkg", "--print-architecture"], capture_output=True, text=True,
                      check=True).stdout.strip()
TOP = f"rlimit-init-{VERSION}-linux-{ARCH}"
TARBALL = f"{TOP}.tar.gz"
DEB = f"rlimit-init_{VERSION}-1_{ARCH}.deb"
MIB = 1024 * 1024


def sh(*argv: str | Path, cwd: Path | None = None, env: dict[str, str] | None = None,
       check: bool = True) -> subprocess.CompletedProcess:
    done = subprocess.run([str(a) for a in argv], capture_output=True, text=True, cwd=cwd,
                          env=clean_env(env), timeout=TIMEOUT * 3, check=False)
    if check:
        assert done.returncode == 0, f"{argv}: {done.stdout}{done.stderr}"
    return done


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory, built_binary) -> Path:
    out = tmp_path_factory.mktemp("dist")
    done = sh(RELEASE, "--binary", BINARY, out)
    assert done.stdout == f"release: wrote {TARBALL}, {DEB} and SHA256SUMS in {out}\n"
    return out


def test_release_writes_the_archive_the_deb_and_their_checksums(dist: Path) -> None:
    assert sorted(p.name for p in dist.iterdir()) == sorted([TARBALL, DEB, "SHA256SUMS"])
    done = sh("sha256sum", "--check", "SHA256SUMS", cwd=dist)
    assert done.stdout == f"{TARBALL}: OK\n{DEB}: OK\n"


def test_checksums_catch_a_changed_byte(dist: Path, tmp_path: Path) -> None:
    for name in (TARBALL, DEB, "SHA256SUMS"):
        shutil.copy(dist / name, tmp_path / name)
    data = bytearray((tmp_path / DEB).read_bytes())
    data[len(data) // 2] ^= 1
    (tmp_path / DEB).write_bytes(bytes(data))
    done = sh("sha256sum", "--check", "SHA256SUMS", cwd=tmp_path, check=False)
    assert (done.returncode, done.stdout) == (1, f"{TARBALL}: OK\n{DEB}: FAILED\n")


def test_the_same_binary_gives_the_same_bytes(dist: Path, tmp_path: Path) -> None:
    sh(RELEASE, "--binary", BINARY, tmp_path)
    assert (tmp_path / "SHA256SUMS").read_text() == (dist / "SHA256SUMS").read_text()


def run_installed(binary: Path, host: HostMemory) -> None:
    """The installed binary says its version and decides for real under a 256 MiB limit."""
    # The binary under test, packaged: the version and commit it was built from.
    golden.check("image/version.txt", sh(binary, "--version").stdout,
                 {source_commit(): "{revision}", VERSION: "{project version}"})
    done = sh("prlimit", f"--as={256 * MIB}:unlimited", binary, "--as", "512Mi", "--",
              "sh", "-c", "ulimit -v")
    assert done.stdout == "524288\n"
    golden.check("release/raised-from-256-mib-to-512-mib.txt", done.stderr,
                 golden.host_memory(host, 512 * MIB))


def render_man(page: Path) -> str:
    skip_unless(shutil.which("man") is not None,
                "man is not installed: run scripts/setup.sh --tests (Debian package man-db)")
    done = sh("man", "--warnings", "-l", page, env={"MANWIDTH": "100", "MANPAGER": "cat"})
    assert done.stderr == ""
    return done.stdout


def test_tarball_unpacks_to_a_working_binary_and_its_manual(dist: Path, tmp_path: Path,
                                                            host: HostMemory) -> None:
    with tarfile.open(dist / TARBALL) as archive:
        members = {m.name: m for m in archive.getmembers()}
        assert sorted(members) == [TOP, *(f"{TOP}/{p}" for p in sorted([
            "CHANGELOG.md", "LICENSE", "README.md", "bin", "bin/rlimit-init", "share",
            "share/man", "share/man/man1", "share/man/man1/rlimit-init.1"]))]
        assert {(m.uid, m.gid) for m in members.values()} == {(0, 0)}
        assert members[f"{TOP}/bin/rlimit-init"].mode == 0o755
    sh("tar", "-xzf", dist / TARBALL, "-C", tmp_path)  # as the README tells users
    binary = tmp_path / TOP / "bin" / "rlimit-init"
    described = sh("file", "-b", binary).stdout
    assert "statically linked" in described and ", stripped" in described
    # Its size is the budget test's (test_budget.py: at most 2.5 MiB stripped), stated there once.
    run_installed(binary, host)
    page = render_man(tmp_path / TOP / "share" / "man" / "man1" / "rlimit-init.1")
    assert page.splitlines()[0].split()[0] == "RLIMIT-INIT(1)"


DEB_FILES = [
    ("drwxr-xr-x", "./"), ("drwxr-xr-x", "./usr/"), ("drwxr-xr-x", "./usr/bin/"),
    ("-rwxr-xr-x", "./usr/bin/rlimit-init"), ("drwxr-xr-x", "./usr/share/"),
    ("drwxr-xr-x", "./usr/share/doc/"), ("drwxr-xr-x", "./usr/share/doc/rlimit-init/"),
    ("-rw-r--r--", "./usr/share/doc/rlimit-init/changelog.Debian.gz"),
    ("-rw-r--r--", "./usr/share/doc/rlimit-init/changelog.gz"),
    ("-rw-r--r--", "./usr/share/doc/rlimit-init/copyright"),
    ("drwxr-xr-x", "./usr/share/lintian/"), ("drwxr-xr-x", "./usr/share/lintian/overrides/"),
    ("-rw-r--r--", "./usr/share/lintian/overrides/rlimit-init"),
    ("drwxr-xr-x", "./usr/share/man/"), ("drwxr-xr-x", "./usr/share/man/man1/"),
    ("-rw-r--r--", "./usr/share/man/man1/rlimit-init.1.gz"),
]


def test_deb_control_fields_and_contents(dist: Path) -> None:
    fields = {name: sh("dpkg-deb", "--field", dist / DEB, name).stdout.strip() for name in (
        "Package", "Version", "Architecture", "Section", "Priority", "Homepage", "Depends")}
    assert fields == {"Package": "rlimit-init", "Version": f"{VERSION}-1", "Architecture": ARCH,
                      "Section": "admin", "Priority": "optional",
                      "Homepage": "https://github.com/rlimit-init/rlimit-init", "Depends": ""}
    listing = [line.split() for line in sh("dpkg-deb", "--contents", dist / DEB)
               .stdout.splitlines()]
    assert [(row[0], row[-1]) for row in listing] == DEB_FILES
    assert {row[1] for row in listing} == {"root/root"}
    info = sh("dpkg-deb", "--info", dist / DEB).stdout
    assert " control " in info and "postinst" not in info  # no maintainer scripts


def test_deb_installs_into_a_root_runs_and_removes_cleanly(dist: Path, tmp_path: Path,
                                                          host: HostMemory) -> None:
    require_root("dpkg --root")
    root = tmp_path / "root"
    for directory in ("var/lib/dpkg/info", "var/lib/dpkg/updates"):
        (root / directory).mkdir(parents=True)
    (root / "var/lib/dpkg/status").touch()
    dpkg = ["dpkg", f"--root={root}", "--log=/dev/null"]
    sh(*dpkg, "--install", dist / DEB)
    status = sh(*dpkg, "--status", "rlimit-init").stdout
    assert "Status: install ok installed\n" in status
    assert f"Version: {VERSION}-1\n" in status
    run_installed(root / "usr" / "bin" / "rlimit-init", host)
    render_man(root / "usr" / "share" / "man" / "man1" / "rlimit-init.1.gz")
    sh(*dpkg, "--remove", "rlimit-init")
    left = [p for p in root.rglob("*") if not p.is_dir() and "var/lib/dpkg" not in str(p)]
    assert left == []


def test_lintian_finds_nothing_but_the_two_reasoned_overrides(dist: Path) -> None:
    skip_unless(shutil.which("lintian") is not None,
                "lintian is not installed: run scripts/setup.sh --tests")
    done = sh("lintian", "--fail-on", "error,warning", dist / DEB, check=False)
    assert (done.returncode, done.stdout) == (0, ""), done.stdout + done.stderr
    done = sh("lintian", "--show-overrides", dist / DEB, check=False)
    assert [line for line in done.stdout.splitlines() if not line.startswith("N:")] == [
        "O: rlimit-init: initial-upload-closes-no-bugs "
        "[usr/share/doc/rlimit-init/changelog.Debian.gz:1]",
        "O: rlimit-init: statically-linked-binary [usr/bin/rlimit-init]"]


def test_release_refuses_a_binary_that_is_not_static(tmp_path: Path) -> None:
    done = sh(RELEASE, "--binary", "/bin/true", tmp_path, check=False)
    assert (done.returncode, done.stderr) == (
        1, "release: /bin/true is not statically linked\n")
    assert list(tmp_path.iterdir()) == []

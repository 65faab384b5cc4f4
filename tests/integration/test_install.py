# SPDX-License-Identifier: Apache-2.0
"""`rlimit-init install DIR`, the init-container step: an atomic copy of the running binary to
DIR/rlimit-init, mode 0755, and a clear exit 73 when DIR cannot take it. Real filesystems:
read-only and full ones are tmpfs mounts made for the test (root)."""
from __future__ import annotations

import filecmp
import os
import stat
import subprocess
from pathlib import Path

import pytest

import golden
from rlimit_json import parse as parse_json
from conftest import BINARY, NOBODY, Runner, skip_unless
from expected import project_version, source_commit


@pytest.fixture
def install(run: Runner):
    def installer(directory, *extra):
        return run(["install", str(directory), *extra])
    return installer


@pytest.fixture
def tmpfs(tmp_path):
    """Mounts a tmpfs with the given options; unmounted afterwards."""
    mounted = []

    def mount(options: str) -> Path:
        skip_unless(os.geteuid() == 0, "mounting a tmpfs needs root")
        point = tmp_path / f"mnt{len(mounted)}"
        point.mkdir()
        subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(point)], check=True)
        mounted.append(point)
        return point

    yield mount
    for point in mounted:
        subprocess.run(["umount", str(point)], check=True)


def test_installs_an_identical_executable_copy(install, tmp_path):
    done = install(tmp_path)
    target = tmp_path / "rlimit-init"
    assert (done.returncode, done.stdout) == (0, "")
    golden.check("install/installed.txt", done.stderr, {str(tmp_path): "{dir}"})
    assert stat.S_IMODE(target.stat().st_mode) == 0o755
    assert filecmp.cmp(target, BINARY, shallow=False)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rlimit-init"]


def test_installed_copy_runs_for_a_non_root_user(install, run: Runner, workdir: Path):
    install(workdir)
    done = run(["--version"], user=NOBODY, binary=workdir / "rlimit-init")
    assert (done.returncode, done.stderr) == (0, "")
    golden.check("image/version.txt", done.stdout,
                 {source_commit(): "{revision}", project_version(): "{project version}"})


def test_replaces_an_existing_file_and_quiet_says_nothing(install, tmp_path):
    target = tmp_path / "rlimit-init"
    target.write_text("old")
    os.chmod(target, 0o600)
    done = install(tmp_path, "-q")
    assert (done.returncode, done.stderr) == (0, "")
    assert filecmp.cmp(target, BINARY, shallow=False)
    assert stat.S_IMODE(target.stat().st_mode) == 0o755


def test_json_says_what_was_installed(install, tmp_path):
    done = install(tmp_path, "-o", "json")
    assert (done.returncode, done.stdout) == (0, "")
    assert parse_json(done.stderr) == {"outcome": "installed",
                                       "path": str(tmp_path / "rlimit-init"), "mode": "0755"}
    assert filecmp.cmp(tmp_path / "rlimit-init", BINARY, shallow=False)


def test_json_failure_is_the_error_document(install):
    done = install("/nonexistent-rlimit-init-dir", "-o", "json")
    assert (done.returncode, done.stdout) == (73, "")
    golden.check_json("install/missing-directory.json", parse_json(done.stderr))


def test_missing_directory_is_exit_73(install):
    done = install("/nonexistent-rlimit-init-dir")
    assert (done.returncode, done.stdout) == (73, "")
    golden.check("install/missing-directory.txt", done.stderr)


def test_read_only_filesystem_is_exit_73(install, tmpfs):
    point = tmpfs("ro,size=1m")
    done = install(point)
    assert (done.returncode, done.stdout) == (73, "")
    golden.check("install/read-only-filesystem.txt", done.stderr, {str(point): "{dir}"})


def test_full_filesystem_is_exit_73_and_leaves_nothing_behind(install, tmpfs):
    point = tmpfs("size=64k")
    done = install(point)
    assert (done.returncode, done.stdout) == (73, "")
    golden.check("install/full-filesystem.txt", done.stderr, {str(point): "{dir}"})
    assert list(point.iterdir()) == []


def test_install_needs_exactly_one_directory(run: Runner):
    done = run(["install"])
    assert (done.returncode, done.stdout) == (64, "")
    golden.check("install/without-a-directory.txt", done.stderr)


def test_control_characters_in_dir_are_escaped_like_every_message(install, tmp_path):
    """Issue 22.8: DIR reached the terminal raw, so ESC sequences and newlines in it could
    forge lines or drive the terminal."""
    hostile = tmp_path / "a\nrlimit-init: forged\x1b[2J"
    missing = install(hostile)
    assert (missing.returncode, missing.stdout) == (73, "")
    hostile.mkdir()
    done = install(hostile)
    assert (done.returncode, done.stdout) == (0, "")
    assert (hostile / "rlimit-init").is_file()
    # The golden file shows the forged name as the binary escaped it, on one line each.
    golden.check("install/escaped-directory.txt", missing.stderr + done.stderr,
                 {str(tmp_path): "{dir}"})

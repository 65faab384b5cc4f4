# SPDX-License-Identifier: Apache-2.0
"""Output that can be trusted and work that is bounded, against the real binary: every message
is one line per fact (control characters escaped), valid UTF-8 (also as JSON), and quotes at
most a short excerpt of what a file or the policy holds; a report never says "raised" about a
limit the kernel refused; deep cgroup paths, many mounts and a huge mountinfo cost linear work
in bounded memory, and a cut mountinfo is said. docs/faults.md."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

import golden
from rlimit_json import parse as parse_json
from conftest import (AS_UNLIMITED, REPO, TIMEOUT, Runner, clean_env, command_line,
                      marker_workload, policy, write_policy)

HOSTS = REPO / "tests" / "fixtures" / "hosts"
LEAF = "/sys/fs/cgroup/batch.slice/batch-nightly.slice/memory.max"
CGROUP2_MOUNT = "30 1 0:26 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw,nsdelegate\n"


def host_copy(workdir: Path, name: str) -> Path:
    root = workdir / name
    shutil.copytree(HOSTS / name, root, symlinks=True)
    return root


def run_bytes(args: list[str], **kwargs) -> subprocess.CompletedProcess:
    """Runs the binary keeping its output as bytes, to check what encoding it really has."""
    return subprocess.run(command_line(args, **kwargs), stdin=subprocess.DEVNULL,
                          capture_output=True, env=clean_env(), timeout=TIMEOUT)


# --- one line per message -----------------------------------------------------------------------

def test_a_newline_in_a_policy_value_cannot_forge_a_line(run: Runner, workdir: Path) -> None:
    path = write_policy(workdir, policy('"4gi\\nrlimit-init: raised everything"'))
    result = run(["check", "-p", str(path)])
    assert (result.returncode, result.stdout.count("\n")) == (78, 1)
    golden.check("faults_output/newline-in-a-policy-value.txt", result.stdout,
                 {str(path): "{policy}"})


def test_a_long_policy_value_is_quoted_as_an_excerpt(run: Runner, workdir: Path) -> None:
    path = write_policy(workdir, policy("x" * 200_000))
    result = run(["check", "-p", str(path)])
    assert result.returncode == 78
    golden.check("faults_output/long-policy-value.txt", result.stdout, {str(path): "{policy}"})


def test_a_huge_limit_file_is_quoted_as_an_excerpt(workdir: Path) -> None:
    """Before: the whole first MiB of the file in the warning, 8 MB of JSON with -v."""
    root = host_copy(workdir, "v2-nested")
    (root / LEAF[1:]).write_text("1" * (8 << 20))
    result = run_bytes(["check", "--as", "512Mi", "-o", "json", "--host-root", str(root)],
                       prefix=AS_UNLIMITED)
    assert result.returncode == 0, result.stdout
    assert len(result.stdout) < 4096
    golden.check_json("faults_output/huge-limit-file.json", parse_json(result.stdout))


# Issue 22: U+2028 and U+2029 (line breaks to YAML 1.1 and to some terminals) and characters that
# do not show are written as \\uXXXX in every message; U+0085, a C1 control, as its bytes.
def test_hidden_characters_in_an_echoed_command_are_named(run: Runner) -> None:
    command = "/no/such\u2028rlimit-init: raised\u200b\u2029\x85"
    result = run(["-q", "--as", "512Mi", "--", command])
    assert (result.returncode, result.stdout) == (127, "")
    golden.check("faults_output/hidden-characters-in-a-command.txt", result.stderr)


# The recommended policy names the measured command in a comment and its processes in others:
# a YAML 1.1 reader (PyYAML) must read the file as rlimit-init does, not end a comment at a
# U+2028 in a program's name and take the rest for YAML.
def test_a_recommended_policy_reads_the_same_in_yaml_1_1(run: Runner, workdir: Path) -> None:
    program = workdir / "job\u2028apiVersion: v2\u0085\u2029"
    program.symlink_to(shutil.which("true"))
    recommended = workdir / "recommended.yaml"
    result = run(["measure", "--recommend", str(recommended), "--", str(program)])
    assert result.returncode == 0, result.stderr
    text = recommended.read_text()
    assert "\u2028" not in text and "\u2029" not in text and "\x85" not in text
    # The spelling of the escape (\\u2028 from Printable, \\xe2\\x80\\xa8 byte by byte) is the
    # writer's to choose; the name must still be there, on one comment line.
    assert "job\\" in text and "apiVersion: v2" in text
    read = yaml.safe_load(text)
    assert (read["apiVersion"], sorted(read)) == (
        "rlimit-init/v1", ["addressSpace", "apiVersion", "env", "limits", "memory"])
    check = run(["check", "-q", "-p", str(recommended), "--as", "hard"])
    assert (check.returncode, check.stdout, check.stderr) == (0, "", "")


# --- valid UTF-8 --------------------------------------------------------------------------------

def test_json_is_valid_utf8_for_a_policy_path_that_is_not(workdir: Path) -> None:
    path = os.fsencode(workdir) + b"/p\xff\xfe.yaml"
    with open(path, "w") as f:
        f.write(policy("4gi"))
    result = run_bytes([b"check", b"-o", b"json", b"-p", path])
    assert result.returncode == 78
    report = parse_json(result.stdout.decode("utf-8"))  # strict: a bad byte raises
    golden.check_json("faults_output/policy-path-not-utf8.json", report,
                      {str(workdir): "{workdir}"})


def test_text_and_json_escape_a_host_file_that_is_not_utf8(workdir: Path) -> None:
    root = host_copy(workdir, "v2-nested")
    (root / LEAF[1:]).write_bytes(b"\xff\xfe\x1b[2J\n")
    text = run_bytes(["check", "--as", "512Mi", "--host-root", str(root)], prefix=AS_UNLIMITED)
    assert text.returncode == 0
    golden.check("faults_output/host-file-not-utf8.txt", text.stdout.decode("utf-8"))
    as_json = run_bytes(["check", "--as", "512Mi", "-o", "json", "--host-root", str(root)],
                        prefix=AS_UNLIMITED)
    report = parse_json(as_json.stdout.decode("utf-8"))
    golden.check_json("faults_output/host-file-not-utf8.json", report)


# --- what happened, not what was planned ----------------------------------------------------------

@pytest.mark.sets_rlimit_as
def test_a_refused_setrlimit_is_reported_without_raised(run: Runner, workdir: Path,
                                                        nobody_binary: Path) -> None:
    """The host root claims CAP_SYS_RESOURCE, so rlimit-init decides to raise the hard limit;
    the kernel refuses (the test machine's root lacks it, and so does nobody)."""
    root = host_copy(workdir, "v2-nested")
    (root / "proc/self/status").write_text("Name:\trlimit-init\nCapEff:\tffffffffffffffff\n")
    (root / "proc/self/uid_map").write_text("         0          0 4294967295\n")
    path = write_policy(workdir, policy("1Gi", raiseHard="true"))
    workload, marker = marker_workload(workdir)
    result = run(["-p", str(path), "--host-root", str(root)] + workload,
                 as_limit=(256 << 20, 512 << 20), user=65534, binary=nobody_binary)
    assert (result.returncode, result.stdout) == (70, "")
    golden.check("faults_output/refused-setrlimit.txt", result.stderr)
    assert not marker.exists()


# --- bounded work -------------------------------------------------------------------------------

def cgroup2_host(workdir: Path, cgroup_path: str, mountinfo: str) -> Path:
    root = workdir / "host"
    (root / "proc/self").mkdir(parents=True)
    (root / "proc/self/cgroup").write_text(f"0::{cgroup_path}\n")
    (root / "proc/self/mountinfo").write_text(mountinfo)
    (root / "sys/fs/cgroup").mkdir(parents=True)
    return root


@pytest.mark.sets_rlimit_as
def test_a_deep_cgroup_path_costs_little_memory(run: Runner, workdir: Path) -> None:
    """16,000 components: before, 681 MB (a string per ancestor, a note per unreadable file);
    now within a 64 MiB hard RLIMIT_AS, and the notes are bounded."""
    depth = 16_000
    root = cgroup2_host(workdir, "/c" * depth, CGROUP2_MOUNT)
    (root / "sys/fs/cgroup/c").mkdir()
    (root / "sys/fs/cgroup/c/memory.max").write_text("4294967296\n")
    result = run(["check", "--as", "16Mi", "-o", "json", "--host-root", str(root)],
                 as_limit=(64 << 20, 64 << 20))
    assert result.returncode == 0, result.stdout[:2000]
    report = parse_json(result.stdout)
    # /c's 4 GiB is read, but a deeper level may hold a lower limit: unknown.
    assert (report["memory_limit_bytes"], report["memory_limit_unknown"]) == (None, (
        f"the cgroup directory is {len('/sys/fs/cgroup') + 2 * depth} bytes long: the files of "
        "its levels past PATH_MAX (4096 bytes) were not read, so their limits are not known"))
    assert len(report["warnings"]) <= 18
    assert len(result.stdout) < 64 << 10


def test_many_mounts_and_a_long_cgroup_path_do_not_multiply(run: Runner, workdir: Path) -> None:
    """30,000 cgroup2 mounts none of which holds a 600 KB cgroup path: before, each mount
    scanned the whole path (about 4 minutes, past the harness's timeout)."""
    mounts = "".join(f"{100 + i} 1 0:26 /other{i} /mnt/c{i} rw - cgroup2 cgroup2 rw\n"
                     for i in range(30_000))
    root = cgroup2_host(workdir, "/a" * 300_000, mounts)
    result = run(["check", "--as", "512Mi", "-o", "json", "--host-root", str(root)])
    assert result.returncode == 0, result.stdout[:2000]
    report = parse_json(result.stdout)
    assert report["memory_limit_bytes"] is None
    assert report["memory_limit_unknown"].startswith("cgroup /a/a/a")
    assert report["memory_limit_unknown"].endswith(
        " is not below the root /other0 of the cgroup mount at /mnt/c0")


def filler_mounts(count: int) -> str:
    return "".join(f"{100 + i} 1 0:{50 + i % 200} / /srv/volumes/pod-{i:06d}/data rw,relatime "
                   f"shared:{i} - ext4 /dev/vdb{i % 8} rw\n" for i in range(count))


@pytest.mark.sets_rlimit_as
def test_a_cgroup_mount_after_a_mebibyte_of_mountinfo_is_seen(run: Runner,
                                                              workdir: Path) -> None:
    """Before: mountinfo was cut at 1 MiB without a word, the cgroup2 line after 12,000 mounts
    was never seen, and 6 GiB were granted over a 4 GiB limit."""
    mountinfo = filler_mounts(12_000) + CGROUP2_MOUNT
    assert len(mountinfo) > 1 << 20
    root = cgroup2_host(workdir, "/job", mountinfo)
    (root / "sys/fs/cgroup/job").mkdir()
    (root / "sys/fs/cgroup/job/memory.max").write_text("4294967296\n")
    path = write_policy(workdir, policy("6Gi", aboveCgroup="refuse"))
    result = run(["check", "-p", str(path), "-o", "json", "--host-root", str(root)],
                 as_limit=(1 << 30, "unlimited"))
    assert result.returncode == 77, result.stdout
    report = parse_json(result.stdout)
    assert (report["memory_limit_bytes"], report["memory_limit_source"]) == (
        4 << 30, "/sys/fs/cgroup/job/memory.max")


def test_a_mountinfo_past_its_bound_is_said_to_be_cut(run: Runner, workdir: Path) -> None:
    mountinfo = filler_mounts(200_000) + CGROUP2_MOUNT
    assert len(mountinfo) > 16 << 20
    root = cgroup2_host(workdir, "/job", mountinfo)
    # The inherited RLIMIT_AS is pinned (unlimited) like the host: the whole decision is fixed.
    result = run(["check", "--as", "512Mi", "-o", "json", "--host-root", str(root)],
                 prefix=AS_UNLIMITED)
    assert result.returncode == 0, result.stdout
    golden.check_json("faults_output/mountinfo-past-its-bound.json", parse_json(result.stdout))

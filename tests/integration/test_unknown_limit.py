# SPDX-License-Identifier: Apache-2.0
"""An unknown cgroup memory limit, made for real: the process sits in a v1 memory cgroup that
the only memory mount it can see does not show (automaxprocs' "untranslatable" cgroup). In a
private mount namespace a sub-directory of the writable v1 hierarchy, <unique>/a, is bound
over the memory mount, so that mountinfo's root is /<unique>/a, while the process sits in
/<unique>/b, whose real limit is 1 GiB. rlimit-init must not take that for "no limit"."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

import golden
from rlimit_json import parse as parse_json
from conftest import (KUBERNETES, TIMEOUT, Runner, marker_workload, policy, require_root,
                      skip_unless, write_policy)
from expected import GIB, MIB, UNLIMITED, v1_memory_mounts

pytestmark = pytest.mark.sets_rlimit_as

SOFT = 256 * MIB  # every run inherits this soft RLIMIT_AS, hard unlimited
REAL_LIMIT = GIB  # the limit of the cgroup the process really sits in


@dataclass(frozen=True)
class Untranslatable:
    mount_point: str  # where the v1 memory hierarchy is mounted, on the host and in the namespace
    shown: str       # /<unique>/a: the root of the memory mount the process sees
    cgroup: str      # /<unique>/b: the process's cgroup, not below `shown`
    prefix: list[str]  # runs a command so
    unique: str      # <unique>

    def placeholders(self, policy: Path | None = None) -> dict:
        """What belongs to this run in the binary's words: the unique name, the mount point, the
        policy's path and this host's MemTotal."""
        found = {self.unique: "{unique}", self.mount_point: "{mount_point}",
                 golden.MEM_TOTAL: "{mem_total}"}
        if policy is not None:
            found = {str(policy): "{policy}", **found}
        return found


@pytest.fixture
def untranslatable(workdir: Path) -> Iterator[Untranslatable]:
    require_root("a private mount namespace and cgroup v1 memory cgroups")
    skip_unless(shutil.which("unshare") is not None, "unshare (util-linux) is not installed")
    mounts = [m for m in v1_memory_mounts() if m.root == "/"]
    skip_unless(bool(mounts), "needs a cgroup v1 memory hierarchy mounted with root / "
                              "(none in /proc/self/mountinfo)")
    mount_point = mounts[0].mount_point
    unique = f"rlimit-init-unknown-{os.getpid()}-{os.urandom(4).hex()}"
    top = Path(mount_point, unique)
    try:
        top.mkdir()
    except OSError as error:
        pytest.skip(f"needs a writable cgroup v1 memory hierarchy: mkdir {top}: {error}")
    (top / "a").mkdir()
    (top / "b").mkdir()
    (top / "b" / "memory.limit_in_bytes").write_text(str(REAL_LIMIT))
    stage = workdir / "stage"
    stage.mkdir()
    # Join b, bind a onto a staging directory, take the hierarchy's own mount away and move
    # the bind into its place: the namespace then has one memory mount, with root /<unique>/a.
    script = ('echo $$ > "$1/b/cgroup.procs" && mount --bind "$1/a" "$2" && '
              'umount -l "$3" && mount --move "$2" "$3" && shift 3 && exec "$@"')
    prefix = ["unshare", "--mount", "--propagation", "private", "sh", "-c", script, "sh",
              str(top), str(stage), mount_point]
    yield Untranslatable(mount_point, f"/{unique}/a", f"/{unique}/b", prefix, unique)
    # Every process run inside has exited, so b is empty again.
    for directory in (top / "b", top / "a", top):
        directory.rmdir()


def in_namespace(setup: Untranslatable, command: list[str]) -> str:
    done = subprocess.run(setup.prefix + command, capture_output=True, text=True,
                          timeout=TIMEOUT)
    assert (done.returncode, done.stderr) == (0, ""), done
    return done.stdout


def test_the_namespace_really_shows_a_cgroup_outside_the_mount_root(
        untranslatable: Untranslatable) -> None:
    cgroup = in_namespace(untranslatable, ["cat", "/proc/self/cgroup"])
    memory_lines = [line for line in cgroup.splitlines() if ":memory:" in line]
    assert [line.split(":", 2)[2] for line in memory_lines] == [untranslatable.cgroup]
    mountinfo = in_namespace(untranslatable, ["cat", "/proc/self/mountinfo"])
    memory_mounts = [line.split(" ") for line in mountinfo.splitlines()
                     if line.endswith(",memory") and " - cgroup " in line]
    assert [(fields[3], fields[4]) for fields in memory_mounts] == [
        (untranslatable.shown, untranslatable.mount_point)]


def check(run: Runner, setup: Untranslatable, args: list[str]) -> subprocess.CompletedProcess:
    return run(["check"] + args, as_limit=(SOFT, UNLIMITED), prefix=setup.prefix,
               env=KUBERNETES)


def test_without_the_bind_mount_the_same_cgroup_has_its_limit(run: Runner,
                                                              untranslatable: Untranslatable
                                                              ) -> None:
    """The control: joined without the bind mount, b's 1 GiB binds. With it, that 1 GiB is
    still the kernel's limit, which is why "no limit" would be a wrong guess."""
    top = Path(untranslatable.mount_point + untranslatable.cgroup).parent
    join = ["sh", "-c", 'echo $$ > "$0" && exec "$@"', str(top / "b" / "cgroup.procs")]
    done = run(["check", "--as", "512Mi", "-o", "json"], as_limit=(SOFT, UNLIMITED),
               prefix=join, env=KUBERNETES)
    assert done.returncode == 0, done
    report = parse_json(done.stdout)
    assert (report["memory_limit_bytes"], report["memory_limit_source"],
            report["memory_limit_unknown"]) == (
        REAL_LIMIT, f"{top}/b/memory.limit_in_bytes", None)


def test_check_says_the_limit_is_unknown_and_why(run: Runner,
                                                 untranslatable: Untranslatable) -> None:
    done = check(run, untranslatable, ["--as", "512Mi"])
    assert (done.returncode, done.stderr) == (0, "")
    golden.check("unknown_limit/check-raises-with-a-warning.txt", done.stdout,
                 untranslatable.placeholders())


def test_json_has_no_limit_bytes_and_the_reason(run: Runner,
                                                untranslatable: Untranslatable) -> None:
    done = check(run, untranslatable, ["--as", "512Mi", "-o", "json"])
    assert (done.returncode, done.stderr) == (0, "")
    report = parse_json(done.stdout)
    assert (report["soft_before"], report["soft_after"], report["memory_limit_bytes"],
            report["memory_ceiling_bytes"]) == (SOFT, 512 * MIB, None, None)
    golden.check_json("unknown_limit/check-raises-with-a-warning.json", report,
                      untranslatable.placeholders())


def test_allow_grants_without_a_warning(run: Runner, workdir: Path,
                                        untranslatable: Untranslatable) -> None:
    path = write_policy(workdir, policy("512Mi", aboveCgroup="allow"))
    done = check(run, untranslatable, ["-p", str(path)])
    assert (done.returncode, done.stderr) == (0, "")
    golden.check("unknown_limit/allow-raises-without-a-warning.txt", done.stdout,
                 untranslatable.placeholders(path))


def test_above_cgroup_refuse_does_not_pass_on_a_guess(run: Runner, workdir: Path,
                                                      untranslatable: Untranslatable) -> None:
    path = write_policy(workdir, policy("512Mi", aboveCgroup="refuse"))
    workload, marker = marker_workload(workdir)
    done = run(["-p", str(path)] + workload, as_limit=(SOFT, UNLIMITED),
               prefix=untranslatable.prefix, env=KUBERNETES)
    assert (done.returncode, done.stdout) == (77, "")
    golden.check("unknown_limit/above-cgroup-refuse-refused.txt", done.stderr,
                 untranslatable.placeholders(path))
    assert not marker.exists()
    report = parse_json(check(run, untranslatable, ["-p", str(path), "-o", "json"]).stdout)
    assert (report["outcome"], report["blocker"], report["soft_after"]) == (
        "refused", "memory_limit_unknown", SOFT)
    golden.check_json("unknown_limit/above-cgroup-refuse-refused.json", report,
                      untranslatable.placeholders(path))


def test_memory_require_is_refused(run: Runner, workdir: Path,
                                   untranslatable: Untranslatable) -> None:
    path = write_policy(workdir, policy("512Mi", memory_require="512Mi"))
    done = check(run, untranslatable, ["-p", str(path)])
    assert (done.returncode, done.stderr) == (77, "")
    golden.check("unknown_limit/memory-require-refused.txt", done.stdout,
                 untranslatable.placeholders(path))


def test_a_percentage_is_refused(run: Runner, workdir: Path,
                                 untranslatable: Untranslatable) -> None:
    path = write_policy(workdir, policy("80%"))
    done = check(run, untranslatable, ["-p", str(path), "-o", "json"])
    assert (done.returncode, done.stderr) == (77, "")
    report = parse_json(done.stdout)
    assert (report["outcome"], report["blocker"], report["memory_ceiling_bytes"]) == (
        "refused", "memory_limit_unknown", None)
    golden.check_json("unknown_limit/percentage-refused.json", report,
                      untranslatable.placeholders(path))
    text = check(run, untranslatable, ["-p", str(path)])
    assert text.returncode == 77
    golden.check("unknown_limit/percentage-refused.txt", text.stdout,
                 untranslatable.placeholders(path))


def test_inspect_says_unknown_in_text_and_json(run: Runner,
                                               untranslatable: Untranslatable) -> None:
    text = run(["inspect"], prefix=untranslatable.prefix, env=KUBERNETES)
    assert (text.returncode, text.stderr) == (0, "")
    # The lines about the cgroup and the memory; the rest is this host's (test_cli.py).
    lines = [line + "\n" for line in text.stdout.splitlines()
             if line.startswith(("cgroup", "memory ceiling:"))]
    golden.check("unknown_limit/inspect-cgroup-lines.txt", "".join(lines),
                 untranslatable.placeholders())
    seen = parse_json(run(["inspect", "-o", "json"], prefix=untranslatable.prefix,
                          env=KUBERNETES).stdout)
    golden.check_json("unknown_limit/inspect-cgroup-fields.json", {key: seen[key] for key in (
        "cgroup_version", "cgroup_path", "cgroup_directory", "memory_limit_bytes",
        "memory_limit_source", "memory_limit_unknown", "memory_ceiling_bytes",
        "memory_ceiling_source", "notes")}, untranslatable.placeholders())


def test_an_unchanged_limit_is_kept_with_a_warning(run: Runner,
                                                   untranslatable: Untranslatable) -> None:
    done = check(run, untranslatable, ["--as", "128Mi", "-o", "json"])
    assert done.returncode == 0, done
    report = parse_json(done.stdout)
    assert (report["outcome"], report["soft_after"]) == ("unchanged", SOFT)
    golden.check_json("unknown_limit/unchanged-kept-with-a-warning.json", report,
                      untranslatable.placeholders())

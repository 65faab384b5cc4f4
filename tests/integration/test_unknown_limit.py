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

from rlimit_json import parse as parse_json
from conftest import (KUBERNETES, TIMEOUT, Runner, marker_workload, policy, require_root,
                      skip_unless, write_policy)
from expected import (GIB, MIB, SHARE_OR, UNKNOWN_ABOVE_CGROUP_OR, UNKNOWN_REQUIRE_OR, UNLIMITED,
                      describe, mem_total, not_below_root, raised_summary,
                      refusal_advice_lines, unknown_above_cgroup_summary, unknown_blocked,
                      unknown_fix, unknown_memory_part, unknown_oom_warning,
                      unknown_require_summary, unknown_share_summary, v1_memory_mounts)

pytestmark = pytest.mark.sets_rlimit_as

LAYER = "Kubernetes (KUBERNETES_SERVICE_HOST is set)"
SOFT = 256 * MIB  # every run inherits this soft RLIMIT_AS, hard unlimited
REAL_LIMIT = GIB  # the limit of the cgroup the process really sits in


@dataclass(frozen=True)
class Untranslatable:
    mount_point: str  # where the v1 memory hierarchy is mounted, on the host and in the namespace
    shown: str       # /<unique>/a: the root of the memory mount the process sees
    cgroup: str      # /<unique>/b: the process's cgroup, not below `shown`
    prefix: list[str]  # runs a command so

    @property
    def reason(self) -> str:
        return not_below_root(self.cgroup, self.shown, self.mount_point)


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
    yield Untranslatable(mount_point, f"/{unique}/a", f"/{unique}/b", prefix)
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
    memory = unknown_memory_part(untranslatable.reason, mem_total())
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout == (
        f"rlimit-init: {raised_summary(SOFT, 512 * MIB, UNLIMITED, memory, would=True)}\n"
        f"rlimit-init: warning: {unknown_oom_warning(512 * MIB)}\n")


def test_json_has_no_limit_bytes_and_the_reason(run: Runner,
                                                untranslatable: Untranslatable) -> None:
    done = check(run, untranslatable, ["--as", "512Mi", "-o", "json"])
    assert (done.returncode, done.stderr) == (0, "")
    memory = unknown_memory_part(untranslatable.reason, mem_total())
    assert parse_json(done.stdout) == {
        "outcome": "raised", "request_bytes": 512 * MIB, "minimum_bytes": None,
        "soft_before": SOFT, "soft_after": 512 * MIB, "hard_before": UNLIMITED,
        "hard_after": UNLIMITED, "memory_limit_bytes": None, "memory_limit_source": "",
        "memory_limit_unknown": untranslatable.reason, "memory_ceiling_bytes": None,
        "memory_ceiling_source": "", "cgroup_version": "v1", "layer": "Kubernetes",
        "blocker": None, "fix": None, "alternatives": [],
        "warnings": [unknown_oom_warning(512 * MIB)], "limits": [],
        "message": raised_summary(SOFT, 512 * MIB, UNLIMITED, memory, would=True)}


def test_allow_grants_without_a_warning(run: Runner, workdir: Path,
                                        untranslatable: Untranslatable) -> None:
    path = write_policy(workdir, policy("512Mi", aboveCgroup="allow"))
    done = check(run, untranslatable, ["-p", str(path)])
    memory = unknown_memory_part(untranslatable.reason, mem_total())
    assert (done.returncode, done.stdout, done.stderr) == (
        0, f"rlimit-init: {raised_summary(SOFT, 512 * MIB, UNLIMITED, memory, would=True)}\n",
        "")


def refusal(summary: str, asked: str, setup: Untranslatable, alternative: str) -> str:
    return (f"rlimit-init: {summary}\n"
            f"  asked:   {asked}\n"
            f"  blocked: {unknown_blocked(setup.reason)}\n"
            f"  layer:   {LAYER}\n"
            + refusal_advice_lines([unknown_fix(setup.cgroup), alternative]))


def test_above_cgroup_refuse_does_not_pass_on_a_guess(run: Runner, workdir: Path,
                                                      untranslatable: Untranslatable) -> None:
    path = write_policy(workdir, policy("512Mi", aboveCgroup="refuse"))
    workload, marker = marker_workload(workdir)
    done = run(["-p", str(path)] + workload, as_limit=(SOFT, UNLIMITED),
               prefix=untranslatable.prefix, env=KUBERNETES)
    assert (done.returncode, done.stdout) == (77, "")
    assert done.stderr == refusal(
        unknown_above_cgroup_summary(512 * MIB),
        f"addressSpace.request in {path} = 512Mi (536870912 bytes)", untranslatable,
        UNKNOWN_ABOVE_CGROUP_OR)
    assert not marker.exists()
    report = parse_json(check(run, untranslatable, ["-p", str(path), "-o", "json"]).stdout)
    assert (report["outcome"], report["blocker"], report["fix"], report["alternatives"],
            report["soft_after"]) == (
        "refused", "memory_limit_unknown", unknown_fix(untranslatable.cgroup),
        [UNKNOWN_ABOVE_CGROUP_OR], SOFT)


def test_memory_require_is_refused(run: Runner, workdir: Path,
                                   untranslatable: Untranslatable) -> None:
    path = write_policy(workdir, policy("512Mi", memory_require="512Mi"))
    done = check(run, untranslatable, ["-p", str(path)])
    assert (done.returncode, done.stderr) == (77, "")
    assert done.stdout == refusal(
        unknown_require_summary(512 * MIB),
        f"addressSpace.request in {path} = 512Mi (536870912 bytes)", untranslatable,
        UNKNOWN_REQUIRE_OR)


def test_a_percentage_is_refused(run: Runner, workdir: Path,
                                 untranslatable: Untranslatable) -> None:
    path = write_policy(workdir, policy("80%"))
    done = check(run, untranslatable, ["-p", str(path), "-o", "json"])
    assert (done.returncode, done.stderr) == (77, "")
    report = parse_json(done.stdout)
    summary = unknown_share_summary(f"addressSpace.request in {path} 80%")
    assert (report["outcome"], report["blocker"], report["message"], report["fix"],
            report["alternatives"], report["memory_ceiling_bytes"]) == (
        "refused", "memory_limit_unknown", summary, unknown_fix(untranslatable.cgroup),
        [SHARE_OR], None)
    text = check(run, untranslatable, ["-p", str(path)])
    assert (text.returncode, text.stdout) == (
        77, refusal(summary, f"addressSpace.request in {path} = 80%", untranslatable, SHARE_OR))


def test_inspect_says_unknown_in_text_and_json(run: Runner,
                                               untranslatable: Untranslatable) -> None:
    text = run(["inspect"], prefix=untranslatable.prefix, env=KUBERNETES)
    assert (text.returncode, text.stderr) == (0, "")
    lines = text.stdout.splitlines()
    assert f"cgroup:                    v1 {untranslatable.cgroup} at -" in lines
    assert f"cgroup memory limit:       unknown ({untranslatable.reason})" in lines
    assert ("memory ceiling:            unknown (the cgroup memory limit is unknown)" in lines)
    seen = parse_json(run(["inspect", "-o", "json"], prefix=untranslatable.prefix,
                          env=KUBERNETES).stdout)
    assert {key: seen[key] for key in (
        "cgroup_version", "cgroup_path", "cgroup_directory", "memory_limit_bytes",
        "memory_limit_source", "memory_limit_unknown", "memory_ceiling_bytes",
        "memory_ceiling_source", "notes")} == {
        "cgroup_version": "v1", "cgroup_path": untranslatable.cgroup, "cgroup_directory": "",
        "memory_limit_bytes": None, "memory_limit_source": "",
        "memory_limit_unknown": untranslatable.reason, "memory_ceiling_bytes": None,
        "memory_ceiling_source": "", "notes": []}


def test_an_unchanged_limit_is_kept_with_a_warning(run: Runner,
                                                   untranslatable: Untranslatable) -> None:
    done = check(run, untranslatable, ["--as", "128Mi", "-o", "json"])
    assert done.returncode == 0, done
    report = parse_json(done.stdout)
    assert (report["outcome"], report["soft_after"], report["warnings"]) == (
        "unchanged", SOFT,
        [unknown_oom_warning(SOFT, "the inherited soft limit") +
         "; rlimit-init does not lower limits"])
    assert report["message"] == (
        f"would leave the soft address-space limit (RLIMIT_AS) at {describe(SOFT)}: it already "
        f"covers the request {describe(128 * MIB)}; hard limit unlimited; "
        + unknown_memory_part(untranslatable.reason, mem_total()))

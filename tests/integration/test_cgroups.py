# SPDX-License-Identifier: Apache-2.0
"""The real binary inside real cgroup v1 memory cgroups with real limits (root, writable v1
memory hierarchy): where it finds the limit, what it decides against it, and what it says."""

from __future__ import annotations

from pathlib import Path

import pytest

import golden
from rlimit_json import parse as parse_json
from conftest import AS_UNLIMITED, KUBERNETES, MemoryCgroup, Runner, policy, write_policy
from expected import (GIB, LIMIT_UNITS, MIB, SHOW_LIMITS, UNLIMITED, limits_seen, may_raise_hard,
                      mem_total)


def said(name: str, text: str, cgroup: MemoryCgroup, policy_path: Path | None = None) -> None:
    """Compares what the binary said with golden/cgroups/NAME.txt, the test's cgroup written
    {cgroup} (its directory) and {cgroup_path} (as /proc/self/cgroup names it)."""
    replace = {} if policy_path is None else {str(policy_path): "{policy}"}
    replace.update({str(cgroup.parent): "{cgroup}",
                    "/" + str(cgroup.parent.relative_to(cgroup.mount_point)): "{cgroup_path}"})
    golden.check(f"cgroups/{name}.txt", text, replace)


def decision(run: Runner, cgroup: MemoryCgroup, args: list[str], **kwargs) -> dict:
    result = run(["-o", "json"] + args + ["check"], prefix=cgroup.join_prefix(), **kwargs)
    assert result.returncode in (0, 77), result.stdout
    return parse_json(result.stdout)


def where_limit(seen: dict) -> dict:
    return {key: seen[key] for key in ("cgroup_version", "memory_limit_bytes",
                                       "memory_limit_source", "memory_ceiling_bytes",
                                       "memory_ceiling_source")}


def v1_limit(limit: int, source: str) -> dict:
    return {"cgroup_version": "v1", "memory_limit_bytes": limit, "memory_limit_source": source,
            "memory_ceiling_bytes": limit, "memory_ceiling_source": source}


# --- where the limit is found ------------------------------------------------------------------

def test_leaf_limit_is_found_in_the_leafs_limit_file(run: Runner, memory_cgroup) -> None:
    cgroup = memory_cgroup(None, GIB)
    seen = decision(run, cgroup, [])
    assert where_limit(seen) == v1_limit(GIB, cgroup.limit_file(cgroup.leaf))


def test_limited_parent_over_unlimited_child_binds(run: Runner, memory_cgroup) -> None:
    cgroup = memory_cgroup(GIB, None)
    seen = decision(run, cgroup, [])
    assert where_limit(seen) == v1_limit(GIB, cgroup.limit_file(cgroup.parent))


@pytest.mark.parametrize("parent, leaf, binding", [
    (GIB, 2 * GIB, "parent"), (2 * GIB, GIB, "leaf")])
def test_tighter_of_parent_and_child_binds(run: Runner, memory_cgroup, parent, leaf,
                                           binding) -> None:
    cgroup = memory_cgroup(parent, leaf)
    seen = decision(run, cgroup, [])
    assert where_limit(seen) == v1_limit(GIB, cgroup.limit_file(getattr(cgroup, binding)))


def test_limit_is_what_the_kernel_stored_after_rounding_to_pages(run: Runner,
                                                                 memory_cgroup) -> None:
    # cgroup v1 rounds a limit down to whole pages.
    cgroup = memory_cgroup(None, GIB + 1000)
    assert Path(cgroup.limit_file(cgroup.leaf)).read_text() == f"{GIB}\n"
    seen = decision(run, cgroup, [])
    assert where_limit(seen) == v1_limit(GIB, cgroup.limit_file(cgroup.leaf))


def test_inspect_json_inside_the_cgroup(run: Runner, memory_cgroup) -> None:
    cgroup = memory_cgroup(GIB, None)
    result = run(["inspect", "-o", "json"], prefix=cgroup.join_prefix())
    assert (result.returncode, result.stderr) == (0, "")
    seen = parse_json(result.stdout)
    for varying in ("mem_available_bytes", "committed_as_bytes", "commit_limit_bytes",
                    "overcommit_memory", "layer", "layer_evidence"):
        del seen[varying]  # the host's, checked against its own /proc in unit tests
    # Every rlimit with its origin: compared whole in test_limits_cli.py and test_vm_inspect.py.
    assert [limit["name"] for limit in seen.pop("limits")] == list(LIMIT_UNITS)
    source = cgroup.limit_file(cgroup.parent)
    assert seen == {
        "as_soft": UNLIMITED, "as_hard": UNLIMITED, "data_soft": UNLIMITED,
        "data_hard": UNLIMITED, "may_raise_hard": may_raise_hard(), "cgroup_version": "v1",
        "cgroup_path": cgroup.leaf_path, "cgroup_directory": str(cgroup.leaf),
        "memory_limit_bytes": GIB, "memory_limit_source": source, "memory_limit_unknown": None,
        "memory_high_bytes": UNLIMITED, "memory_high_source": "", "swap_max_bytes": UNLIMITED,
        "mem_total_bytes": mem_total(), "memory_ceiling_bytes": GIB,
        "memory_ceiling_source": source, "notes": []}


@pytest.mark.sets_rlimit_as
def test_verbose_names_the_cgroup_and_its_limit(run: Runner, memory_cgroup) -> None:
    cgroup = memory_cgroup(None, GIB)
    result = run(["-v", "--as", "512Mi", "--", "true"], as_limit=(256 * MIB, GIB),
                 prefix=cgroup.join_prefix(), env=KUBERNETES)
    assert result.returncode == 0
    # Whether this process may raise its hard limit is this host's (CAP_SYS_RESOURCE in the
    # initial user namespace): the placeholder replaces only the answer expected.py reads.
    may = f"may raise hard: {'yes' if may_raise_hard() else 'no'}\n"
    said("verbose-names-the-leaf-and-its-limit", result.stderr.replace(may, "may raise hard: "
                                                                          "{may raise hard}\n"),
         cgroup)


# --- memory.require ----------------------------------------------------------------------------

def test_memory_require_above_the_cgroup_limit_is_refused(run: Runner, memory_cgroup,
                                                          workdir: Path) -> None:
    cgroup = memory_cgroup(None, GIB)
    path = write_policy(workdir, policy("512Mi", memory_require="2Gi"))
    marker = workdir / "ran"
    result = run(["-p", str(path), "--", "touch", str(marker)], prefix=cgroup.join_prefix(),
                 env=KUBERNETES)
    assert (result.returncode, result.stdout) == (77, "")
    said("memory-require-refused", result.stderr, cgroup, path)
    assert not marker.exists()


def test_memory_require_equal_to_the_cgroup_limit_is_met(run: Runner, memory_cgroup,
                                                         workdir: Path) -> None:
    cgroup = memory_cgroup(GIB, None)
    path = write_policy(workdir, policy("512Mi", memory_require="1Gi"))
    seen = decision(run, cgroup, ["-p", str(path)])
    assert (seen["outcome"], seen["blocker"]) == ("unchanged", None)


# --- aboveCgroup -------------------------------------------------------------------------------

@pytest.mark.sets_rlimit_as
def test_grant_above_the_cgroup_limit_warns_by_default(run: Runner, memory_cgroup) -> None:
    cgroup = memory_cgroup(None, GIB)
    result = run(["--as", "2Gi", "--"] + SHOW_LIMITS, as_limit=(256 * MIB, UNLIMITED),
                 prefix=cgroup.join_prefix())
    assert (result.returncode, result.stdout) == (0, limits_seen(2 * GIB, UNLIMITED))
    said("above-the-leafs-limit-warned", result.stderr, cgroup)


@pytest.mark.sets_rlimit_as
def test_grant_above_a_parents_limit_names_the_parent(run: Runner, memory_cgroup,
                                                      workdir: Path) -> None:
    cgroup = memory_cgroup(GIB, None)
    path = write_policy(workdir, policy("2Gi", aboveCgroup="warn"))
    result = run(["-q", "-p", str(path), "--", "true"], as_limit=(256 * MIB, UNLIMITED),
                 prefix=cgroup.join_prefix())
    assert result.returncode == 0
    said("above-the-parents-limit-warned-quietly", result.stderr, cgroup)


@pytest.mark.sets_rlimit_as
def test_grant_above_the_cgroup_limit_is_refused_when_asked(run: Runner, memory_cgroup,
                                                            workdir: Path) -> None:
    cgroup = memory_cgroup(None, GIB)
    path = write_policy(workdir, policy("2Gi", aboveCgroup="refuse"))
    marker = workdir / "ran"
    result = run(["-p", str(path), "--", "touch", str(marker)], as_limit=(256 * MIB, UNLIMITED),
                 prefix=cgroup.join_prefix(), env=KUBERNETES)
    assert (result.returncode, result.stdout) == (77, "")
    said("above-the-limit-refused", result.stderr, cgroup, path)
    assert not marker.exists()


@pytest.mark.sets_rlimit_as
def test_grant_above_the_cgroup_limit_is_silent_when_allowed(run: Runner, memory_cgroup,
                                                             workdir: Path) -> None:
    cgroup = memory_cgroup(None, GIB)
    path = write_policy(workdir, policy("2Gi", aboveCgroup="allow"))
    result = run(["-p", str(path), "--"] + SHOW_LIMITS, as_limit=(256 * MIB, UNLIMITED),
                 prefix=cgroup.join_prefix())
    assert (result.returncode, result.stdout) == (0, limits_seen(2 * GIB, UNLIMITED))
    said("above-the-limit-allowed", result.stderr, cgroup)


def test_inherited_soft_limit_above_the_cgroup_is_kept_with_a_warning(run: Runner,
                                                                      memory_cgroup) -> None:
    cgroup = memory_cgroup(None, GIB)
    result = run(["--as", "512Mi", "--", "sh", "-c", "ulimit -Sv"],
                 prefix=AS_UNLIMITED + cgroup.join_prefix())
    assert (result.returncode, result.stdout) == (0, "unlimited\n")
    said("inherited-unlimited-kept-warned", result.stderr, cgroup)


@pytest.mark.sets_rlimit_as
def test_refused_unlimited_grant_names_a_fix_that_exists(run: Runner, memory_cgroup,
                                                         workdir: Path) -> None:
    # No memory limit is large enough for an unlimited grant: the fix is the request.
    cgroup = memory_cgroup(None, GIB)
    path = write_policy(workdir, policy("hard", aboveCgroup="refuse"))
    result = run(["-p", str(path), "check"], as_limit=(256 * MIB, UNLIMITED),
                 prefix=cgroup.join_prefix(), env=KUBERNETES)
    assert result.returncode == 77
    said("unlimited-above-the-limit-refused", result.stdout, cgroup, path)


# --- percentages resolve against the cgroup limit ----------------------------------------------

@pytest.mark.sets_rlimit_as
@pytest.mark.parametrize("percent, expected", [("50%", 512 * MIB), ("100%", GIB),
                                               ("12.5%", 128 * MIB)])
def test_percentage_is_of_the_cgroup_limit(run: Runner, memory_cgroup, percent,
                                           expected) -> None:
    cgroup = memory_cgroup(GIB, None)
    result = run(["--as", percent, "--"] + SHOW_LIMITS, as_limit=(64 * MIB, UNLIMITED),
                 prefix=cgroup.join_prefix())
    assert (result.returncode, result.stdout) == (0, limits_seen(expected, UNLIMITED))
    said(f"percentage-{percent}-of-the-parents-limit", result.stderr, cgroup)


@pytest.mark.sets_rlimit_as
def test_percentage_minimum_is_of_the_cgroup_limit(run: Runner, memory_cgroup,
                                                   workdir: Path) -> None:
    cgroup = memory_cgroup(None, GIB)
    path = write_policy(workdir, policy("100%", minimum="25%"))
    seen = decision(run, cgroup, ["-p", str(path)], as_limit=(64 * MIB, 512 * MIB))
    assert {key: seen[key] for key in ("outcome", "request_bytes", "minimum_bytes",
                                       "soft_after", "hard_after")} == {
        "outcome": "partial", "request_bytes": GIB, "minimum_bytes": 256 * MIB,
        "soft_after": 512 * MIB, "hard_after": 512 * MIB}

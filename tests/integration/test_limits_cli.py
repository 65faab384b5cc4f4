# SPDX-License-Identifier: Apache-2.0
"""--limit NAME=VALUE and RLIMIT_INIT_LIMITS on the real binary under real limits set with
prlimit: what the workload sees after exec (`ulimit`), the exact lines rlimit-init says, the
precedence flag > variable > policy, and every bad word answered with exit 64 (in JSON too)."""

from __future__ import annotations

from pathlib import Path

import pytest

import golden
from rlimit_json import parse as parse_json
from conftest import KUBERNETES, Runner, write_policy
from expected import GIB, KIB, LIMIT_UNITS, MIB, UNLIMITED, HostMemory

pytestmark = pytest.mark.sets_rlimit_as

AS_PINNED = (UNLIMITED, UNLIMITED)
# nofile 1024:4096, memlock 64 KiB:1 MiB, stack 8 MiB:unlimited, core 1 MiB:1 MiB, nproc
# 1024:4096: below any CI host's hard limits, so that no test depends on the machine.
START = ["prlimit", "--nofile=1024:4096", f"--memlock={64 * KIB}:{MIB}",
         f"--stack={8 * MIB}:unlimited", f"--core={MIB}:{MIB}", "--nproc=1024:4096"]
SHOW = ["bash", "-c", "ulimit -Sn; ulimit -Hn; ulimit -Sl; ulimit -Hl; ulimit -Ss; ulimit -Hs; "
        "ulimit -Sc; ulimit -Hc; ulimit -Su; ulimit -Hu"]


def seen(nofile=("1024", "4096"), memlock=("64", "1024"), stack=("8192", UNLIMITED),
         core=("1024", "1024"), nproc=("1024", "4096")) -> str:
    return "".join(f"{soft}\n{hard}\n" for soft, hard in (nofile, memlock, stack, core, nproc))


def said(name: str, text: str, host: HostMemory, replace: dict | None = None) -> None:
    """Compares what the binary said with golden/limits_cli/NAME.txt, this host's memory
    checked and written {host memory} (golden.host_memory); the address space is left
    unlimited, which a host's own cgroup limit would warn about."""
    golden.check(f"limits_cli/{name}.txt", text,
                 {**(replace or {}), **golden.host_memory(host, UNLIMITED)})


def run_limits(run: Runner, *args: str, env=None):
    return run(list(args), as_limit=AS_PINNED, prefix=START, env=env)


def test_each_flag_sets_its_soft_limit_exactly_raising_or_lowering(run: Runner,
                                                                   host: HostMemory) -> None:
    result = run_limits(run, "--limit", "nofile=4096", "--limit", "core=0", "--limit",
                        "stack=unlimited", "--limit=nproc=512", "--", *SHOW)
    assert (result.returncode, result.stdout) == (
        0, seen(nofile=("4096", "4096"), stack=(UNLIMITED, UNLIMITED), core=("0", "1024"),
                nproc=("512", "4096")))
    said("each-flag-sets-its-soft-limit", result.stderr, host)


def test_flag_beats_variable_beats_policy_name_by_name(run: Runner, workdir: Path,
                                                       host: HostMemory) -> None:
    path = write_policy(workdir, "apiVersion: rlimit-init/v1\nlimits:\n  nofile: 2048\n"
                        "  nproc: 2048\n  core: 0\n")
    result = run_limits(run, "-p", str(path), "--limit", "nofile=4000", "--", *SHOW,
                        env={"RLIMIT_INIT_LIMITS": "nofile=3000, nproc=3000 memlock=hard"})
    assert (result.returncode, result.stdout) == (
        0, seen(nofile=("4000", "4096"), memlock=("1024", "1024"), nproc=("3000", "4096")))
    said("flag-beats-variable-beats-policy", result.stderr, host)


def test_the_same_value_twice_never_lowers_the_hard_limit(run: Runner, host: HostMemory) -> None:
    result = run_limits(run, "--limit", "nofile=2048:2048", "--", *SHOW)
    assert (result.returncode, result.stdout) == (0, seen(nofile=("2048", "4096")))
    said("nofile-raised-to-2048", result.stderr, host)


def test_above_the_hard_limit_is_refused_naming_the_flag_and_nothing_runs(
        run: Runner, workdir: Path) -> None:
    marker = workdir / "ran"
    result = run_limits(run, "-q", "--limit", "nofile=8192", "--", "touch", str(marker),
                        env=KUBERNETES)
    assert (result.returncode, result.stdout) == (77, "")
    golden.check("limits_cli/nofile-above-the-hard-limit-refused.txt", result.stderr)
    assert not marker.exists()
    both = run_limits(run, "-q", "--", "touch", str(marker),
                      env={"RLIMIT_INIT_LIMITS": "nofile=8192:8192", **KUBERNETES})
    assert (both.returncode, both.stdout) == (77, "")
    # This machine's root lacks CAP_SYS_RESOURCE, so asking for the hard limit cannot help.
    golden.check("limits_cli/nofile-hard-limit-asked-refused.txt", both.stderr)
    assert not marker.exists()


def test_a_count_with_a_zero_fraction_is_that_count_as_a_quantity_is(run: Runner,
                                                                     workdir: Path) -> None:
    """Issue 22.8: 1073741824.0 was taken for the address space and 2048.0 refused for nofile.
    One rule now: a fraction is read as the number it denotes; a count's must be zero."""
    path = write_policy(workdir, "apiVersion: rlimit-init/v1\naddressSpace:\n"
                        "  request: 1073741824.0\nlimits:\n  nofile: 2048.0\n")
    result = run_limits(run, "-q", "-p", str(path), "--limit", "nproc=2048.00", "--", "bash", "-c",
                        "ulimit -Sv; ulimit -Sn; ulimit -Su")
    assert (result.returncode, result.stdout, result.stderr) == (0, "unlimited\n2048\n2048\n", "")
    half = write_policy(workdir, "apiVersion: rlimit-init/v1\nlimits:\n  nofile: 2048.5\n",
                        name="half.yaml")
    in_policy = run_limits(run, "-q", "-p", str(half), "--", "true")
    as_flag = run_limits(run, "-q", "--limit", "nofile=2048.5", "--", "true")
    assert (in_policy.returncode, in_policy.stdout, as_flag.returncode, as_flag.stdout) == (
        78, "", 64, "")
    golden.check("limits_cli/count-with-a-fraction.txt", in_policy.stderr + as_flag.stderr,
                 {str(half): "{policy}"})


def test_an_override_below_the_policys_minimum_wins_and_says_so(run: Runner, workdir: Path,
                                                                 host: HostMemory) -> None:
    """Issue 22.3: the same pair in one policy file is refused (78); from the environment the
    override wins, as the command line wins over the policy everywhere, but not silently."""
    path = write_policy(workdir, "apiVersion: rlimit-init/v1\n"
                        "limits:\n  nofile: {request: 4000, minimum: 3000}\n")
    env = {"RLIMIT_INIT_LIMITS": "nofile=2048"}
    result = run_limits(run, "-p", str(path), "--", "sh", "-c", "ulimit -Sn", env=env)
    assert (result.returncode, result.stdout) == (0, "2048\n")
    said("override-below-the-minimum", result.stderr, host)
    quiet = run_limits(run, "-q", "-p", str(path), "--", "true", env=env)
    assert quiet.returncode == 0
    golden.check("limits_cli/override-below-the-minimum-quiet.txt", quiet.stderr)
    checked = run_limits(run, "check", "-o", "json", "-p", str(path), env=env)
    assert checked.returncode == 0
    nofile = parse_json(checked.stdout)["limits"][0]
    assert (nofile["minimum"], nofile["soft_after"]) == (3000, 2048)
    # JSON carries the warning -q printed.
    golden.check_json("limits_cli/override-below-the-minimum-warnings.json", nofile["warnings"])


def test_as_below_the_policys_minimum_wins_and_says_so(run: Runner, workdir: Path) -> None:
    path = write_policy(workdir, "apiVersion: rlimit-init/v1\n"
                        "addressSpace:\n  request: 512Mi\n  minimum: 400Mi\n")
    result = run(["-q", "-p", str(path), "--as", "256Mi", "--", "sh", "-c", "ulimit -Sv"],
                 as_limit=(128 * MIB, UNLIMITED))
    assert (result.returncode, result.stdout) == (0, "262144\n")
    golden.check("limits_cli/as-below-the-minimum.txt", result.stderr)


def test_json_names_where_each_limit_was_asked(run: Runner) -> None:
    result = run_limits(run, "check", "-o", "json", "--limit", "core=0",
                        env={"RLIMIT_INIT_LIMITS": "nofile=hard"})
    assert result.returncode == 0
    limits = parse_json(result.stdout)["limits"]
    assert [(entry["name"], entry["outcome"], entry["origin"], entry["soft_after"])
            for entry in limits] == [("core", "lowered", "--limit core", 0),
                                     ("nofile", "raised", "RLIMIT_INIT_LIMITS nofile", 4096)]


# Every kind of bad word: no "=", an unknown name, the address space, not a number, a suffix in the
# wrong case, two different values, no soft value, out of range, a percentage where none applies.
BAD_WORDS = ["nofile", "nofil=1", "as=1Gi", "nofile=lots", "stack=64gi", "nofile=1024:524288",
             "nofile=:4096", "rtprio=100", "core=10%"]


def test_a_bad_word_is_a_bad_command_line_and_nothing_runs(run: Runner, workdir: Path) -> None:
    """Each word given to --limit (in text and JSON) and in RLIMIT_INIT_LIMITS: exit 64, nothing
    run, and the answers, one after the other, as in golden/limits_cli/bad-words.txt."""
    marker = workdir / "ran"
    said, answered = [], {}
    for word in BAD_WORDS:
        flag = run_limits(run, "--limit", word, "--", "touch", str(marker))
        assert (flag.returncode, flag.stdout) == (64, ""), word
        as_json = run_limits(run, "-o", "json", "--limit", word, "--", "touch", str(marker))
        assert (as_json.returncode, as_json.stdout) == (64, ""), word
        answered[word] = parse_json(as_json.stderr)
        variable = run_limits(run, "--", "touch", str(marker),
                              env={"RLIMIT_INIT_LIMITS": f"core=0,{word}"})
        assert (variable.returncode, variable.stdout) == (64, ""), word
        said += [f"--limit {word}\n", flag.stderr, f"RLIMIT_INIT_LIMITS=core=0,{word}\n",
                 variable.stderr]
    golden.check("limits_cli/bad-words.txt", "".join(said))
    # The JSON errors say what the text says.
    golden.check_json("limits_cli/bad-words.json", answered)
    assert not marker.exists()


def test_a_name_given_twice_is_a_bad_command_line(run: Runner) -> None:
    flag = run_limits(run, "--limit", "nofile=1", "--limit", "nofile=2", "--", "true")
    env = run_limits(run, "--", "true", env={"RLIMIT_INIT_LIMITS": "core=0 core=0"})
    assert (flag.returncode, flag.stdout, env.returncode, env.stdout) == (64, "", 64, "")
    golden.check("limits_cli/name-given-twice.txt", flag.stderr + env.stderr)


# --- inspect: every rlimit, soft and hard, and where it likely came from --------------------

# All 16 set with prlimit, each below what any CI host allows: the kernel's own values for
# as (unlimited), nofile, memlock (before Linux 5.16), msgqueue, nice and rtprio, and values no
# known layer sets for the rest.
EVERY_LIMIT = {
    "as": (UNLIMITED, UNLIMITED), "core": (0, 0), "cpu": (3600, 7200),
    "data": (2 * GIB, 4 * GIB), "fsize": (GIB, 2 * GIB), "locks": (100, 200),
    "memlock": (64 * KIB, 64 * KIB), "msgqueue": (819200, 819200), "nice": (0, 0),
    "nofile": (1024, 4096), "nproc": (1024, 4096), "rss": (GIB, 2 * GIB), "rtprio": (0, 0),
    "rttime": (1000, 2000), "sigpending": (100, 200), "stack": (8 * MIB, 64 * MIB)}
KERNELS = {"as", "memlock", "msgqueue", "nice", "nofile", "rtprio"}


def inspect_under_every_limit(run: Runner, *args: str):
    prefix = ["prlimit"] + [f"--{name}={soft}:{hard}" for name, (soft, hard)
                            in EVERY_LIMIT.items() if name != "as"]
    return run(["inspect", *args], as_limit=EVERY_LIMIT["as"], prefix=prefix, env=KUBERNETES)


def test_inspect_shows_every_limit_and_where_it_likely_came_from(run: Runner) -> None:
    result = inspect_under_every_limit(run)
    assert (result.returncode, result.stderr) == (0, "")
    lines = result.stdout.splitlines(keepends=True)
    assert lines[-17] == "rlimits (soft, hard; where each likely came from):\n"
    # One line per rlimit, in the table's order, each with its values in its unit.
    golden.check("limits_cli/inspect-every-limit.txt", "".join(lines[-17:]))


def test_inspect_json_carries_every_limit(run: Runner) -> None:
    result = inspect_under_every_limit(run, "-o", "json")
    assert (result.returncode, result.stderr) == (0, "")
    limits = parse_json(result.stdout)["limits"]
    assert [(entry["name"], entry["soft"], entry["hard"], entry["kernel_default"])
            for entry in limits] == [(name, *EVERY_LIMIT[name], name in KERNELS)
                                     for name in LIMIT_UNITS]
    golden.check_json("limits_cli/inspect-every-limit.json", limits)

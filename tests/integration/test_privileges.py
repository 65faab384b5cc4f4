# SPDX-License-Identifier: Apache-2.0
"""What the workload inherits from rlimit-init: the user the policy names (with its groups and
no capabilities), no file descriptors of rlimit-init's own, an empty signal mask, default
signal dispositions, and the environment unchanged. Runs the real static binary."""
from __future__ import annotations

import subprocess
from pathlib import Path

import golden
from conftest import NOBODY, TIMEOUT, Runner, clean_env, marker_workload, require_root


def status_fields(text: str) -> dict:
    fields = {}
    for line in text.splitlines():
        key, _, value = line.partition(":")
        fields[key] = value.strip()
    return fields


def write_policy(directory: Path, extra: str) -> str:
    path = directory / "policy.yaml"
    path.write_text("apiVersion: rlimit-init/v1\naddressSpace:\n  request: hard\n" + extra)
    path.chmod(0o644)
    return str(path)


def test_user_drop_sets_ids_groups_and_clears_capabilities(run: Runner, workdir: Path) -> None:
    require_root("switching users")
    policy = write_policy(workdir, 'user: "65534:65534"\n')
    done = run(["-q", "-p", policy, "--", "cat", "/proc/self/status"])
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    status = status_fields(done.stdout)
    assert status["Uid"] == "65534\t65534\t65534\t65534"
    assert status["Gid"] == "65534\t65534\t65534\t65534"
    assert status["Groups"] == "65534"
    assert status["CapEff"] == "0000000000000000"
    assert status["CapPrm"] == "0000000000000000"


def test_named_user_gets_groups_from_etc_group(run: Runner, workdir: Path) -> None:
    require_root("switching users")
    # Debian's base passwd has "nobody" (65534) with primary group "nogroup" (65534) and no
    # other memberships; "sync" (4) has gid 65534 as well.
    policy = write_policy(workdir, "user: sync\n")
    done = run(["-q", "-p", policy, "--", "cat", "/proc/self/status"])
    assert done.returncode == 0, done.stderr
    status = status_fields(done.stdout)
    assert status["Uid"] == "4\t4\t4\t4"
    assert status["Gid"] == "65534\t65534\t65534\t65534"
    assert status["Groups"] == "65534"


def test_unknown_user_is_a_policy_error_and_nothing_runs(run: Runner, workdir: Path) -> None:
    policy = write_policy(workdir, "user: no-such-user\n")
    workload, marker = marker_workload(workdir)
    done = run(["-p", policy] + workload)
    assert (done.returncode, done.stdout) == (78, "")
    golden.check("users/unknown-user.txt", done.stderr, {str(policy): "{policy}"})
    assert not marker.exists()


def test_switch_without_root_fails_with_seventy_and_runs_nothing(run: Runner, workdir: Path,
                                                                nobody_binary: Path) -> None:
    policy = write_policy(workdir, 'user: "1000:1000"\n')
    workload, marker = marker_workload(workdir)
    done = run(["-q", "-p", policy] + workload, user=NOBODY, binary=nobody_binary)
    assert (done.returncode, done.stdout) == (70, "")
    golden.check("users/switch-without-root.txt", done.stderr)
    assert not marker.exists()


def test_no_descriptors_of_its_own_leak_into_the_workload(run: Runner, workdir: Path) -> None:
    policy = write_policy(workdir, "")
    done = run(["-q", "-p", policy, "--", "ls", "/proc/self/fd"])
    assert done.returncode == 0, done.stderr
    # 0, 1, 2, and the descriptor ls itself opens to read the directory.
    assert done.stdout.split() == ["0", "1", "2", "3"]


def test_signal_mask_and_ignored_signals_are_reset(built_binary: Path) -> None:
    # The parent blocks SIGUSR1 and ignores SIGTERM and SIGPIPE; both survive execve unless
    # rlimit-init undoes them. It first restores the signals a launcher may have left ignored
    # (nohup ignores SIGHUP, a shell's background job SIGINT and SIGQUIT), so the control run
    # shows only what the script set.
    script = (
        "import signal, subprocess, sys\n"
        "for number in (signal.SIGHUP, signal.SIGINT, signal.SIGQUIT):\n"
        "    signal.signal(number, signal.SIG_DFL)\n"
        "signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGUSR1})\n"
        "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
        "signal.signal(signal.SIGPIPE, signal.SIG_IGN)\n"
        "out = subprocess.run(sys.argv[1:], capture_output=True, text=True, "
        "restore_signals=False).stdout\n"
        "print(out, end='')\n"
    )
    workload = ["grep", "-E", "^Sig(Blk|Ign):", "/proc/self/status"]
    plain = subprocess.run(["/usr/bin/python3", "-c", script] + workload, capture_output=True,
                           text=True, env=clean_env(), timeout=TIMEOUT)
    # Python itself ignores SIGXFSZ (bit 24) as well.
    assert plain.stdout == "SigBlk:\t0000000000000200\nSigIgn:\t0000000001005000\n"
    through = subprocess.run(["/usr/bin/python3", "-c", script, str(built_binary), "-q", "--"] +
                             workload, capture_output=True, text=True, env=clean_env(),
                             timeout=TIMEOUT)
    assert through.stdout == "SigBlk:\t0000000000000000\nSigIgn:\t0000000000000000\n"


def test_environment_passes_through_unchanged(run: Runner) -> None:
    env = {"PATH": "/usr/bin:/bin", "JOB_SETTING": "a b\tc", "RLIMIT_INIT_AS": "hard",
           "HOME": "/root", "USER": "root"}
    done = run(["-q", "--", "env", "-0"], env=env)
    assert done.returncode == 0, done.stderr
    seen = dict(item.split("=", 1) for item in done.stdout.split("\0") if item)
    assert seen == clean_env(env)

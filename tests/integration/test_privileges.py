# SPDX-License-Identifier: Apache-2.0
"""What the workload inherits from rlimit-init: the user the policy names (with its groups and
no capabilities), no file descriptors of rlimit-init's own, an empty signal mask, default
signal dispositions, and the environment unchanged. Runs the real static binary."""
import os
import shutil
import subprocess
import tempfile

import pytest

from conftest import skip_unless

BIN = os.environ.get("RLIMIT_INIT_BIN", os.path.join(os.path.dirname(__file__), "../../build/rlimit-init"))
BUSYBOX = shutil.which("busybox")


def status_fields(text: str) -> dict:
    fields = {}
    for line in text.splitlines():
        key, _, value = line.partition(":")
        fields[key] = value.strip()
    return fields


@pytest.fixture
def policy_dir():
    with tempfile.TemporaryDirectory() as d:
        os.chmod(d, 0o755)
        yield d


def write_policy(directory: str, extra: str) -> str:
    path = os.path.join(directory, "policy.yaml")
    with open(path, "w") as f:
        f.write("apiVersion: rlimit-init/v1\naddressSpace:\n  request: hard\n" + extra)
    os.chmod(path, 0o644)
    return path


def test_user_drop_sets_ids_groups_and_clears_capabilities(policy_dir):
    skip_unless(os.geteuid() == 0, "switching users needs root (run the tests as root)")
    policy = write_policy(policy_dir, 'user: "65534:65534"\n')
    done = subprocess.run([BIN, "-q", "-p", policy, "--", "cat", "/proc/self/status"],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    status = status_fields(done.stdout)
    assert status["Uid"] == "65534\t65534\t65534\t65534"
    assert status["Gid"] == "65534\t65534\t65534\t65534"
    assert status["Groups"] == "65534"
    assert status["CapEff"] == "0000000000000000"
    assert status["CapPrm"] == "0000000000000000"


def test_named_user_gets_groups_from_etc_group(policy_dir):
    skip_unless(os.geteuid() == 0, "switching users needs root (run the tests as root)")
    # Debian's base passwd has "nobody" (65534) with primary group "nogroup" (65534) and no
    # other memberships; "sync" (4) has gid 65534 as well.
    policy = write_policy(policy_dir, "user: sync\n")
    done = subprocess.run([BIN, "-q", "-p", policy, "--", "cat", "/proc/self/status"],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    status = status_fields(done.stdout)
    assert status["Uid"] == "4\t4\t4\t4"
    assert status["Gid"] == "65534\t65534\t65534\t65534"
    assert status["Groups"] == "65534"


def test_unknown_user_is_a_policy_error_and_nothing_runs(policy_dir):
    policy = write_policy(policy_dir, "user: no-such-user\n")
    marker = os.path.join(policy_dir, "ran")
    done = subprocess.run([BIN, "-p", policy, "--", "touch", marker], capture_output=True,
                          text=True)
    assert done.returncode == 78
    assert done.stderr == (f"rlimit-init: invalid policy: {policy}: user: user "
                           "\"no-such-user\" is not in /etc/passwd\n")
    assert not os.path.exists(marker)


def test_switch_without_root_fails_with_seventy_and_runs_nothing(policy_dir):
    skip_unless(os.geteuid() == 0, "starting as another user needs root")
    skip_unless(shutil.which("setpriv") is not None, "setpriv (util-linux) is not installed")
    policy = write_policy(policy_dir, 'user: "1000:1000"\n')
    marker = os.path.join(policy_dir, "ran")
    done = subprocess.run(["setpriv", "--reuid", "65534", "--regid", "65534", "--clear-groups",
                           BIN, "-q", "-p", policy, "--", "touch", marker],
                          capture_output=True, text=True)
    assert done.returncode == 70
    assert done.stderr == ("rlimit-init: cannot switch to user 1000:1000 (groups 1000): "
                           "setgroups: Operation not permitted; run rlimit-init as root, or "
                           "remove user: from the policy\n")
    assert not os.path.exists(marker)


def test_no_descriptors_of_its_own_leak_into_the_workload(policy_dir):
    policy = write_policy(policy_dir, "")
    done = subprocess.run([BIN, "-q", "-p", policy, "--", "ls", "/proc/self/fd"],
                          capture_output=True, text=True, close_fds=True)
    assert done.returncode == 0, done.stderr
    # 0, 1, 2, and the descriptor ls itself opens to read the directory.
    assert done.stdout.split() == ["0", "1", "2", "3"]


def test_signal_mask_and_ignored_signals_are_reset():
    # The parent blocks SIGUSR1 and ignores SIGTERM and SIGPIPE; both survive execve unless
    # rlimit-init undoes them.
    script = (
        "import signal, subprocess, sys\n"
        "signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGUSR1})\n"
        "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
        "signal.signal(signal.SIGPIPE, signal.SIG_IGN)\n"
        "out = subprocess.run(sys.argv[1:], capture_output=True, text=True, "
        "restore_signals=False).stdout\n"
        "print(out, end='')\n"
    )
    workload = ["grep", "-E", "^Sig(Blk|Ign):", "/proc/self/status"]
    plain = subprocess.run(["/usr/bin/python3", "-c", script] + workload,
                           capture_output=True, text=True)
    # Python itself ignores SIGXFSZ (bit 24) as well.
    assert plain.stdout == "SigBlk:\t0000000000000200\nSigIgn:\t0000000001005000\n"
    through = subprocess.run(["/usr/bin/python3", "-c", script, BIN, "-q", "--"] + workload,
                             capture_output=True, text=True)
    assert through.stdout == "SigBlk:\t0000000000000000\nSigIgn:\t0000000000000000\n"


def test_environment_passes_through_unchanged():
    env = {"PATH": "/usr/bin:/bin", "JOB_SETTING": "a b\tc", "RLIMIT_INIT_AS": "hard"}
    done = subprocess.run([BIN, "-q", "--", "env", "-0"], capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr
    seen = dict(item.split("=", 1) for item in done.stdout.split("\0") if item)
    assert seen == env

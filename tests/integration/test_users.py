# SPDX-License-Identifier: Apache-2.0
"""The `user:` key against an image's own /etc/passwd and /etc/group: the real static binary
runs chrooted into a directory laid out like a container image (the binary, a static busybox as
the workload, the account files), so every account file here is the test's own, hostile ones
included, and the host's are never touched."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

import golden
from conftest import Runner, require_root, skip_unless

POLICY = "apiVersion: rlimit-init/v1\naddressSpace:\n  request: hard\nuser: {user}\n"
PASSWD = ("root:x:0:0:root:/root:/bin/sh\n"
          "app:x:1000:1000:App:/home/app:/bin/sh\n")
GROUP = "root:x:0:\napp:x:1000:\nvideo:x:44:other,app\n"


# The image root sees the host's /proc and /sys, as a container does, through bind mounts in a
# mount namespace of its own that ends with the run.
ENTER = ["unshare", "--mount", "sh", "-c",
         'mount --rbind /proc "$0/proc" && mount --rbind /sys "$0/sys" && exec chroot "$0" "$@"']


class Image:
    """A root directory holding /rlimit-init, /bin/busybox, /p.yaml, /etc, /proc and /sys."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.etc = root / "etc"

    def policy(self, user: str) -> None:
        (self.root / "p.yaml").write_text(POLICY.format(user=user))

    def accounts(self, passwd: str | bytes, group: str | bytes) -> None:
        for name, text in (("passwd", passwd), ("group", group)):
            path = self.etc / name
            path.write_bytes(text.encode() if isinstance(text, str) else text)

    def run(self, run: Runner, workload: list[str], env: dict[str, str] | None = None):
        return run(["-q", "-p", "/p.yaml", "--", "/bin/busybox"] + workload,
                   prefix=ENTER + [str(self.root)], binary=Path("/rlimit-init"), env=env)


@pytest.fixture
def image(workdir: Path, built_binary: Path) -> Image:
    require_root("chroot into an image root")
    busybox = shutil.which("busybox")
    skip_unless(busybox is not None, "busybox (busybox-static) is not installed")
    root = workdir / "image"
    (root / "bin").mkdir(parents=True)
    for directory in ("etc", "proc", "sys"):
        (root / directory).mkdir()
    shutil.copy2(built_binary, root / "rlimit-init")
    shutil.copy2(busybox, root / "bin" / "busybox")
    made = Image(root)
    made.accounts(PASSWD, GROUP)
    return made


def environment(stdout: str) -> dict[str, str]:
    return dict(line.split("=", 1) for line in stdout.splitlines())


INHERITED = {"HOME": "/root", "USER": "root", "LOGNAME": "root", "JOB": "a b"}


@pytest.mark.static_binary  # chrooted: the dynamic sanitizer build has no libraries there
def test_named_user_gets_home_user_and_logname_from_passwd(run: Runner, image: Image) -> None:
    image.policy("app")
    result = image.run(run, ["env"], env=INHERITED)
    assert (result.returncode, result.stderr) == (0, "")
    seen = environment(result.stdout)
    assert {k: seen[k] for k in ("HOME", "USER", "LOGNAME", "JOB")} == {
        "HOME": "/home/app", "USER": "app", "LOGNAME": "app", "JOB": "a b"}


@pytest.mark.static_binary  # chrooted: the dynamic sanitizer build has no libraries there
def test_numeric_user_without_entry_gets_root_directory_and_no_user_name(run: Runner,
                                                                       image: Image) -> None:
    image.policy('"4242"')
    result = image.run(run, ["env"], env=INHERITED)
    assert (result.returncode, result.stderr) == (0, "")
    seen = environment(result.stdout)
    assert (seen["HOME"], "USER" in seen, "LOGNAME" in seen, seen["JOB"]) == (
        "/", False, False, "a b")


@pytest.mark.static_binary  # chrooted: the dynamic sanitizer build has no libraries there
def test_crlf_group_file_keeps_its_last_member(run: Runner, image: Image) -> None:
    image.policy("app")
    image.accounts(PASSWD.replace("\n", "\r\n"), GROUP.replace("\n", "\r\n"))
    result = image.run(run, ["id", "-G"])
    assert (result.returncode, result.stdout, result.stderr) == (0, "1000 44\n", "")


@pytest.mark.static_binary  # chrooted: the dynamic sanitizer build has no libraries there
def test_empty_passwd_name_is_not_an_empty_group_member(run: Runner, image: Image) -> None:
    image.policy('"7"')
    image.accounts(":x:7:7::/:/bin/sh\n" + PASSWD, "wheel:x:10:,root\n" + GROUP)
    result = image.run(run, ["id", "-G"])
    assert (result.returncode, result.stdout, result.stderr) == (0, "7\n", "")


@pytest.mark.static_binary  # chrooted: the dynamic sanitizer build has no libraries there
@pytest.mark.parametrize("kind", ["too-large", "fifo", "directory"])
def test_unreadable_passwd_says_why(run: Runner, image: Image, kind: str) -> None:
    image.policy("app")
    passwd = image.etc / "passwd"
    passwd.unlink()
    if kind == "too-large":
        passwd.write_text(PASSWD + "#" * (4 << 20))
    elif kind == "fifo":
        os.mkfifo(passwd)  # no writer ever opens it: a blocking read would hang
    else:
        passwd.mkdir()
    result = image.run(run, ["touch", "/ran"])
    assert (result.returncode, result.stdout) == (78, "")
    golden.check(f"users/unreadable-passwd-{kind}.txt", result.stderr)
    assert not (image.root / "ran").exists()


@pytest.mark.static_binary  # chrooted: the dynamic sanitizer build has no libraries there
def test_more_groups_than_linux_allows_is_one_short_line(run: Runner, image: Image) -> None:
    image.policy("app")
    image.accounts(PASSWD, GROUP + "".join(f"g{n}:x:{n}:app\n" for n in range(2000, 72000)))
    result = image.run(run, ["touch", "/ran"])
    assert (result.returncode, result.stdout) == (78, "")
    golden.check("users/more-groups-than-linux-allows.txt", result.stderr)
    assert not (image.root / "ran").exists()


def test_without_path_the_message_names_glibcs_default_search(run: Runner) -> None:
    # env -u PATH: rlimit-init itself starts with no PATH at all, as under `env -i`.
    result = run(["-q", "--", "no-such-command-xyz"], prefix=["env", "-u", "PATH"])
    assert (result.returncode, result.stdout) == (127, "")
    golden.check("users/not-found-without-path.txt", result.stderr)
    # And that is where it looks: /bin/true is found with no PATH.
    assert run(["-q", "--", "true"], prefix=["env", "-u", "PATH"]).returncode == 0

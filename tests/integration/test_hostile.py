# SPDX-License-Identifier: Apache-2.0
"""Hostile policies and broken hosts against the real binary: each gets a clear message or a
documented fallback, the right exit code, bounded time, and nothing is exec'd after an error.
docs/faults.md's table is this file's summary. Every bad policy file and
its exact message is in tests/fixtures/policies (bad/ and bad-messages.txt), run by
test_policy_files.py; this file holds what a file alone cannot: its kind, its owner, the host."""

from __future__ import annotations

import os
import re
import shutil
import signal
import struct
from pathlib import Path

import pytest

import golden
from rlimit_json import parse as parse_json
from conftest import (AS_UNLIMITED, KUBERNETES, NOBODY, Runner, require_root, skip_unless,
                      write_policy)

HOSTS = Path(__file__).resolve().parents[1] / "fixtures" / "hosts"
HEADER = "apiVersion: rlimit-init/v1\naddressSpace:\n  request: 512Mi\n"
LEAF_MAX = "sys/fs/cgroup/batch.slice/batch-nightly.slice/memory.max"
MIB = 1024 * 1024


def write(path: Path, data: str) -> Path:
    path.write_text(data)
    return path


def test_quoted_number_and_bom_are_accepted(run: Runner, workdir: Path) -> None:
    policy = write_policy(workdir, "\ufeff" + HEADER.replace("512Mi", '"536870912"'))
    done = run(["check", "-q", "-o", "json", "-p", str(policy)])
    assert done.returncode == 0, done.stdout
    assert parse_json(done.stdout)["request_bytes"] == 536870912


def refusals(run: Runner, workdir: Path, cases: list[str], check: bool = False) -> str:
    """Writes each policy text of `cases` after HEADER and runs the binary on it (a workload
    that would print "ran", or with `check` a check). Returns, for each, the text as Python
    writes it (so an invisible character or a line break shows), then what the binary printed,
    its path as {policy}: a table of refusals kept as one golden file. Each must exit 78 with
    nothing on the other stream, so nothing ran."""
    said = []
    for text in cases:
        policy = write_policy(workdir, HEADER + text)
        args = ["check", "-p", str(policy)] if check else ["-p", str(policy), "--", "sh", "-c",
                                                          "echo ran"]
        done = run(args)
        printed, other = (done.stdout, done.stderr) if check else (done.stderr, done.stdout)
        assert (done.returncode, other) == (78, ""), (text, done.stdout, done.stderr)
        said += [f"# {text.removesuffix(chr(10))!r}\n",
                 printed.replace(str(policy), "{policy}")]
    return "".join(said)


def test_env_value_with_an_escaped_nul_is_refused(run: Runner, workdir: Path) -> None:
    """Issue 22: every spelling YAML has for a NUL in a double-quoted value; the environment
    would end the value there, so each is refused where the value starts, and nothing runs."""
    values = [r'"abc\0def"', r'"abc\x00def"', r'"abc\u0000def"', r'"abc\U00000000def"', r'"\0"']
    golden.check("hostile/env-value-with-a-nul.txt",
                 refusals(run, workdir, [f"env:\n  FOO: {value}\n" for value in values]))


def test_user_id_with_a_leading_zero_is_refused(run: Runner, workdir: Path) -> None:
    """Issue 22: a leading zero in either id, plain or quoted, as for quantities and counts."""
    values = ["010", '"010"', "'0:007'", "00", "1000:0100"]
    golden.check("hostile/user-id-with-a-leading-zero.txt",
                 refusals(run, workdir, [f"user: {value}\n" for value in values]))


# Issue 22: a YAML 1.1 line break (U+0085, U+2028, U+2029) anywhere in a policy: in a comment it
# hides what follows from rlimit-init and shows it to PyYAML; in a value, quoted or not, the two
# read different strings. Refused where it stands.
@pytest.mark.parametrize("line", [
    "  minimum: 256Mi  # note{c}  aboveCgroup: refuse",
    "  minimum: 256Mi{c}",
    "  minimum: '256Mi{c}'",
    '  minimum: "256Mi{c}"',
    "  mini{c}mum: 256Mi",
    "{c}",
], ids=["comment", "plain", "single-quoted", "double-quoted", "key", "alone"])
def test_yaml_1_1_line_break_is_refused_where_it_stands(run: Runner, workdir: Path, line: str,
                                                        request: pytest.FixtureRequest) -> None:
    cases = [line.format(c=char) + "\n" for char in ("\u0085", "\u2028", "\u2029")]
    golden.check(f"hostile/yaml-1-1-line-break-{request.node.callspec.id}.txt",
                 refusals(run, workdir, cases, check=True))


def test_yaml_1_1_line_breaks_written_as_escapes_are_accepted(run: Runner,
                                                              workdir: Path) -> None:
    policy = write_policy(workdir, HEADER + 'env:\n  A: "x\\u2028y\\Lz\\u0085\\P"\n')
    done = run(["-q", "-p", str(policy), "--", "sh", "-c", 'printf %s "$A" | od -An -tx1'])
    assert (done.returncode, done.stdout.split(), done.stderr) == (
        0, "78 e2 80 a8 79 e2 80 a8 7a c2 85 e2 80 a9".split(), "")


def test_escapes_yaml_cpp_reads_as_a_lone_byte_are_refused(run: Runner, workdir: Path) -> None:
    """yaml-cpp 0.7.0 reads the escapes \\N and \\_ as the lone bytes 0x85 and 0xA0, not as
    U+0085 and U+00A0 as YAML (and PyYAML) does: the workload would get a byte that is not
    UTF-8."""
    cases = [f'env:\n  A: "x{escape}y"\n' for escape in ("\\N", "\\_")]
    golden.check("hostile/escape-read-as-a-lone-byte.txt", refusals(run, workdir, cases))


def test_an_invisible_character_in_a_key_is_named(run: Runner, workdir: Path) -> None:
    """Issue 22: a key that looks like an expected one but holds a character that does not
    show."""
    chars = ["\u200b", "\u200d", "\u2060", "\u00ad", "\u202e", "\u00a0", "\ufeff",
             "\U000e0041"]
    golden.check("hostile/invisible-character-in-a-key.txt", refusals(
        run, workdir, [f"  mini{char}mum: 256Mi\n" for char in chars], check=True))


def test_a_boolean_that_is_not_plain_is_named_by_its_style(run: Runner, workdir: Path) -> None:
    """Issue 22: a boolean written in any style but plain is a string; the message says which
    style."""
    values = ["'true'", '"false"', "! true", '! "true"', "|-\n    true", "|\n    true",
              ">-\n    false"]
    golden.check("hostile/boolean-not-plain.txt", refusals(
        run, workdir, [f"  raiseHard: {value}\n" for value in values], check=True))


def test_policy_that_is_not_a_small_regular_file(run: Runner, workdir: Path) -> None:
    """A directory, a FIFO (opening it for reading must not wait for a writer), /dev/zero, a
    dangling symlink, a file past 256 KiB: check refuses each on stdout."""
    (workdir / "directory.yaml").mkdir()
    os.mkfifo(workdir / "fifo.yaml")
    (workdir / "dev-zero.yaml").symlink_to("/dev/zero")
    (workdir / "dangling.yaml").symlink_to(workdir / "nowhere")
    write(workdir / "large.yaml", HEADER + "#" * (256 * 1024))
    said = []
    for name in ("directory", "fifo", "dev-zero", "dangling", "large"):
        done = run(["check", "-p", str(workdir / f"{name}.yaml")])
        assert (done.returncode, done.stderr) == (78, ""), name
        said.append(done.stdout.replace(str(workdir), "{workdir}"))
    golden.check("hostile/policy-not-a-small-regular-file.txt", "".join(said))


def test_unreadable_policy_as_non_root(run: Runner, workdir: Path, nobody_binary: Path) -> None:
    policy = write_policy(workdir, HEADER)
    policy.chmod(0o600)
    done = run(["check", "-p", str(policy)], user=NOBODY, binary=nobody_binary)
    assert (done.returncode, done.stderr) == (78, "")
    golden.check("hostile/policy-unreadable-as-non-root.txt", done.stdout,
                 {str(policy): "{policy}"})


# --- broken hosts -----------------------------------------------------------------------------

def host_copy(directory: Path, name: str) -> Path:
    root = directory / name
    shutil.copytree(HOSTS / name, root, symlinks=True)
    return root


def check_json(run: Runner, root: Path, prefix: list[str] | None = None) -> dict:
    done = run(["check", "--as", "512Mi", "-o", "json", "--host-root", str(root)],
               prefix=prefix or [])
    assert done.returncode == 0, (done.stdout, done.stderr)
    return parse_json(done.stdout)


# The host below --host-root is fixed, and so is the inherited RLIMIT_AS (unlimited, as the
# sanitized run needs it): the whole decision is the same on every machine.

def test_no_proc_at_all_makes_the_limit_unknown(run: Runner, workdir: Path) -> None:
    golden.check_json("hostile/no-proc-at-all.json", check_json(run, workdir, AS_UNLIMITED))


@pytest.mark.parametrize("value", ["garbage\n", "\n", "99999999999999999999999\n"],
                         ids=["garbage", "empty", "past-2-64"])
def test_unparseable_limit_makes_the_limit_unknown(run: Runner, workdir: Path, value,
                                                  request: pytest.FixtureRequest) -> None:
    # The ancestors' 8 GiB is no answer: the leaf's limit may be lower.
    root = host_copy(workdir, "v2-nested")
    write(root / LEAF_MAX, value)
    golden.check_json(f"hostile/unparseable-limit-{request.node.callspec.id}.json",
                      check_json(run, root, AS_UNLIMITED))


@pytest.mark.sets_rlimit_as
def test_endless_file_in_place_of_a_limit_is_read_at_most_one_mib(run: Runner,
                                                                   workdir: Path) -> None:
    # memory.max is /dev/zero: a read without a cap never ends, and a cap much above 1 MiB
    # cannot be held under a 48 MiB hard RLIMIT_AS (with the cap at 64 MiB this dies of
    # std::bad_alloc; tried).
    root = host_copy(workdir, "v2-nested")
    (root / LEAF_MAX).unlink()
    (root / LEAF_MAX).symlink_to("/dev/zero")
    done = run(["check", "--as", "hard", "-o", "json", "--host-root", str(root)],
               as_limit=(48 * MIB, 48 * MIB))
    assert done.returncode == 0, (done.stdout[:200], done.stderr)
    golden.check_json("hostile/endless-limit-file.json", parse_json(done.stdout))


def test_deleted_cgroup_is_said(run: Runner, workdir: Path) -> None:
    root = host_copy(workdir, "v2-nested")
    path = root / "proc/self/cgroup"
    write(path, path.read_text().rstrip("\n") + " (deleted)\n")
    golden.check_json("hostile/deleted-cgroup.json", check_json(run, root, AS_UNLIMITED))


def test_unreadable_mountinfo_as_non_root(run: Runner, workdir: Path,
                                          nobody_binary: Path) -> None:
    root = host_copy(workdir, "v2-nested")
    for dirpath, _, filenames in os.walk(root):
        os.chmod(dirpath, 0o755)
        for f in filenames:
            os.chmod(os.path.join(dirpath, f), 0o644)
    (root / "proc/self/mountinfo").chmod(0)
    done = run(["check", "-q", "--as", "512Mi", "--host-root", str(root)], user=NOBODY,
               binary=nobody_binary, prefix=AS_UNLIMITED)
    assert done.returncode == 0
    golden.check("hostile/unreadable-mountinfo-warned.txt", done.stdout)
    done = run(["check", "--as", "512Mi", "-o", "json", "--host-root", str(root)], user=NOBODY,
               binary=nobody_binary, prefix=AS_UNLIMITED)
    golden.check_json("hostile/unreadable-mountinfo.json", parse_json(done.stdout))


# --- rlimits and capabilities -----------------------------------------------------------------

@pytest.mark.sets_rlimit_as
def test_raise_hard_as_root_in_a_user_namespace_is_refused_with_the_reason(
        run: Runner, workdir: Path) -> None:
    skip_unless(shutil.which("unshare") is not None, "unshare (util-linux) is not installed")
    policy = write_policy(workdir, HEADER + "  raiseHard: true\n")
    done = run(["check", "-p", str(policy)], as_limit=(256 * MIB, 256 * MIB),
               prefix=["unshare", "--user", "--map-root-user"], env=KUBERNETES)
    if done.returncode != 77 and "unshare failed" in done.stderr:
        skip_unless(False, "user namespaces are not available here: " + done.stderr.strip())
    assert done.returncode == 77
    golden.check("hostile/raise-hard-in-a-user-namespace-refused.txt", done.stdout,
                 {str(policy): "{policy}"})


# --- env: that changes how the workload is found and loaded ----------------------------------

ENV_HEADER = "apiVersion: rlimit-init/v1\naddressSpace:\n  request: hard\nenv:\n"


def shadowing_uname(workdir: Path) -> Path:
    """A directory with a script named like a system command."""
    bin_dir = workdir / "env-bin"
    bin_dir.mkdir()
    script = bin_dir / "uname"
    script.write_text("#!/bin/sh\necho \"uname from env's PATH\"\n")
    script.chmod(0o755)
    return bin_dir


@pytest.mark.parametrize("mode", ["exec", "child"])
def test_a_bare_command_is_looked_up_in_the_path_that_env_sets(run: Runner, workdir: Path,
                                                                mode: str) -> None:
    """As env(1) (`env PATH=DIR cmd`) and runc (the container's Env, then LookPath) do: the
    command is looked up after env: applies, in both modes."""
    bin_dir = shadowing_uname(workdir)
    policy = write_policy(workdir, ENV_HEADER + f"  PATH: {bin_dir}:/usr/bin:/bin\n")
    done = run(["-q", "--init", mode, "-p", str(policy), "--", "uname"])
    assert (done.returncode, done.stdout, done.stderr) == (0, "uname from env's PATH\n", "")
    # A path with a slash is not looked up; without env: PATH the inherited PATH finds uname.
    plain = write_policy(workdir, ENV_HEADER + "  LANG: C\n", name="plain.yaml")
    done = run(["-q", "--init", mode, "-p", str(plain), "--", "uname"])
    assert (done.returncode, done.stdout, done.stderr) == (0, "Linux\n", "")


def test_a_command_missing_from_envs_path_names_that_path(run: Runner, workdir: Path) -> None:
    bin_dir = shadowing_uname(workdir)
    policy = write_policy(workdir, ENV_HEADER + f"  PATH: {bin_dir}\n")
    done = run(["-q", "-p", str(policy), "--", "true"])
    assert (done.returncode, done.stdout) == (127, "")
    golden.check("hostile/command-missing-from-envs-path.txt", done.stderr,
                 {str(workdir): "{workdir}"})


def test_ld_preload_from_env_reaches_the_workloads_loader_only(run: Runner,
                                                               workdir: Path) -> None:
    """rlimit-init is static and already running: LD_PRELOAD is for the workload's ld.so."""
    policy = write_policy(workdir, ENV_HEADER + "  LD_PRELOAD: /nonexistent/preload.so\n")
    done = run(["-q", "-p", str(policy), "--", "/bin/true"])
    assert (done.returncode, done.stdout, done.stderr) == (
        0, "", "ERROR: ld.so: object '/nonexistent/preload.so' from LD_PRELOAD cannot be "
               "preloaded (cannot open shared object file): ignored.\n")


# --- an address-space limit below what the binary itself needs ------------------------------

KIB = 1024
# What os/early_start.cc adds to the image for the rest of a start (measured there).
HEADROOM = 384 * KIB


def image_bytes(binary: Path) -> int:
    """The span the kernel maps for the static binary's PT_LOAD segments (the linker's
    `_end - __executable_start`), read from its ELF program headers."""
    data = binary.read_bytes()
    phoff, = struct.unpack_from("<Q", data, 32)
    phentsize, phnum = struct.unpack_from("<HH", data, 54)
    loads = []
    for i in range(phnum):
        kind, _, _, vaddr, _, _, memsz, _ = struct.unpack_from("<IIQQQQQQ", data,
                                                               phoff + i * phentsize)
        if kind == 1:
            loads.append((vaddr, vaddr + memsz))
    return max(end for _, end in loads) - min(start for start, _ in loads)


def said_too_little(text: str, kib: int, needed: int) -> None:
    """Compares the early start's refusal with its golden file: the limit (`kib` KiB) and what
    the start needs (`needed` bytes) follow the binary's size, so they are worked out here from
    its ELF headers and written {limit} and {needed}; the golden file holds the words."""
    golden.check("hostile/too-little-to-start.txt", text, {
        re.compile(rf"\b{kib * 1024}\b"): "{limit times 1024}",
        re.compile(rf"\b{needed // KIB}\b"): "{needed}", re.compile(rf"\b{kib}\b"): "{limit}"})


@pytest.mark.sets_rlimit_as
def test_ulimit_v_2048_is_below_the_image_and_the_kernel_kills_it_at_exec(
        run: Runner, built_binary: Path) -> None:
    """Issue 22.10's `ulimit -v 2048` (MiB meant, KiB read): the image alone is larger, so
    exec fails past its point of no return and the kernel sends SIGSEGV; no code of
    rlimit-init runs, so nothing can be said (docs/faults.md's table gives the floor)."""
    assert image_bytes(built_binary) > 2048 * KIB
    done = run(["-q", "--as", "1Gi", "--", "true"], as_limit=(2048 * KIB, 2048 * KIB))
    assert (done.returncode, done.stdout, done.stderr) == (-signal.SIGSEGV, "", "")


@pytest.mark.sets_rlimit_as
def test_a_soft_limit_that_stopped_glibcs_start_is_lifted_before_it(
        run: Runner, built_binary: Path) -> None:
    """Just above the image, glibc's own start (its TLS block, the first malloc) died with
    SIGSEGV or "Fatal glibc error: Cannot allocate TLS block"; the entry point lifts the soft
    limit to the hard one before glibc starts, so the run goes through."""
    soft = (image_bytes(built_binary) + 192 * KIB) // 4096 * 4096
    done = run(["-q", "--as", "1Gi", "--", "sh", "-c", "ulimit -Sv"], as_limit=(soft, "unlimited"))
    assert (done.returncode, done.stdout, done.stderr) == (0, "1048576\n", "")


@pytest.mark.sets_rlimit_as
def test_a_hard_limit_too_small_to_start_is_said_before_glibc_starts(
        run: Runner, built_binary: Path) -> None:
    needed = (image_bytes(built_binary) + HEADROOM + KIB - 1) // KIB * KIB
    kib = (image_bytes(built_binary) + 192 * KIB) // KIB
    done = run(["-q", "--as", "1Gi", "--", "true"], as_limit=(kib * KIB, kib * KIB))
    assert (done.returncode, done.stdout) == (70, "")
    said_too_little(done.stderr, kib, needed)
    # From `needed` on, main is reached and speaks for itself.
    done = run(["check", "-q", "--as", "1Mi"], as_limit=(needed, needed))
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")
    done = run(["check", "-q", "--as", "1Mi"], as_limit=(needed - KIB, needed - KIB))
    assert done.returncode == 70
    said_too_little(done.stderr, needed // KIB - 1, needed)


# --- termination message path ------------------------------------------------------------------

@pytest.mark.sets_rlimit_as
@pytest.mark.parametrize("kind", ["directory", "dev-full", "read-only"])
def test_termination_path_that_cannot_be_written_changes_nothing(run: Runner, workdir: Path,
                                                                 nobody_binary: Path,
                                                                 kind: str) -> None:
    target: Path | str = workdir / "term"
    if kind == "directory":
        Path(target).mkdir()
    elif kind == "dev-full":
        target = "/dev/full"  # every write fails with ENOSPC, as on a full filesystem
    else:
        require_root("starting as another user")
        write(Path(target), "").chmod(0o444)
    policy = write_policy(workdir, HEADER + f"report:\n  terminationMessagePath: {target}\n")
    user = NOBODY if kind == "read-only" else None
    done = run(["-p", str(policy), "--", "true"], as_limit=(256 * MIB, 256 * MIB), user=user,
               binary=nobody_binary if user else None, env=KUBERNETES)
    assert (done.returncode, done.stdout) == (77, "")
    golden.check("hostile/refused-whatever-the-termination-path.txt", done.stderr,
                 {str(policy): "{policy}"})

# SPDX-License-Identifier: Apache-2.0
"""The VM harness itself, without booting: the initramfs it writes is a cpio archive that a real
cpio reads back (busybox's), and the second serial port's protocol is parsed strictly, so that
a VM that dies mid-case is reported as such and never passes."""

from __future__ import annotations

import base64
import gzip
import stat
import subprocess
from pathlib import Path

import pytest

from conftest import skip_unless
from vm_machine import BUSYBOX, VM_DIR, CaseResult, VmCase, VmRun, initramfs, parse_protocol

CASES: list[VmCase] = []  # nothing to boot


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def test_initramfs_unpacks_with_a_real_cpio(tmp_path: Path) -> None:
    skip_unless(BUSYBOX.is_file(), f"{BUSYBOX} (busybox-static) is not installed")
    binary, helper = tmp_path / "bin", tmp_path / "helper"
    binary.write_bytes(b"\x7fELF binary")
    helper.write_bytes(b"\x7fELF helper, 17 b")  # lengths that need padding
    archive = tmp_path / "initramfs.cpio"
    archive.write_bytes(gzip.decompress(initramfs(
        [VmCase("b-second", "echo 2\n"), VmCase("a-first", "echo 1\n")], binary, helper)))
    root = tmp_path / "root"
    root.mkdir()
    listing = subprocess.run([str(BUSYBOX), "cpio", "-t"], stdin=archive.open("rb"),
                             capture_output=True, text=True, check=True).stdout.split()
    assert listing == ["bin", "dev", "proc", "sys", "tmp", "vm", "cases", "etc", "dev/console",
                       "bin/busybox", "bin/rlimit-init", "bin/vmhelper", "init", "vm/lib.sh",
                       "cases/a-first", "cases/b-second"]
    # Extracting device nodes needs root; the files are what matters here.
    subprocess.run([str(BUSYBOX), "cpio", "-i", "-d", "bin/*", "init", "vm/*", "cases/*"],
                   stdin=archive.open("rb"), cwd=root, capture_output=True, check=True)
    assert (root / "bin" / "rlimit-init").read_bytes() == binary.read_bytes()
    assert (root / "bin" / "vmhelper").read_bytes() == helper.read_bytes()
    assert (root / "init").read_bytes() == (VM_DIR / "init.sh").read_bytes()
    assert stat.S_IMODE((root / "init").stat().st_mode) == 0o755
    assert (root / "cases" / "a-first").read_text() == "echo 1\n"


def test_protocol_reads_every_part_of_a_case() -> None:
    out = b64("out\n")
    text = (f"@@vm begin one\r\n@@vm stdout one {out}\r\n@@vm stderr one \r\n"
            f"@@vm file one seen {b64('a b')}\r\n@@vm end one 77\r\n@@vm finished 1\r\n")
    results, finished = parse_protocol(text)
    assert (results, finished) == ({"one": CaseResult("one", 77, "out\n", "", {"seen": "a b"})}, 1)


def test_a_case_cut_off_by_the_vm_dying_is_a_failure_with_the_console() -> None:
    results, finished = parse_protocol(f"@@vm begin one\n@@vm stdout one {b64('x')}\n")
    assert (results, finished) == ({"one": CaseResult("one", None, "x")}, None)
    run = VmRun(results, finished, "Kernel panic - not syncing\n", "", 1.0)
    with pytest.raises(AssertionError, match="(?s)VM case one did not complete .*Kernel panic"):
        run.case("one")
    with pytest.raises(AssertionError, match="VM case two did not complete \\(no such case"):
        run.case("two")


@pytest.mark.parametrize("text", [
    "@@vm stdout ghost eA==\n",  # never began
    "@@vm begin one\n@@vm begin one\n",  # began twice
    "@@vm begin one\n@@vm end one\n",  # no status
    "@@vm begin one\n@@vm what one\n",  # unknown kind
])
def test_malformed_protocol_lines_are_errors(text: str) -> None:
    with pytest.raises(AssertionError):
        parse_protocol(text)


def test_lines_that_are_not_protocol_are_ignored() -> None:
    results, finished = parse_protocol("random noise\n@@vmx begin a\n@@vm finished 0\n")
    assert (results, finished) == ({}, 0)

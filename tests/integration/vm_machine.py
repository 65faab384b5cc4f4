# SPDX-License-Identifier: Apache-2.0
"""A real Linux kernel in qemu for the tests that this host cannot run: a pure cgroup v2
hierarchy with the memory controller, and real root with CAP_SYS_RESOURCE.

The kernel is Debian's cloud kernel (scripts/vm/kernel.sh downloads it once per version); the
initramfs is built here: busybox-static, the static rlimit-init under test, the static
tests/vm/vmhelper.c, /init (tests/vm/init.sh) and one script per case. A case is data, a name
and a shell script; /init runs every case in one boot and reports each case's stdout, stderr,
files and exit status on the second serial port, which this module parses into CaseResults.

Every tests/integration/test_vm_*.py declares its cases in a module-level CASES list; the first
test that asks for results boots once with the cases of all of them (see `results`).
"""

from __future__ import annotations

import base64
import functools
import gzip
import importlib
import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
VM_DIR = REPO / "tests" / "vm"
BINARY = Path(os.environ.get("RLIMIT_INIT_BIN") or REPO / "build" / "rlimit-init").absolute()
HELPER = Path(os.environ.get("RLIMIT_INIT_VM_HELPER") or REPO / "build" / "vmhelper").absolute()
BUSYBOX = Path("/bin/busybox")
QEMU = "qemu-system-x86_64"
# The whole boot, every case included, takes 10 to 30 s under TCG on a shared machine; past
# this the VM is stuck, and the test says so with the console's tail.
BOOT_TIMEOUT = 600
# Where the tested programs sit inside the VM.
VM_BINARY = "/bin/rlimit-init"
VM_HELPER = "/bin/vmhelper"
# The kernel's command line: the console on the first serial port, /init from the initramfs,
# and a panic (PID 1 exiting) ends the VM at once instead of hanging.
KERNEL_ARGS = "console=ttyS0 rdinit=/init panic=-1"


@dataclass(frozen=True)
class VmCase:
    """One case: NAME is its file name in /cases (cases run in name order), SCRIPT a busybox sh
    script run with tests/vm/lib.sh sourced, in an empty directory, as root."""
    name: str
    script: str


@dataclass
class CaseResult:
    name: str
    status: int | None = None  # None: the case never ended (the VM died or timed out)
    stdout: str = ""
    stderr: str = ""
    files: dict[str, str] = field(default_factory=dict)


@dataclass
class VmRun:
    results: dict[str, CaseResult]
    finished: int | None  # how many cases /init says it ran; None when it never said so
    console: str  # the kernel's console, for diagnosis
    protocol: str  # the raw second serial port
    seconds: float

    def case(self, name: str) -> CaseResult:
        """The result of case NAME; fails with the console's tail when it did not complete."""
        result = self.results.get(name)
        if result is None or result.status is None or self.finished is None:
            tail = "\n".join(self.console.splitlines()[-40:])
            raise AssertionError(
                f"VM case {name} did not complete ({'no such case' if result is None else 'no end line'}"
                f"; /init finished: {self.finished}); console tail:\n{tail}")
        return result


# ---------------------------------------------------------------------------------------------
# The initramfs: a gzip-compressed cpio archive in the "newc" format the kernel unpacks.

S_IFDIR, S_IFREG, S_IFCHR = 0o040000, 0o100000, 0o020000


class Cpio:
    """Writes a newc cpio archive: 110-byte ASCII headers, names and data padded to 4 bytes.
    Every entry belongs to root; parents must be added before their entries."""

    def __init__(self) -> None:
        self.data = bytearray()
        self.inode = 1

    def _entry(self, name: str, mode: int, content: bytes = b"", rdev: tuple[int, int] = (0, 0),
               nlink: int = 1) -> None:
        encoded = name.encode() + b"\0"
        fields = [self.inode, mode, 0, 0, nlink, 0, len(content), 0, 0, rdev[0], rdev[1],
                  len(encoded), 0]
        self.inode += 1
        self.data += b"070701" + b"".join(b"%08X" % value for value in fields) + encoded
        self.data += b"\0" * (-len(self.data) % 4) + content
        self.data += b"\0" * (-len(self.data) % 4)

    def directory(self, name: str) -> None:
        self._entry(name, S_IFDIR | 0o755, nlink=2)

    def file(self, name: str, content: bytes, mode: int = 0o755) -> None:
        self._entry(name, S_IFREG | mode, content)

    def char_device(self, name: str, major: int, minor: int) -> None:
        self._entry(name, S_IFCHR | 0o600, rdev=(major, minor))

    def finish(self) -> bytes:
        self._entry("TRAILER!!!", 0, nlink=1)
        return bytes(self.data) + b"\0" * (-len(self.data) % 512)


def initramfs(cases: list[VmCase], binary: Path, helper: Path) -> bytes:
    archive = Cpio()
    for directory in ("bin", "dev", "proc", "sys", "tmp", "vm", "cases", "etc"):
        archive.directory(directory)
    # The kernel opens /dev/console for /init's stdio before /init mounts devtmpfs.
    archive.char_device("dev/console", 5, 1)
    archive.file("bin/busybox", BUSYBOX.read_bytes())
    archive.file(VM_BINARY[1:], binary.read_bytes())
    archive.file(VM_HELPER[1:], helper.read_bytes())
    archive.file("init", (VM_DIR / "init.sh").read_bytes())
    archive.file("vm/lib.sh", (VM_DIR / "lib.sh").read_bytes(), 0o644)
    names = [case.name for case in cases]
    assert len(set(names)) == len(names), f"duplicate VM case names: {sorted(names)}"
    for case in sorted(cases, key=lambda c: c.name):
        archive.file(f"cases/{case.name}", case.script.encode(), 0o644)
    return gzip.compress(archive.finish(), compresslevel=6, mtime=0)


# ---------------------------------------------------------------------------------------------
# The protocol on the second serial port (tests/vm/init.sh).


def _decode(fields: list[str], index: int) -> str:
    return base64.b64decode(fields[index]).decode() if len(fields) > index else ""


def parse_protocol(text: str) -> tuple[dict[str, CaseResult], int | None]:
    """Reads the @@vm lines; anything else on the port (there should be nothing) is ignored.
    A case whose end line is missing keeps status None."""
    results: dict[str, CaseResult] = {}
    finished = None
    for line in text.replace("\r", "").split("\n"):
        fields = line.split(" ")
        if len(fields) < 2 or fields[0] != "@@vm":
            continue
        kind, args = fields[1], fields[2:]
        if kind == "finished" and len(args) == 1:
            finished = int(args[0])
            continue
        if not args:
            raise AssertionError(f"malformed VM protocol line: {line!r}")
        name = args[0]
        if kind == "begin":
            assert name not in results, f"VM case {name} began twice"
            results[name] = CaseResult(name)
            continue
        result = results.get(name)
        assert result is not None, f"VM protocol line for a case that never began: {line!r}"
        if kind == "stdout":
            result.stdout = _decode(fields, 3)
        elif kind == "stderr":
            result.stderr = _decode(fields, 3)
        elif kind == "file" and len(args) >= 2:
            result.files[args[1]] = _decode(fields, 4)
        elif kind == "end" and len(args) == 2:
            result.status = int(args[1])
        else:
            raise AssertionError(f"malformed VM protocol line: {line!r}")
    return results, finished


# ---------------------------------------------------------------------------------------------
# Booting.


def kernel() -> Path:
    """The cached Debian cloud kernel (downloaded on first use)."""
    done = subprocess.run(["bash", str(REPO / "scripts" / "vm" / "kernel.sh")],
                          capture_output=True, text=True, timeout=600)
    if done.returncode != 0:
        raise AssertionError(f"scripts/vm/kernel.sh failed:\n{done.stderr}")
    return Path(done.stdout.strip())


def missing_tools() -> list[str]:
    """What booting needs and this machine lacks (scripts/setup.sh --tests installs it)."""
    missing = []
    if shutil.which(QEMU) is None:
        missing.append(f"{QEMU} (Debian package qemu-system-x86)")
    if not BUSYBOX.is_file():
        missing.append(f"{BUSYBOX} (Debian package busybox-static)")
    if not os.access(BINARY, os.X_OK):
        missing.append(f"{BINARY} (build it: scripts/build.sh)")
    if not os.access(HELPER, os.X_OK):
        missing.append(f"{HELPER} (built with the tests: scripts/build.sh)")
    return missing


def boot(cases: list[VmCase]) -> VmRun:
    """Boots once with CASES and returns what the VM reported."""
    with tempfile.TemporaryDirectory(prefix="rlimit-init-vm-") as scratch:
        work = Path(scratch)
        (work / "initramfs.gz").write_bytes(initramfs(cases, BINARY, HELPER))
        console, protocol = work / "console.log", work / "protocol.log"
        command = [QEMU, "-m", "512", "-smp", "1", "-nographic", "-no-reboot", "-nic", "none",
                   "-monitor", "none", "-serial", f"file:{console}",
                   "-serial", f"file:{protocol}", "-kernel", str(kernel()),
                   "-initrd", str(work / "initramfs.gz"), "-append", KERNEL_ARGS]
        started = time.monotonic()
        try:
            done = subprocess.run(command, stdin=subprocess.DEVNULL, capture_output=True,
                                  text=True, timeout=BOOT_TIMEOUT)
            qemu_error = done.stderr if done.returncode != 0 else ""
        except subprocess.TimeoutExpired:
            qemu_error = f"qemu was killed after {BOOT_TIMEOUT} s"
        seconds = time.monotonic() - started
        console_text = console.read_text(errors="replace") if console.exists() else ""
        protocol_text = protocol.read_text(errors="replace") if protocol.exists() else ""
    if qemu_error:
        console_text += f"\n[{qemu_error}]"
    results, finished = parse_protocol(protocol_text)
    return VmRun(results, finished, console_text, protocol_text, seconds)


def all_cases() -> list[VmCase]:
    """The facts case and the CASES of every test_vm_*.py, so that one boot serves all of them
    whichever file pytest was asked to run."""
    from vm_expected import FACTS  # imports this module: import it only once both exist

    cases: list[VmCase] = [FACTS]
    for path in sorted(Path(__file__).parent.glob("test_vm_*.py")):
        cases += importlib.import_module(path.stem).CASES
    return cases


@functools.cache
def _boot_once() -> VmRun | str:
    """The one boot of this pytest process, or why it could not start (kept, so that every
    test says it instead of booting again)."""
    missing = missing_tools()
    if missing:
        return "the VM tests need " + "; ".join(missing)
    try:
        return boot(all_cases())
    except AssertionError as error:
        return str(error)


@pytest.fixture
def vm() -> VmRun:
    """The results of the one boot; skips (a failure under RLIMIT_INIT_NO_SKIP=1) when qemu,
    busybox-static or a built binary is missing."""
    run = _boot_once()
    if isinstance(run, str):
        if run.startswith("the VM tests need"):
            pytest.skip(run)
        pytest.fail(run, pytrace=False)
    return run

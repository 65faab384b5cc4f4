# SPDX-License-Identifier: Apache-2.0
"""The RLIMIT_DATA line of an address-space refusal (src/advice/advice_data.cc), followed for
real: the setting it names, taken from the binary's own JSON, is accepted by its tool, and with
the cap moved from the address space to the data segment at the value printed, the runtimes
that fail under the address-space cap run (the JVM, node with a WebAssembly memory, Go), a job
that really allocates past it still fails, and rlimit-init grants the request it refused.

The value is chosen so that all three runtimes fail under RLIMIT_AS at it and fit under
RLIMIT_DATA (least AS: 711 MiB node, 695 MiB Go, 4,019 MiB the JVM without -Xmx; least DATA
480 MiB and less: docs/runtimes.md). The layer is pinned with --host-root trees (a cgroup path
naming a unit for systemd, nothing for the shell), as test_advice_consumers.py does. systemd is
not PID 1 here, so its setting is checked by systemd-analyze verify and followed with prlimit,
which makes the same setrlimit() call systemd makes before exec. Docker's `--ulimit data=` is
parsed by the real Docker CLI in test_advice_consumers.py; podman's and runc's are followed in
test_podman.py and test_advice_containerd_runc.py."""

from __future__ import annotations

import gzip
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import Runner, skip_unless
from rlimit_json import parse as parse_json
from test_advice_consumers import host_root, verify

pytestmark = pytest.mark.sets_rlimit_as

MIB = 1 << 20
CAP = 512 * MIB          # the layer's hard address-space cap: below the request, so refused
REQUEST = 640 * MIB      # the request, and so the RLIMIT_DATA value the line names
WASM = "new WebAssembly.Memory({initial: 1}); console.log('ok')"
GO_HELLO = 'package main\nimport "fmt"\nfunc main() { fmt.Println("ok") }\n'
# Allocates and touches N MiB: what RLIMIT_DATA is there to stop.
ALLOCATE = ("import sys\nb = bytearray(int(sys.argv[1]) << 20)\n"
            "for i in range(0, len(b), 4096): b[i] = 1\nprint('ok')")


def data_line(run: Runner, root: Path) -> str:
    """The alternative right after the fix of a hard-limit refusal (REQUEST under a hard CAP):
    the RLIMIT_DATA line."""
    result = run(["check", "-o", "json", "--host-root", str(root), "--as", str(REQUEST)],
                 as_limit=(256 * MIB, CAP))
    assert result.returncode == 77, result
    decision = parse_json(result.stdout)
    assert decision["blocker"] == "hard_limit", decision
    line = decision["alternatives"][0]
    assert line.startswith("if the address-space cap is there to bound memory, cap RLIMIT_DATA "
                           "in its place: "), line
    return line


@pytest.fixture(scope="module")
def runtimes(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[list[str], str]]:
    """(command, what it prints when it ran): the JVM without -Xmx, node with one WebAssembly
    memory, a Go hello world."""
    for tool, package in (("java", "openjdk-17-jre-headless"), ("node", "nodejs"),
                          ("go", "golang-go")):
        skip_unless(shutil.which(tool) is not None, f"{tool} is not installed (Debian's "
                    f"{package}; scripts/setup.sh --tests installs it)")
    directory = tmp_path_factory.mktemp("data-runtimes")
    (directory / "hello.go").write_text(GO_HELLO)
    subprocess.run(["go", "build", "-o", "gohello", "hello.go"], cwd=directory, check=True,
                   env={"PATH": "/usr/bin:/bin", "HOME": str(directory), "GO111MODULE": "off",
                        "GOCACHE": str(directory / "cache"), "GOPATH": str(directory / "gopath")})
    return [(["java", "-version"], "openjdk version"), (["node", "-e", WASM], "ok"),
            ([str(directory / "gohello")], "ok")]


def ran(argv: list[str], cwd: Path) -> tuple[bool, str]:
    done = subprocess.run(argv, capture_output=True, text=True, cwd=cwd, timeout=120,
                          stdin=subprocess.DEVNULL)
    return done.returncode == 0, done.stdout + done.stderr


def runs_under(limit: list[str], command: list[str], said: str, cwd: Path) -> bool:
    """Whether `command` runs and says `said` under `limit`, the argv that sets the cap and
    execs the rest."""
    ok, out = ran(limit + command, cwd)
    return ok and said in out


def test_the_shells_ulimit_d_is_bash_s_and_bounds_use_not_reservations(
        run: Runner, tmp_path: Path, workdir: Path,
        runtimes: list[tuple[list[str], str]]) -> None:
    line = data_line(run, host_root(tmp_path, "shell"))
    [kib] = re.findall(r"run ulimit -d (\d+) instead of ulimit -v", line)
    [(soft, hard)] = re.findall(r"prlimit --data=(\d+):(\d+) instead of --as", line)
    assert (int(kib) * 1024, int(soft), int(hard)) == (REQUEST, REQUEST, REQUEST)
    # Accepted by bash: the limit the job then has, soft and hard, in bytes.
    ulimit_d = ["bash", "-ec", f'ulimit -d {kib}; exec "$@"', "bash"]
    ok, out = ran(ulimit_d + ["grep", "^Max data size", "/proc/self/limits"], workdir)
    assert (ok, out.split()[3:5]) == (True, [str(REQUEST), str(REQUEST)])
    # The same number as an address-space cap, as `ulimit -v` gives it: the control.
    ulimit_v = ["bash", "-ec", f'ulimit -v {kib}; exec "$@"', "bash"]
    prlimit = ["prlimit", f"--data={soft}:{hard}"]
    for command, said in runtimes:
        assert [runs_under(cap, command, said, workdir) for cap in (ulimit_v, ulimit_d, prlimit)] \
            == [False, True, True], command
    # It still bounds use: 128 MiB past the value fails with MemoryError, 128 MiB below runs.
    python = ["python3", "-c", ALLOCATE]
    for cap in (ulimit_d, prlimit):
        below = ran(cap + python + [str(REQUEST // MIB - 128)], workdir)
        above = ran(cap + python + [str(REQUEST // MIB + 128)], workdir)
        assert (below, above[0], above[1].splitlines()[-1]) == (
            (True, "ok\n"), False, "MemoryError"), cap
    # And rlimit-init, started the way the line says, with no hard address-space cap: granted.
    granted = run(["check", "-o", "json", "--host-root", str(tmp_path / "shell"), "--as",
                   str(REQUEST)], as_limit=(256 * MIB, "unlimited"), prefix=ulimit_d)
    decision = parse_json(granted.stdout)
    assert (granted.returncode, decision["outcome"], decision["soft_after"]) == (
        0, "raised", REQUEST), granted


def test_limits_conf_has_the_data_item_the_line_names(run: Runner, tmp_path: Path) -> None:
    """pam_limits is not run here (no login); its man page lists the item."""
    line = data_line(run, host_root(tmp_path, "shell"))
    assert 'the "data" item of limits.conf instead of "as"' in line
    page = Path("/usr/share/man/man5/limits.conf.5.gz")
    skip_unless(page.is_file(), f"{page} is missing (libpam-modules' man page)")
    text = gzip.decompress(page.read_bytes()).decode()
    assert re.search(r"^\\fBdata\\fR\n\.RS 4\nmaximum data size \(KB\)$", text, re.M)


def test_systemd_limitdata_passes_verify_and_bounds_use_not_reservations(
        run: Runner, tmp_path: Path, workdir: Path,
        runtimes: list[tuple[list[str], str]]) -> None:
    skip_unless(shutil.which("systemd-analyze") is not None, "systemd-analyze is not installed")
    line = data_line(run, host_root(tmp_path, "systemd", cgroup="/system.slice/batch.service"))
    [value] = re.findall(r"set LimitDATA=(\d+) in batch\.service instead of LimitAS= "
                         r"\(DefaultLimitDATA= instead of DefaultLimitAS=\)", line)
    assert int(value) == REQUEST
    units = tmp_path / "units"
    units.mkdir()
    result = verify(units, "batch.service", f"LimitDATA={value}")
    assert (result.returncode, result.stderr) == (0, "")
    # What systemd does with it before exec, done by prlimit: the job's limit, then the
    # runtimes, then a job that allocates past it.
    prlimit = ["prlimit", f"--data={value}:{value}"]
    for command, said in runtimes:
        assert runs_under(prlimit, command, said, workdir), command
    above = ran(prlimit + ["python3", "-c", ALLOCATE, str(REQUEST // MIB + 128)], workdir)
    assert (above[0], above[1].splitlines()[-1]) == (False, "MemoryError")

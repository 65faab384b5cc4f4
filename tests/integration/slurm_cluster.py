# SPDX-License-Identifier: Apache-2.0
"""A real single-node Slurm (Debian's slurm-wlm 22.05 and munge, from scripts/setup-slurm.sh),
started and stopped by the tests themselves: no systemd, no service, nothing outside one
temporary directory except the memory cgroups slurmd makes (removed again at stop).

munged, slurmctld and slurmd run directly as root with their own slurm.conf, key, ports,
state and spool, on loopback only. The node has this machine's real CPUs and memory (as
`slurmd -C` reports them) and a name unique to the test run, so runs of other engineers on the
same machine cannot meet it: slurmd's cgroup v1 directory is `slurm_<node>` and job ids start at
a random FirstJobId.

The job's hard RLIMIT_AS is slurmd's own, so `restart_slurmd(shell)` starts slurmd from a bash
that first runs `shell` (e.g. "ulimit -Hv 2097152"): exactly what rlimit-init's advice tells an
administrator to do.
"""

from __future__ import annotations

import os
import random
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Mapping, Sequence

from node_pod import remove_cgroup_trees

SLURM_TOOLS = ("munged", "slurmctld", "slurmd", "srun", "sbatch", "sinfo")
CGROUP_V1_MEMORY = Path("/sys/fs/cgroup/memory")
# Starting the daemons takes a few seconds; a job that does not finish within this is a hang.
DEADLINE = 60


def missing_tools() -> list[str]:
    return [tool for tool in SLURM_TOOLS if shutil.which(tool) is None]


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _node_hardware() -> tuple[int, int]:
    """CPUs and RealMemory (MiB) of this machine, as slurmd itself measures them."""
    out = subprocess.run(["slurmd", "-C"], capture_output=True, text=True, check=True,
                         timeout=DEADLINE).stdout
    cpus = re.search(r"\bCPUs=(\d+)", out)
    memory = re.search(r"\bRealMemory=(\d+)", out)
    assert cpus and memory, f"slurmd -C printed no CPUs/RealMemory: {out!r}"
    return int(cpus.group(1)), int(memory.group(1))


def _pid(path: Path) -> int | None:
    try:
        return int(path.read_text().strip())
    except (OSError, ValueError):
        return None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie child of ours (munged, slurmctld and slurmd daemonize, so rarely) counts as gone.
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[1][0] != "Z"
    except (OSError, IndexError):
        return False


def _stop(pidfile: Path) -> None:
    pid = _pid(pidfile)
    if pid is None or not _alive(pid):
        return
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + DEADLINE
    while _alive(pid):
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
        time.sleep(0.1)
    pidfile.unlink(missing_ok=True)


class SlurmCluster:
    """One slurmctld and one slurmd (node `self.node`) in `self.root`."""

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="rlimit-init-slurm."))
        self.root.chmod(0o755)  # munged wants every directory above its socket searchable
        self.node = f"rli{os.getpid()}"
        self.conf = self.root / "slurm.conf"
        self.extra: dict[str, str] = {}
        self.ports = (_free_port(), _free_port())
        self.first_job_id = random.randrange(1_000_000, 60_000_000)
        self.cpus, self.real_memory = _node_hardware()
        for name in ("munge", "state", "spool", "log"):
            (self.root / name).mkdir(mode=0o755)
        key = self.root / "munge" / "munge.key"
        key.write_bytes(os.urandom(1024))
        key.chmod(0o400)

    # -----------------------------------------------------------------------------------------
    # Daemons.

    @property
    def munge_socket(self) -> Path:
        return self.root / "munge" / "munge.socket"

    def env(self, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        """What a client (srun, sbatch, sinfo) needs: this cluster's slurm.conf."""
        env = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
               "LC_ALL": "C", "SLURM_CONF": str(self.conf)}
        env.update(extra or {})
        return env

    def write_conf(self) -> None:
        host = socket.gethostname()
        lines = [
            "ClusterName=rlimitinit",
            f"SlurmctldHost={host}(127.0.0.1)",
            "SlurmUser=root",
            "SlurmdUser=root",
            "AuthType=auth/munge",
            "CredType=cred/munge",
            f"AuthInfo=socket={self.munge_socket}",
            f"SlurmctldPort={self.ports[0]}",
            f"SlurmdPort={self.ports[1]}",
            f"StateSaveLocation={self.root / 'state'}",
            f"SlurmdSpoolDir={self.root / 'spool'}",
            f"SlurmctldPidFile={self.root / 'slurmctld.pid'}",
            f"SlurmdPidFile={self.root / 'slurmd.pid'}",
            f"SlurmctldLogFile={self.root / 'log' / 'slurmctld.log'}",
            f"SlurmdLogFile={self.root / 'log' / 'slurmd.log'}",
            "SlurmdDebug=debug2",
            f"FirstJobId={self.first_job_id}",
            "ProctrackType=proctrack/linuxproc",
            # task/cgroup with ConstrainRAMSpace gives each job the v1 memory limit --mem asks.
            "TaskPlugin=task/cgroup",
            "JobAcctGatherType=jobacct_gather/none",
            "AccountingStorageType=accounting_storage/none",
            "SelectType=select/cons_tres",
            "SelectTypeParameters=CR_Core_Memory",
            "MpiDefault=none",
            "ReturnToService=2",
            *(f"{key}={value}" for key, value in self.extra.items()),
            f"NodeName={self.node} NodeHostname={host} NodeAddr=127.0.0.1 CPUs={self.cpus} "
            f"RealMemory={self.real_memory} State=UNKNOWN",
            f"PartitionName=rlimitinit Nodes={self.node} Default=YES MaxTime=INFINITE State=UP",
        ]
        self.conf.write_text("\n".join(lines) + "\n")
        (self.root / "cgroup.conf").write_text(
            "CgroupPlugin=cgroup/v1\n"
            f"CgroupMountpoint={CGROUP_V1_MEMORY.parent}\n"
            "ConstrainRAMSpace=yes\n"
            "ConstrainSwapSpace=no\n"
            "ConstrainCores=no\n"
            "ConstrainDevices=no\n")

    def start(self) -> None:
        self.write_conf()
        munge = self.root / "munge"
        subprocess.run(["munged", f"--socket={self.munge_socket}",
                        f"--key-file={munge / 'munge.key'}", f"--pid-file={munge / 'munged.pid'}",
                        f"--log-file={munge / 'munged.log'}",
                        f"--seed-file={munge / 'munged.seed'}"],
                       check=True, timeout=DEADLINE, env=self.env())
        subprocess.run(["slurmctld", "-f", str(self.conf)], check=True, timeout=DEADLINE,
                       env=self.env())
        self.restart_slurmd()

    def restart_slurmd(self, shell: str = "") -> None:
        """Stops slurmd and starts it again from `bash -c "SHELL; exec slurmd ..."`, so that
        slurmd (and every job step it forks) inherits the limits SHELL sets."""
        _stop(self.root / "slurmd.pid")
        script = (shell + "\n" if shell else "") + f'exec slurmd -f "$1" -N "$2"'
        subprocess.run(["bash", "-ec", script, "bash", str(self.conf), self.node],
                       check=True, timeout=DEADLINE, env=self.env())
        self.wait_slurmd()
        self.wait_idle()

    def wait_slurmd(self) -> None:
        """Until the new slurmd has written its pid file and answers on its port (slurmctld may
        still list the node idle from before the restart)."""
        deadline = time.monotonic() + DEADLINE
        while time.monotonic() < deadline:
            pid = _pid(self.root / "slurmd.pid")
            if pid is not None and _alive(pid) and subprocess.run(
                    ["scontrol", "show", "slurmd"], capture_output=True, env=self.env(),
                    timeout=DEADLINE).returncode == 0:
                return
            time.sleep(0.2)
        raise AssertionError(f"slurmd did not start within {DEADLINE} s; see {self.root / 'log'}")

    def reconfigure(self, **extra: str) -> None:
        """Rewrites slurm.conf with `extra` keys (e.g. VSizeFactor="150") and restarts both
        daemons; slurmd restarts under the limits of the test process."""
        self.extra = dict(extra)
        self.write_conf()
        _stop(self.root / "slurmctld.pid")
        subprocess.run(["slurmctld", "-f", str(self.conf)], check=True, timeout=DEADLINE,
                       env=self.env())
        self.restart_slurmd()

    def wait_idle(self) -> None:
        deadline = time.monotonic() + DEADLINE
        state = ""
        while time.monotonic() < deadline:
            state = subprocess.run(["sinfo", "-h", "-n", self.node, "-o", "%T"],
                                   capture_output=True, text=True, env=self.env(),
                                   timeout=DEADLINE).stdout.strip()
            if state == "idle":
                return
            time.sleep(0.2)
        raise AssertionError(f"node {self.node} is {state!r}, not idle, after {DEADLINE} s; "
                             f"see {self.root / 'log'}")

    def slurmd_limits(self) -> str:
        """The "Max address space" line of slurmd's /proc/PID/limits."""
        pid = _pid(self.root / "slurmd.pid")
        assert pid is not None
        for line in Path(f"/proc/{pid}/limits").read_text().splitlines():
            if line.startswith("Max address space"):
                return line
        raise AssertionError("no Max address space line")

    def stop(self) -> None:
        _stop(self.root / "slurmd.pid")
        _stop(self.root / "slurmctld.pid")
        _stop(self.root / "munge" / "munged.pid")
        self._remove_cgroups()
        shutil.rmtree(self.root, ignore_errors=True)

    def job_cgroup(self, job_id: str, step: str) -> str:
        """The v1 memory cgroup directory slurmd makes for a step of a job run as root."""
        return f"{CGROUP_V1_MEMORY}/slurm_{self.node}/uid_0/job_{job_id}/step_{step}"

    def _remove_cgroups(self) -> None:
        """slurmd leaves its (empty) slurm_<node> tree in the v1 memory hierarchy."""
        remove_cgroup_trees(f"slurm_{self.node}", [CGROUP_V1_MEMORY])

    # -----------------------------------------------------------------------------------------
    # Jobs.

    def srun(self, args: Sequence[str], options: Sequence[str] = (),
             submit_limit: str | None = None,
             env: Mapping[str, str] | None = None) -> subprocess.CompletedProcess:
        """srun OPTIONS ARGS from a submit shell whose RLIMIT_AS is `submit_limit`
        (prlimit's "SOFT:HARD"), in the cluster's directory."""
        argv = ["srun", "--quiet", *options, *args]
        if submit_limit is not None:
            argv = ["prlimit", f"--as={submit_limit}", *argv]
        return subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                              env=self.env(env), cwd=self.root, timeout=DEADLINE)

    def sbatch(self, script: str, options: Sequence[str] = (), submit_limit: str | None = None,
               env: Mapping[str, str] | None = None) -> tuple[subprocess.CompletedProcess, str]:
        """sbatch --wait OPTIONS with `script` as the batch script; returns sbatch's result
        (stdout: the job id) and the job's output (stdout and stderr)."""
        handle, path = tempfile.mkstemp(prefix="job.", suffix=".out", dir=self.root)
        os.close(handle)
        argv = ["sbatch", "--wait", "--parsable", f"--output={path}", *options]
        if submit_limit is not None:
            argv = ["prlimit", f"--as={submit_limit}", *argv]
        result = subprocess.run(argv, input=script, capture_output=True, text=True,
                                env=self.env(env), cwd=self.root, timeout=DEADLINE)
        return result, Path(path).read_text()

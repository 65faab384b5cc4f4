# SPDX-License-Identifier: Apache-2.0
"""The Slurm advice for an rlimit other than the address space, followed on the real
single-node Slurm 22.05 (tests/integration/slurm_cluster.py): a job's hard nofile limit is
slurmd's own, and the `ulimit -n` the refusal names, run in the shell that starts slurmd, is
what the next job gets."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

import golden
from conftest import BINARY
from slurm_cluster import SlurmCluster
from test_slurm import slurm, srun_exit  # noqa: F401 (slurm is the cluster fixture)

pytestmark = pytest.mark.sets_rlimit_as

SHOW = ["sh", "-c", "ulimit -Sn; ulimit -Hn"]


def nofile_job(slurm: SlurmCluster, args: list[str]):
    """srun rlimit-init -q -p POLICY ARGS, the policy asking nofile 8192, from a submit shell
    whose soft nofile limit is 1024 (PropagateResourceLimits passes it on)."""
    policy = Path(slurm.root) / "nofile.yaml"
    # aboveCgroup: allow: the address space is not what this test is about.
    policy.write_text("apiVersion: rlimit-init/v1\naddressSpace:\n  request: hard\n"
                      "  aboveCgroup: allow\nlimits:\n  nofile: 8192\n")
    argv = ["prlimit", "--nofile=1024:", "srun", "--quiet", "--mem=1024", str(BINARY), "-q",
            "-p", str(policy), *args]
    return policy, subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True,
                                  text=True, env=slurm.env(), cwd=slurm.root, timeout=300)


def test_slurmds_nofile_is_the_jobs_hard_limit_and_the_named_ulimit_raises_it(
        slurm: SlurmCluster) -> None:
    slurm.restart_slurmd("ulimit -n 4096")
    try:
        policy, refused = nofile_job(slurm, ["--", *SHOW])
        assert (refused.returncode, refused.stdout) == (77, "")
        # srun's own line names the node; srun writes it when the task ends, which can be
        # before or after the task's forwarded stderr, so it is taken out wherever it is.
        lines = refused.stderr.splitlines(keepends=True)
        assert lines.count(srun_exit(slurm, 77)) == 1, refused.stderr
        lines.remove(srun_exit(slurm, 77))
        golden.check("rlimits_advice_slurm/nofile-refused.txt", "".join(lines),
                     {str(policy): "{policy}"})
        # Follow it: slurmd started from a shell that ran the `ulimit` the message names.
        ulimit = re.search(r"or (ulimit -n \d+) in the shell that starts slurmd", refused.stderr)
        assert ulimit and ulimit.group(1) == "ulimit -n 8192", refused.stderr
        slurm.restart_slurmd(ulimit.group(1))
        _, granted = nofile_job(slurm, ["--", *SHOW])
        # The submit shell's soft 1024 is propagated; rlimit-init raises it to 8192, which is
        # now slurmd's hard limit and so the job's.
        assert (granted.returncode, granted.stdout, granted.stderr) == (0, "8192\n8192\n", "")
    finally:
        slurm.restart_slurmd()

# SPDX-License-Identifier: Apache-2.0
"""rlimit-init in real Slurm jobs, and its Slurm advice followed on a real single-node Slurm
22.05 (slurm_cluster.py; scripts/setup-slurm.sh installs it).

What the experiments here establish, and Slurm's own source says (SchedMD/slurm, tag
slurm-22-05-8-1, src/slurmd/slurmstepd/ulimits.c): slurmstepd, forked by slurmd, sets each
propagated limit with `r.rlim_cur = env_value` and keeps `r.rlim_max`, its own hard limit
(`_set_limit`); under the default PropagateResourceLimits a soft limit above that hard limit
is lowered to it with a `verbose()` line only ("reducing req"), and under `--propagate=AS`
setrlimit fails and slurmstepd prints "Can't propagate RLIMIT_AS of ... from submit host".
So the job's hard RLIMIT_AS is slurmd's, never the submit shell's. The one other setter is
VSizeFactor: `set_user_limits` sets soft and hard RLIMIT_AS to the step's memory (--mem) times
VSizeFactor/100 whenever slurmd's hard limit is above --mem.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Iterator, Sequence

import pytest

import golden
from conftest import BINARY, require_root, skip_unless
from expected import GIB, MIB, SHOW_LIMITS, UNLIMITED, limits_seen
from slurm_cluster import CGROUP_V1_MEMORY, SlurmCluster, missing_tools

# The jobs run under RLIMIT_AS limits that the AddressSanitizer build cannot start under.
pytestmark = pytest.mark.sets_rlimit_as

# Every job is submitted from a shell with a 1 GiB soft RLIMIT_AS and no hard limit, so that a
# grant shows the soft limit Slurm propagated being raised.
SUBMIT = f"{GIB}:unlimited"
MEM = ["--mem=4096"]  # 4 GiB: the job's cgroup memory limit unless a test says otherwise
REQUEST = 3 * GIB


@pytest.fixture(scope="module")
def slurm(built_binary: Path) -> Iterator[SlurmCluster]:
    require_root("starting slurmctld, slurmd and munged")
    missing = missing_tools()
    skip_unless(not missing, f"Slurm is not installed ({', '.join(missing)} missing): run "
                "scripts/setup-slurm.sh")
    skip_unless(CGROUP_V1_MEMORY.is_dir() and (CGROUP_V1_MEMORY / "memory.limit_in_bytes")
                .exists(), "slurmd's task/cgroup needs a cgroup v1 memory hierarchy at "
                f"{CGROUP_V1_MEMORY}")
    cluster = SlurmCluster()
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture
def slurmd_2gib(slurm: SlurmCluster) -> Iterator[SlurmCluster]:
    """slurmd started by an administrator's shell that ran `ulimit -v 2097152` (2 GiB)."""
    slurm.restart_slurmd("ulimit -v 2097152")
    assert slurm.slurmd_limits() == limits_seen(2 * GIB, 2 * GIB).splitlines()[2]
    yield slurm
    slurm.restart_slurmd()


def job(slurm: SlurmCluster, args: Sequence[str], options: Sequence[str] = MEM,
        submit_limit: str = SUBMIT) -> tuple[str, subprocess.CompletedProcess]:
    """srun OPTIONS rlimit-init ARGS; returns the job id (the job prints it first) and srun's
    result, whose stdout is everything the job wrote (its stderr too, in order) and whose
    stderr is srun's own."""
    result = slurm.srun(["sh", "-c", 'echo "$SLURM_JOB_ID"; exec "$@" 2>&1', "sh",
                         str(BINARY), *args], options, submit_limit)
    job_id, _, rest = result.stdout.partition("\n")
    assert re.fullmatch(r"\d+", job_id), result
    result.stdout = rest
    return job_id, result


def run_values(slurm: SlurmCluster, job_id: str | None = None) -> dict[str, str]:
    """What belongs to this cluster and job in the binary's words: the node's name and the job
    id in the job's cgroup path, the cluster's directory in a policy's path."""
    found = {f"/slurm_{slurm.node}/": "/slurm_{node}/", str(slurm.root): "{slurm_root}"}
    if job_id is not None:
        found[f"/job_{job_id}/"] = "/job_{job_id}/"
    return found


def rlimit_init_lines(output: str, workload: str) -> str:
    """The job's output without what its workload printed after rlimit-init's lines."""
    assert output.endswith(workload), output
    return output[:len(output) - len(workload)]


def srun_exit(slurm: SlurmCluster, code: int) -> str:
    return f"srun: error: {slurm.node}: task 0: Exited with exit code {code}\n"


def the_fix(output: str) -> str:
    return next(line for line in output.splitlines() if line.startswith("  fix:"))


# ---------------------------------------------------------------------------------------------
# Where the job's RLIMIT_AS comes from.


def test_the_submit_shells_hard_limit_does_not_reach_the_job(slurm: SlurmCluster) -> None:
    """sbatch from a shell with soft = hard = 1 GiB: the job gets the soft limit only; its hard
    limit is slurmd's (unlimited here), so rlimit-init raises the soft limit to 3 GiB."""
    script = f"#!/bin/sh\n{BINARY} --as 3Gi -- {' '.join(SHOW_LIMITS[:2])} '{SHOW_LIMITS[2]}'\n"
    result, output = slurm.sbatch(script, MEM, submit_limit=f"{GIB}:{GIB}")
    assert result.returncode == 0, (result, output)
    job_id = result.stdout.strip()
    golden.check("slurm/as-raised-in-a-batch-job.txt",
                 rlimit_init_lines(output, limits_seen(REQUEST, UNLIMITED)),
                 run_values(slurm, job_id))


def test_default_propagation_clamps_silently_and_propagate_as_complains(
        slurmd_2gib: SlurmCluster) -> None:
    slurm = slurmd_2gib
    show = ["sh", "-c", SHOW_LIMITS[2]]
    quiet = slurm.srun(show, MEM, submit_limit="unlimited:unlimited")
    assert (quiet.returncode, quiet.stdout, quiet.stderr) == (
        0, limits_seen(2 * GIB, 2 * GIB), "")
    loud = slurm.srun(show, ["--propagate=AS", *MEM], submit_limit="unlimited:unlimited")
    assert (loud.returncode, loud.stdout, loud.stderr) == (
        0, limits_seen(2 * GIB, 2 * GIB),
        f"slurmstepd-{slurm.node}: error: Can't propagate RLIMIT_AS of 'unlimited' from submit "
        "host: Invalid argument\n")


def test_propagate_except_as_gives_the_job_slurmds_soft_limit_too(slurm: SlurmCluster) -> None:
    """PropagateResourceLimitsExcept=AS, which rlimit-init once named as the fix, only stops
    the submit shell's soft limit: the job then has slurmd's soft and hard limits, and no
    hard limit rises."""
    slurm.reconfigure(PropagateResourceLimitsExcept="AS")
    try:
        slurm.restart_slurmd("ulimit -v 4194304\nulimit -Sv 1048576")
        shown = slurm.srun(["sh", "-c", SHOW_LIMITS[2]], MEM, submit_limit="unlimited:unlimited")
        assert (shown.returncode, shown.stdout, shown.stderr) == (
            0, limits_seen(GIB, 4 * GIB), "")
    finally:
        slurm.reconfigure()


# ---------------------------------------------------------------------------------------------
# The advice, followed.


def test_refusal_names_slurmds_limit_and_following_it_grants(slurmd_2gib: SlurmCluster) -> None:
    slurm = slurmd_2gib
    _, refused = job(slurm, ["--as", "3Gi", "check"])
    assert (refused.returncode, refused.stderr) == (77, srun_exit(slurm, 77))
    golden.check("slurm/as-refused-slurmds-hard-limit.txt", refused.stdout, run_values(slurm))

    # What rlimit-init used to say, submitting from a shell whose hard limit covers the
    # request, changes nothing: the job's hard limit is still slurmd's 2 GiB.
    _, again = job(slurm, ["--as", "3Gi", "check"], submit_limit=f"{GIB}:{REQUEST}")
    assert again.returncode == 77
    assert again.stdout == refused.stdout

    # Follow the fix: restart slurmd from a shell that runs the `ulimit` the message names.
    ulimit = re.search(r"or (ulimit -v \d+) in the shell that starts slurmd", the_fix(
        refused.stdout))
    assert ulimit, refused.stdout
    slurm.restart_slurmd(ulimit.group(1))
    job_id, granted = job(slurm, ["--as", "3Gi", "--", *SHOW_LIMITS])
    assert (granted.returncode, granted.stderr) == (0, "")
    golden.check("slurm/as-raised-after-the-ulimit.txt",
                 rlimit_init_lines(granted.stdout, limits_seen(REQUEST, REQUEST)),
                 run_values(slurm, job_id))


# Allocates and touches N MiB: what RLIMIT_DATA is there to stop.
ALLOCATE = ("import sys\nb = bytearray(int(sys.argv[1]) << 20)\n"
            "for i in range(0, len(b), 4096): b[i] = 1\nprint('ok')")


def test_the_data_cap_the_refusal_names_is_slurmds_and_bounds_use(
        slurmd_2gib: SlurmCluster) -> None:
    """The line after the fix: slurmd's RLIMIT_DATA in place of its RLIMIT_AS. Followed: slurmd
    restarted from a shell that ran the `ulimit -d` printed and no `ulimit -v`: the job has it
    (the submit shell's unlimited soft limit lowered to it), rlimit-init grants the request it
    refused, and an allocation past it fails with MemoryError."""
    slurm = slurmd_2gib
    _, refused = job(slurm, ["--as", "3Gi", "check"])
    assert refused.returncode == 77, refused
    [ulimit] = re.findall(r"cap RLIMIT_DATA in its place: give slurmd LimitDATA=\d+ instead of "
                          r"LimitAS= in its drop-in \((ulimit -d \d+) instead of ulimit -v in the "
                          r"shell that starts slurmd\);", refused.stdout)
    assert ulimit == f"ulimit -d {REQUEST // 1024}"
    slurm.restart_slurmd(ulimit)
    job_id, granted = job(slurm, ["--as", "3Gi", "--", "grep", "^Max data size",
                                  "/proc/self/limits"])
    # Granted: slurmd's hard address space is unlimited now.
    said, shown = granted.stdout.split("\n", 1)
    assert (granted.returncode, granted.stderr, shown) == (
        0, "", f"Max data size             {REQUEST:<20} {REQUEST:<20} bytes     \n"), granted
    golden.check("slurm/as-raised-under-the-data-cap.txt", said + "\n",
                 run_values(slurm, job_id))
    # The job alone, from a shell with no address-space limit: RLIMIT_DATA is what stops it.
    below = slurm.srun(["python3", "-c", ALLOCATE, "64"], MEM, "unlimited:unlimited")
    assert (below.returncode, below.stdout) == (0, "ok\n"), below
    above = slurm.srun(["python3", "-c", ALLOCATE, str(REQUEST // MIB + 256)], MEM,
                       "unlimited:unlimited")
    assert (above.returncode, "\nMemoryError\n" in above.stderr) == (1, True), above


def test_vsizefactor_sets_the_hard_limit_from_mem_and_more_mem_grants(
        slurm: SlurmCluster) -> None:
    slurm.reconfigure(VSizeFactor="150")
    try:
        _, refused = job(slurm, ["--as", "3Gi", "check"], ["--mem=1024"])
        vsize = 1024 * MIB * 150 // 100  # 1.5 GiB: --mem times VSizeFactor/100, soft and hard
        assert (refused.returncode, refused.stderr) == (77, srun_exit(slurm, 77))
        assert f"the hard limit is 1.5 GiB ({vsize} bytes, " in refused.stdout
        golden.check("slurm/as-refused-vsizefactor.txt", refused.stdout, run_values(slurm))

        # Follow the alternative: --mem of at least 3072M * 100 / VSizeFactor.
        alternative = re.search(r"--mem of at least (\d+)M \* 100 / VSizeFactor",
                                refused.stdout)
        assert alternative, refused.stdout
        mem = -(-int(alternative.group(1)) * 100 // 150)
        assert mem == 2048
        job_id, granted = job(slurm, ["--as", "3Gi", "--", *SHOW_LIMITS], [f"--mem={mem}M"])
        assert (granted.returncode, granted.stderr) == (0, "")
        golden.check("slurm/as-kept-after-more-mem.txt",
                     rlimit_init_lines(granted.stdout, limits_seen(REQUEST, REQUEST)),
                     run_values(slurm, job_id))
    finally:
        slurm.reconfigure()


def test_memory_fix_names_a_mem_that_gives_the_job_its_memory(slurm: SlurmCluster) -> None:
    policy = slurm.root / "require-1gi.yaml"
    policy.write_text("apiVersion: rlimit-init/v1\naddressSpace:\n  request: 512Mi\n"
                      "memory:\n  require: 1Gi\n")
    job_id, refused = job(slurm, ["-p", str(policy), "check"], ["--mem=512"])
    assert (refused.returncode, refused.stderr) == (77, srun_exit(slurm, 77))
    golden.check("slurm/memory-refused.txt", refused.stdout, run_values(slurm, job_id))

    mem = re.search(r"submit with (--mem=\S+) or more", refused.stdout)
    assert mem and mem.group(1) == "--mem=1024M", refused.stdout
    job_id, granted = job(slurm, ["-p", str(policy), "check"], [mem.group(1)])
    assert (granted.returncode, granted.stderr) == (0, "")
    golden.check("slurm/memory-passes-after-the-mem.txt", granted.stdout,
                 run_values(slurm, job_id))


def test_memory_fix_near_2_64_is_a_mem_srun_parses(slurm: SlurmCluster) -> None:
    """slurmd with a hard (and so the job's soft) RLIMIT_AS of 2^64 - 2 bytes, a policy that
    asks for the hard limit and refuses above the cgroup limit: the --mem rlimit-init names is
    2^44 MiB (it once wrapped around to --mem=0M, which Slurm reads as "all the node's
    memory"), and srun's parser takes it; only the node cannot satisfy it."""
    near = 2**64 - 2
    slurm.restart_slurmd(f"prlimit --pid $$ --as={near}:{near}")
    try:
        policy = slurm.root / "hard-refuse.yaml"
        policy.write_text("apiVersion: rlimit-init/v1\naddressSpace:\n  request: hard\n"
                          "  aboveCgroup: refuse\n")
        job_id, refused = job(slurm, ["-p", str(policy), "check"], ["--mem=512"])
        assert refused.returncode == 77, refused
        golden.check("slurm/memory-refused-near-2-64.txt", refused.stdout,
                     run_values(slurm, job_id))
        # Slurm's str_to_mbytes() reads whole MiB: (2^64 - 2) bytes rounded up is 2^44 MiB.
        mem = re.search(r"submit with (--mem=\S+) or more", the_fix(refused.stdout))
        assert mem and mem.group(1) == "--mem=17592186044416M"
    finally:
        slurm.restart_slurmd()
    parsed = slurm.srun(["true"], ["--test-only", mem.group(1)])
    assert (parsed.returncode, parsed.stderr) == (
        1, "allocation failure: Requested node configuration is not available\n")
    # The control: a --mem srun's parser rejects fails differently.
    rejected = slurm.srun(["true"], ["--test-only", "--mem=18446744073709551615"])
    assert (rejected.returncode, rejected.stderr) == (
        255, "srun: error: Invalid --mem specification\n")


def test_the_slurmd_drop_in_the_advice_names_is_valid(tmp_path: Path) -> None:
    """The other way the fix names, LimitAS= in a drop-in for Debian's slurmd.service, checked
    by systemd-analyze verify (no systemd runs here to restart slurmd with it)."""
    service = Path("/lib/systemd/system/slurmd.service")
    skip_unless(service.is_file(), f"{service} is missing: run scripts/setup-slurm.sh")
    # The refusal's text, as test_refusal_names_slurmds_limit_... checks it against the binary's.
    advice = (golden.GOLDEN / "slurm" / "as-refused-slurmds-hard-limit.txt").read_text()
    directive = re.search(r"(LimitAS=\d+) in a drop-in for slurmd\.service", advice)
    assert directive
    (tmp_path / service.name).write_text(service.read_text())
    data = re.search(r"give slurmd (LimitDATA=\d+) instead of LimitAS= in its drop-in", advice)
    assert data
    drop_in = tmp_path / "slurmd.service.d" / "rlimit-init.conf"
    drop_in.parent.mkdir()
    for text, errors in ((directive.group(1), ""), (data.group(1), ""),
                         ("LimitAS=3Gibibytes", f"{drop_in}:2: Failed to parse resource value, "
                          "ignoring: 3Gibibytes\n")):
        drop_in.write_text(f"[Service]\n{text}\n")
        result = subprocess.run(["systemd-analyze", "verify", str(tmp_path / service.name)],
                                capture_output=True, text=True, timeout=60)
        assert (result.returncode, result.stderr) == (0, errors), result

# SPDX-License-Identifier: Apache-2.0
"""`rlimit-init measure`'s time, faults and maximum resident set (docs/measure.md), as
/usr/bin/time -v prints them, on the real binary: the figures are the kernel's rusage of the job,
so they are held exactly to what the job itself and /usr/bin/time read from the kernel. Elapsed
and CPU times and context switches vary from run to run (and each of measure's stops is a
voluntary switch), so only their presence and type are checked, by the schema."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from rlimit_json import parse as parse_json
from conftest import Runner
from expected import MIB

# Reads its own page-fault counts as its very last act: every call after the second getrusage
# (snprintf, write, the exit) has run once before it, so no page of code or stack is touched
# for the first time afterwards, and the counts are final. Static, so no lazy binding either.
LAST_WORD = r"""
#include <stdio.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
int main(void) {
  char line[128];
  struct rusage r;
  getrusage(RUSAGE_SELF, &r);
  int n = snprintf(line, sizeof line, "%ld %ld\n", r.ru_minflt, r.ru_majflt);
  write(1, line, 0);
  syscall(SYS_getpid);
  getrusage(RUSAGE_SELF, &r);
  n = snprintf(line, sizeof line, "%ld %ld\n", r.ru_minflt, r.ru_majflt);
  write(1, line, n);
  syscall(SYS_exit_group, 0);
}
"""

FILL_100_MIB = ["python3", "-c", "data = bytearray(100 * 1024 * 1024)"]


def last_word(workdir: Path) -> str:
    (workdir / "last_word.c").write_text(LAST_WORD)
    subprocess.run(["gcc", "-O2", "-static", "-o", str(workdir / "last_word"),
                    str(workdir / "last_word.c")], check=True)
    return str(workdir / "last_word")


def test_the_page_faults_are_the_kernels_count_for_the_job(run: Runner, workdir: Path) -> None:
    # The job's own count includes what rlimit-init's child did before its exec (the same
    # task), as the rusage of the job does.
    job = last_word(workdir)
    result = run(["measure", "-q", "-o", "json", "--", job])
    assert result.returncode == 0
    minor, major = (int(word) for word in result.stdout.split())
    time = parse_json(result.stderr)["time"]
    assert (time["minor_faults"], time["major_faults"]) == (minor, major)

    said = run(["measure", "-q", "--", job])
    assert said.returncode == 0
    minor, major = (int(word) for word in said.stdout.split())
    assert f"\n  faults:        major {major}, minor {minor}; context switches: " in said.stderr


def test_the_maximum_resident_set_is_what_usr_bin_time_v_reports(run: Runner) -> None:
    # measure runs /usr/bin/time, which runs the job: time reports its one child, measure the
    # largest resident set among both, which is the job's.
    result = run(["measure", "-q", "-o", "json", "--", "/usr/bin/time", "-v"] + FILL_100_MIB)
    assert result.returncode == 0
    said = re.search(r"\n\tMaximum resident set size \(kbytes\): (\d+)\n", result.stderr)
    assert said, result.stderr
    report = parse_json(result.stderr[result.stderr.index("{"):])
    assert report["time"]["max_rss_kib"] == int(said[1])
    # ... and the kernel's VmHWM of that process at its exit stop, the same high-water mark.
    assert report["time"]["max_rss_kib"] * 1024 == report["vm_hwm"]["value"]
    assert report["vm_hwm"]["value"] > 100 * MIB

#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# What `rlimit-init measure` costs the job it measures: hyperfine of each job run plainly,
# through init mode (`--init child`: the same supervision, unwatched) and through `measure` (its
# seccomp listener told of each execve, exit_group, close from descriptor 50, close_range and a
# signal that may end a process; no fork and no thread, docs/measure.md#threads). Four jobs: the
# seed job (one process, 300 MiB), a busy one (8 threads, then 50 subprocesses run one after
# another), and issue 24.7's 2,000 short processes and 2,000 short threads.
# Prints hyperfine's markdown tables, which docs/measure.md and docs/performance.md quote.
# Needs hyperfine and python3; RUNS (default 20) runs per command; JOBS (default
# "procs seed busy threads") which jobs. No test asserts on time.
set -euo pipefail

readonly REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
readonly BIN="$(realpath "${RLIMIT_INIT_BIN:-${REPO}/build/rlimit-init}")"
readonly RUNS="${RUNS:-20}"
readonly JOBS="${JOBS:-procs seed busy threads}"
work="$(mktemp -d)"
trap 'rm -rf "${work}"' EXIT

cp "${REPO}/tests/fixtures/seed/job.py" "${work}/seed.py"
cat >"${work}/busy.py" <<'PY'
import subprocess, threading
def work():
    sum(range(200_000))
threads = [threading.Thread(target=work) for _ in range(8)]
for t in threads: t.start()
for t in threads: t.join()
for _ in range(50): subprocess.run(["/bin/true"], check=True)
PY

# Issue 24.7's jobs: 2,000 short processes one after another, and 2,000 short threads.
cat >"${work}/procs.sh" <<'SH'
i=0
while [ $i -lt 2000 ]; do /bin/true; i=$((i+1)); done
SH
cat >"${work}/threads.py" <<'PY'
import threading
for _ in range(2000):
    t = threading.Thread(target=int)
    t.start()
    t.join()
PY

# One job plainly, through init mode and through measure, side by side in one hyperfine run.
# argv: NAME WARMUP INTERPRETER FILE (in ${work}).
compare() {
  local name="$1" warmup="$2" interpreter="$3" file="$4"
  echo "### ${file}"
  hyperfine -N --warmup "${warmup}" --runs "${RUNS}" --style none \
    --export-markdown "${work}/${file%.*}.md" \
    --command-name "${name}" "${interpreter} ${work}/${file}" \
    --command-name "rlimit-init --init child" "${BIN} -q --init child -- ${interpreter} ${work}/${file}" \
    --command-name "rlimit-init measure" \
    "${BIN} measure -q --report ${work}/report.txt -- ${interpreter} ${work}/${file}" >/dev/null
  cat "${work}/${file%.*}.md"
  echo
}

for job in ${JOBS}; do
  if [[ "${job}" == procs ]]; then
    compare "sh procs.sh" 1 /bin/sh procs.sh
  else
    # Debian's python3 by its path: a PATH shim (pyenv) would add a shell script to every run.
    compare "python3 ${job}.py" 3 /usr/bin/python3 "${job}.py"
  fi
done

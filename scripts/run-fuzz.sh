#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Builds the fuzzers (scripts/build-fuzz.sh) and runs each for a bounded time, on a copy of its
# seed corpus under build-fuzz/work/, never on tests/fuzz/corpus/ itself.
#
# Usage: scripts/run-fuzz.sh [SECONDS]    seconds per fuzzer, default 60
#
# Exits 1 when any fuzzer finds a crash, a leak, a timeout or runs out of memory, or when an
# input under tests/fuzz/crashes/ still fails (they are replayed first, as regression tests).
# Prints one summary line per fuzzer. The fuzzers run side by side when there are two or more
# CPUs. Environment: BUILD_FUZZ_DIR (default build-fuzz), FUZZ_PARALLEL=0 to run one at a time.
set -euo pipefail

readonly ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
readonly OUT="${BUILD_FUZZ_DIR:-${ROOT}/build-fuzz}"
readonly SECONDS_EACH="${1:-60}"
[[ "${SECONDS_EACH}" =~ ^[1-9][0-9]*$ ]] || { echo "usage: $0 [SECONDS]" >&2; exit 64; }

# fuzzer -> directory under tests/fuzz/corpus and tests/fuzz/crashes
declare -A SHORT=([policy_fuzzer]=policy [quantity_fuzzer]=quantity [user_fuzzer]=user)
# Extra libFuzzer flags per fuzzer. The policy seeds go up to 4 KiB (deep nesting); 8 KiB leaves
# room to nest deeper while staying far below kMaxPolicyBytes, which is refused unparsed anyway.
declare -A EXTRA=(
  [policy_fuzzer]="-dict=${ROOT}/tests/fuzz/policy.dict -max_len=8192"
  [quantity_fuzzer]="-max_len=256"
  [user_fuzzer]="-max_len=4096"
)

# Runs one fuzzer; writes its log and a summary line under ${OUT}/work/NAME/.
run_one() {
  local name="$1" binary="${OUT}/$1" short="${SHORT[$1]}"
  local work="${OUT}/work/${name}"
  mkdir -p "${work}/corpus" "${work}/artifacts"
  rm -f "${work}"/artifacts/* "${work}/summary"
  # The seeds join whatever earlier local runs found; CI starts from the seeds alone.
  cp "${ROOT}/tests/fuzz/corpus/${short}"/* "${work}/corpus/"

  local crashes="${ROOT}/tests/fuzz/crashes/${short}" status=0
  if [[ -n "$(compgen -G "${crashes}/*")" ]]; then
    # Known bad inputs first: a fixed bug stays fixed.
    "${binary}" -rss_limit_mb=2048 -timeout=5 "${crashes}"/* >"${work}/replay.log" 2>&1 || status=$?
    if ((status != 0)); then
      printf '%-16s FAIL: an input in tests/fuzz/crashes/%s/ still fails (%s)\n' "${name}" \
        "${short}" "$(grep -m1 -E '^(==[0-9]+==ERROR|SUMMARY|[a-z_]+: property violated)' \
        "${work}/replay.log" || echo "exit ${status}")" >"${work}/summary"
      return 0
    fi
  fi

  # shellcheck disable=SC2086
  timeout --kill-after=10 "$((SECONDS_EACH + 60))" "${binary}" \
    -max_total_time="${SECONDS_EACH}" -rss_limit_mb=2048 -timeout=5 \
    -print_final_stats=1 -artifact_prefix="${work}/artifacts/" ${EXTRA[${name}]} \
    "${work}/corpus" >"${work}/fuzz.log" 2>&1 || status=$?

  local runs execs cov ft corpus
  runs="$(sed -n 's/^stat::number_of_executed_units: *//p' "${work}/fuzz.log" | tail -n1)"
  execs="$(sed -n 's/^stat::average_exec_per_sec: *//p' "${work}/fuzz.log" | tail -n1)"
  # The last status line ("#N  REDUCE cov: C ft: F corp: U/S ...") carries the coverage.
  read -r cov ft corpus < <(sed -n 's/.* cov: \([0-9]*\) ft: \([0-9]*\) corp: \([0-9]*\).*/\1 \2 \3/p' \
    "${work}/fuzz.log" | tail -n1) || true
  local stats
  stats="$(printf 'runs=%s exec/s=%s cov=%s ft=%s corpus=%s' "${runs:-?}" "${execs:-?}" \
    "${cov:-?}" "${ft:-?}" "${corpus:-?}")"
  if ((status == 0)); then
    printf '%-16s ok   %s\n' "${name}" "${stats}" >"${work}/summary"
  else
    local artifact reason
    artifact="$(find "${work}/artifacts" -type f | head -n1)"
    reason="$(grep -m1 -E '^(==[0-9]+==ERROR|SUMMARY:|[a-z_]+: property violated)' "${work}/fuzz.log" ||
      echo "exit ${status}")"
    ((status == 124 || status == 137)) && reason="did not stop within $((SECONDS_EACH + 60)) s"
    printf '%-16s FAIL %s: %s; input %s; log %s\n' "${name}" "${stats}" "${reason}" \
      "${artifact:-none}" "${work}/fuzz.log" >"${work}/summary"
  fi
}

main() {
  local start=${SECONDS} fuzzers=() line
  # A second run in the same tree would share the work directories; wait for the first.
  mkdir -p "${OUT}"
  exec 8>"${OUT}/.run.lock"
  flock 8
  while IFS= read -r line; do fuzzers+=("$(basename "${line}")"); done < <("${ROOT}/scripts/build-fuzz.sh")
  # The process substitution hides build-fuzz.sh's exit status: a failed build shows as no
  # fuzzers, which must fail rather than pass having fuzzed nothing.
  ((${#fuzzers[@]} == 3)) || { echo "run-fuzz: the fuzz build gave ${#fuzzers[@]} fuzzers, not 3" >&2; exit 1; }
  local build_seconds=$((SECONDS - start))

  local parallel="${FUZZ_PARALLEL:-1}" name
  (($(nproc) < 2)) && parallel=0
  if [[ "${parallel}" == 1 ]]; then
    local pids=()
    for name in "${fuzzers[@]}"; do run_one "${name}" & pids+=($!); done
    wait "${pids[@]}"
  else
    for name in "${fuzzers[@]}"; do run_one "${name}"; done
  fi

  local failed=0
  for name in "${fuzzers[@]}"; do
    [[ -f "${OUT}/work/${name}/summary" ]] ||
      printf '%-16s FAIL: the run stopped before writing a summary\n' "${name}" >"${OUT}/work/${name}/summary"
    cat "${OUT}/work/${name}/summary"
    grep -q '^[a-z_]* *FAIL' "${OUT}/work/${name}/summary" && failed=1
  done
  echo "run-fuzz: build ${build_seconds} s, total $((SECONDS - start)) s"
  return "${failed}"
}

main

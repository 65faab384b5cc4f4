#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Measures rlimit-init against a 5-line static C program (setrlimit, then execv), tini-static,
# dumb-init and prlimit: instructions to exec, least soft RLIMIT_AS, stripped size, peak RSS and
# wall time; then init mode beside tini-static (supervise.py): resident set while supervising and
# signal delivery. Prints two markdown tables and writes them to $BUILD/bench.md (default
# build-perf).
#
# Run as root from anywhere: the bench policy drops to uid 65534 (its user: key), which only root
# may do, and missing tools are installed with apt-get. Takes a few minutes, most of it the
# RLIMIT_AS bisections and hyperfine. docs/performance.md says what each figure means.
set -euo pipefail

readonly REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
readonly BUILD="$(realpath -m "${BUILD:-${REPO}/build-perf}")"
readonly WORK="${BUILD}/bench"

die() {
  echo "run.sh: $*" >&2
  exit 1
}

[[ "$(id -u)" == 0 ]] || die "run as root: tests/bench/policy.yaml drops to uid 65534, which" \
  "only root may do, and missing tools are installed with apt-get"

# command -> the Debian package that provides it
declare -A PACKAGES=([tini-static]=tini [dumb-init]=dumb-init [prlimit]=util-linux
  [hyperfine]=hyperfine [valgrind]=valgrind [gcc]=gcc [strip]=binutils [readelf]=binutils
  [cmake]=cmake [python3]=python3)
missing=()
for command in "${!PACKAGES[@]}"; do
  command -v "${command}" >/dev/null || missing+=("${PACKAGES[${command}]}")
done
if ((${#missing[@]})); then
  echo "run.sh: installing ${missing[*]}" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    $(printf '%s\n' "${missing[@]}" | sort -u) >/dev/null
fi

echo "run.sh: building rlimit-init in ${BUILD}" >&2
cmake -S "${REPO}" -B "${BUILD}" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "${BUILD}" -j"$(nproc)" --target rlimit-init >/dev/null

mkdir -p "${WORK}"
# The reference point: the least an entrypoint can do. argv: SOFT_BYTES PROGRAM [ARG...]
cat >"${WORK}/setrlimit-exec.c" <<'EOF'
#include <stdlib.h>
#include <sys/resource.h>
#include <unistd.h>
int main(int argc, char** argv) {
  struct rlimit limit;
  if (argc < 3 || getrlimit(RLIMIT_AS, &limit) != 0) return 70;
  limit.rlim_cur = strtoull(argv[1], NULL, 10);
  if (setrlimit(RLIMIT_AS, &limit) != 0) return 70;
  execv(argv[2], argv + 2);
  return 127;
}
EOF
# A workload for tini and dumb-init under tiny limits: it only exits, without libc's startup.
cat >"${WORK}/static-true.c" <<'EOF'
#include <unistd.h>
void _start(void) { _exit(0); }
EOF
gcc -O2 -static -o "${WORK}/setrlimit-exec" "${WORK}/setrlimit-exec.c"
gcc -O2 -static -nostartfiles -o "${WORK}/static-true" "${WORK}/static-true.c"
gcc -O2 -static -o "${WORK}/peak_rss" "${REPO}/tests/bench/peak_rss.c"
gcc -O2 -static -o "${WORK}/supervise_probe" "${REPO}/tests/bench/supervise_probe.c"

python3 "${REPO}/tests/bench/measure.py" --rlimit-init "${BUILD}/rlimit-init" \
  --policy "${REPO}/tests/bench/policy.yaml" --work "${WORK}" --out "${BUILD}/bench.md" "$@"
# Init mode beside tini-static: resident set while supervising, signal delivery; appends a table.
python3 "${REPO}/tests/bench/supervise.py" --rlimit-init "${BUILD}/rlimit-init" \
  --policy "${REPO}/tests/bench/policy.yaml" --probe "${WORK}/supervise_probe" \
  --out "${BUILD}/bench.md"

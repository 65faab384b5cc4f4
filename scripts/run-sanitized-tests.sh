#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Builds rlimit-init and its unit tests with AddressSanitizer and UndefinedBehaviorSanitizer in
# build-asan/ (or $BUILD_ASAN_DIR) and runs the unit tests, then the black-box tests that do not
# set RLIMIT_AS against the sanitized binary.
#
# Three kinds of black-box test are left out, by marker:
#   sets_rlimit_as  ASan reserves terabytes of shadow memory at startup and cannot start under
#                   any realistic RLIMIT_AS;
#   static_binary   tests of the static build itself (file(1) says "statically linked", the
#                   FROM scratch root filesystem): the sanitized binary is dynamically linked;
#   without_binary  tests that start no rlimit-init at all (the chart, the docs, the schemas,
#                   the conventions): scripts/test.sh has run them, and here they would only
#                   repeat that run.
#
# It installs what the tests need first (scripts/setup.sh --tests, as scripts/test.sh does; it
# does nothing when everything is in place), so it runs on a fresh clone without test.sh before
# it: the chart tests need helm and kubectl under .tools/bin and tests/chart/node_modules.
#
# Usage: scripts/run-sanitized-tests.sh [GTEST_FILTER]
set -euo pipefail

readonly ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
readonly BUILD="${BUILD_ASAN_DIR:-${ROOT}/build-asan}"

log() { echo "run-sanitized-tests: $*" >&2; }

# Any report stops the process with a non-zero status; the caller's options, if any, come last
# so they can override ours.
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1${ASAN_OPTIONS:+:${ASAN_OPTIONS}}"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1${UBSAN_OPTIONS:+:${UBSAN_OPTIONS}}"

main() {
  log "installing what the tests need, if anything is missing"
  bash "${ROOT}/scripts/setup.sh" --tests
  export PATH="${ROOT}/.tools/bin:${PATH}"
  local generator=()
  # Keep whatever generator an existing build directory was configured with.
  if [[ ! -f "${BUILD}/CMakeCache.txt" ]] && command -v ninja >/dev/null; then
    generator=(-G Ninja)
  fi
  log "configuring ${BUILD}"
  cmake -S "${ROOT}" -B "${BUILD}" "${generator[@]}" \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo -DRLIMIT_INIT_SANITIZE=ON -DRLIMIT_INIT_TESTS=ON >/dev/null
  log "building"
  cmake --build "${BUILD}" -j "$(nproc)"

  log "unit tests (ASAN_OPTIONS=${ASAN_OPTIONS} UBSAN_OPTIONS=${UBSAN_OPTIONS})"
  local filter=()
  [[ $# -gt 0 ]] && filter=(--gtest_filter="$1")
  "${BUILD}/unit_tests" --gtest_brief=1 "${filter[@]}"

  local markers="not sets_rlimit_as and not static_binary and not without_binary"
  log "black-box tests against ${BUILD}/rlimit-init: ${markers}"
  local status=0
  (cd "${ROOT}" && RLIMIT_INIT_BIN="${BUILD}/rlimit-init" /usr/bin/python3 -m pytest -q \
    -p no:cacheprovider -m "${markers}" tests/integration) || status=$?
  # pytest's 5 is "no tests collected": a marker expression or a collection change that
  # selects nothing would otherwise pass while checking nothing under the sanitizers.
  if ((status == 5)); then
    log "pytest collected no black-box test for '${markers}': that is a failure, not a pass"
  fi
  return "${status}"
}

main "$@"

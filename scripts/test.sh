#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Installs what the tests need, builds, and runs every test: the unit tests, the black-box
# tests of the real static binary under real rlimits and cgroups, the container tests (runc,
# podman, Slurm), the chart tests, the VM and the image. As root (cgroups, runc, prlimit).
#
#   scripts/test.sh [CTEST-ARGS...]         everything (the README's test command, CI's step 1)
#   scripts/test.sh --fast [CTEST-ARGS...]  the inner loop: the unit and host tiers only
#
# --fast runs setup only when its scripts changed since the last setup from this build
# directory (a stamp in build/ holds their hash), then builds incrementally and runs the CTest
# entries labelled unit and host. Other arguments go to ctest (e.g. -R NAME, -L containers).
# CTest runs as many entries at a time as there are CPUs; the container, VM and image entries
# are RUN_SERIAL and so run alone (CMakeLists.txt says why).
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
fast=0
if [ "${1:-}" = "--fast" ]; then
  fast=1
  shift
fi

# What decides whether setup has anything to do: its scripts and the npm lock files.
setup_inputs() {
  (cd "$repo" && cat scripts/setup*.sh scripts/lib.sh scripts/vm/kernel.sh \
    tests/chart/package-lock.json tests/runc/package-lock.json) | sha256sum | cut -d' ' -f1
}
stamp="$repo/build/.setup-tests.sha256"
# Each phase's time, for CONTRIBUTING.md's CI table (ctest prints its own).
phase_start=$SECONDS
took() { printf 'test: %s took %d s\n' "$1" $((SECONDS - phase_start)); phase_start=$SECONDS; }
if [ "$fast" = 1 ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$(setup_inputs)" ]; then
  echo "test: setup already done for these setup scripts (build/.setup-tests.sha256)"
else
  bash "$repo/scripts/setup.sh" --tests
fi
took setup
# The tests ON explicitly: build/ may hold scripts/demo.sh's configuration, which has them OFF.
bash "$repo/scripts/build.sh" -DRLIMIT_INIT_TESTS=ON -DRLIMIT_INIT_BENCH=ON
setup_inputs >"$stamp"
took build
export PATH="$repo/.tools/bin:$PATH"
cd "$repo/build"
tiers=()
[ "$fast" = 1 ] && tiers=(-L '^(unit|host)$')
ctest --output-on-failure --no-tests=error -j"$(nproc)" "${tiers[@]}" "$@"

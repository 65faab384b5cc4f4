#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Installs what the tests need, builds, and runs every test: the unit tests, the black-box
# tests of the real static binary under real rlimits and cgroups, the runc container tests,
# the chart tests and the instruction budget. As root (cgroups, runc, prlimit). Arguments go to
# ctest (e.g. -R NAME).
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$repo/scripts/setup.sh" --tests
# The tests ON explicitly: build/ may hold scripts/demo.sh's configuration, which has them OFF.
bash "$repo/scripts/build.sh" -DRLIMIT_INIT_TESTS=ON -DRLIMIT_INIT_BENCH=ON
export PATH="$repo/.tools/bin:$PATH"
cd "$repo/build"
ctest --output-on-failure --no-tests=error "$@"

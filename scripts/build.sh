#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Configures and builds rlimit-init and its unit tests in build/ (Release, static); extra
# arguments go to cmake, e.g. -DRLIMIT_INIT_BENCH=ON.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cmake -S "$repo" -B "$repo/build" -DCMAKE_BUILD_TYPE=Release "$@" >/dev/null
cmake --build "$repo/build" -j"$(nproc)"
file "$repo/build/rlimit-init" | grep -q "statically linked" ||
  { echo "build: build/rlimit-init is not statically linked" >&2; exit 1; }

#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Configures and builds rlimit-init and its unit tests in build/ (Release, static); extra
# arguments go to cmake, e.g. -DRLIMIT_INIT_BENCH=ON.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# ccache where the machine has it (CI's does): a compile it has seen, with the same compiler,
# flags and preprocessed source, comes from its cache, so CI's fresh clones of mostly unchanged
# sources build in a fraction of the time. Paths count relative to the checkout, so clones in
# different directories share the cache. A machine without ccache compiles everything.
launcher=()
if command -v ccache >/dev/null; then
  export CCACHE_BASEDIR="${CCACHE_BASEDIR:-$repo}"
  launcher=(-DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
fi
cmake -S "$repo" -B "$repo/build" -DCMAKE_BUILD_TYPE=Release "${launcher[@]}" "$@" >/dev/null
cmake --build "$repo/build" -j"$(nproc)"
file "$repo/build/rlimit-init" | grep -q "statically linked" ||
  { echo "build: build/rlimit-init is not statically linked" >&2; exit 1; }

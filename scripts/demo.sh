#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The seed scenario end to end: a Python job that allocates 300 MiB under an inherited 256 MiB
# soft address-space limit dies with MemoryError on its own, and succeeds through rlimit-init
# with a 512Mi request. Installs the build dependencies (not the test ones: the demo builds
# without the unit tests) and builds first, saying what each step does while it runs.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
start=$SECONDS
step() { printf 'demo: [%s] %s (%d s so far)\n' "$1" "$2" $((SECONDS - start)); }

step 1/3 "installing the build dependencies with apt-get, if any are missing"
bash "$repo/scripts/setup.sh"
step 2/3 "building build/rlimit-init without the unit tests (about a minute on 2 cores)"
# make's progress lines ("[ 40%] Building CXX object ..."); the compiler's errors go to stderr.
bash "$repo/scripts/build.sh" -DRLIMIT_INIT_TESTS=OFF -DRLIMIT_INIT_BENCH=OFF |
  sed -u -n 's/^\[ *[0-9]*%\] .*/  &/p'
step 3/3 "running the seed scenario"
echo
job="$repo/tests/fixtures/seed/job.py"
policy="$repo/tests/fixtures/policies/good/request-512mi.yaml"
echo "\$ prlimit --as=268435456:unlimited python3 job.py"
prlimit --as=268435456:unlimited python3 "$job" 2>&1 || true
echo
echo "\$ prlimit --as=268435456:unlimited build/rlimit-init --policy policy.yaml -- python3 job.py"
prlimit --as=268435456:unlimited "$repo/build/rlimit-init" --policy "$policy" -- python3 "$job" 2>&1

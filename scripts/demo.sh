#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The seed scenario end to end: a Python job that allocates 300 MiB under an inherited 256 MiB
# soft address-space limit dies with MemoryError on its own, and succeeds through rlimit-init
# with a 512Mi request. Installs the build dependencies and builds first.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$repo/scripts/setup.sh"
bash "$repo/scripts/build.sh" >/dev/null
job="$repo/tests/fixtures/seed/job.py"
policy="$repo/tests/fixtures/policies/good/request-512mi.yaml"
echo "\$ prlimit --as=268435456:unlimited python3 job.py"
prlimit --as=268435456:unlimited python3 "$job" 2>&1 || true
echo
echo "\$ prlimit --as=268435456:unlimited build/rlimit-init --policy policy.yaml -- python3 job.py"
prlimit --as=268435456:unlimited "$repo/build/rlimit-init" --policy "$policy" -- python3 "$job" 2>&1

#!/usr/bin/env bash
# The seed scenario end to end: a Python job that allocates 300 MiB under an inherited 256 MiB
# soft address-space limit dies with MemoryError on its own, and succeeds through rlimit-init
# with a 512Mi request. Installs the build dependencies and builds first.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$repo/scripts/setup.sh"
bash "$repo/scripts/build.sh" >/dev/null
job='
import resource
soft, hard = resource.getrlimit(resource.RLIMIT_AS)
print(f"soft={soft} hard={hard}")
try:
    data = bytearray(300 * 1024 * 1024)
except MemoryError:
    print("allocation_status=memory_error")
    raise SystemExit(1)
print(f"allocated_bytes={len(data)}")
'
policy="$(mktemp)"
trap 'rm -f "$policy"' EXIT
printf 'apiVersion: rlimit-init/v1\naddressSpace:\n  request: 512Mi\n' >"$policy"
echo "\$ prlimit --as=268435456:unlimited python3 job.py"
prlimit --as=268435456:unlimited python3 -c "$job" 2>&1 || true
echo
echo "\$ prlimit --as=268435456:unlimited build/rlimit-init --policy policy.yaml -- python3 job.py"
prlimit --as=268435456:unlimited "$repo/build/rlimit-init" --policy "$policy" -- python3 -c "$job" 2>&1

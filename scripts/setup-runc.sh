#!/usr/bin/env bash
# Installs what tests/integration/test_runc.py needs, on Debian bookworm as root:
#   - runc, the OCI runtime Kubernetes nodes use (crun refuses hybrid cgroup hosts);
#   - busybox-static and python3, the workload images' contents;
#   - file and binutils, which scripts/build-rootfs.sh uses to check and strip the binary;
#   - python3-pytest and python3-yaml, to run the tests and read helm's output;
#   - the npm packages of tests/runc/ (dockerfile-utils, the Dockerfile lint).
# helm comes from scripts/setup-chart-tools.sh. Running it again does nothing when everything
# is already in place.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
runc_tests="$repo/tests/runc"

say() { printf 'setup-runc: %s\n' "$*"; }
die() { printf 'setup-runc: %s\n' "$*" >&2; exit 1; }

packages=(runc busybox-static python3 file binutils python3-pytest python3-yaml)
command -v npm >/dev/null || packages+=(nodejs npm)
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" ||
    missing+=("$package")
done
if [ "${#missing[@]}" -gt 0 ]; then
  [ "$(id -u)" -eq 0 ] || die "missing packages: ${missing[*]}; run this script as root"
  say "installing ${missing[*]} with apt-get"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" \
    >/dev/null
else
  say "Debian packages already installed: ${packages[*]}"
fi

# The npm packages exactly as package-lock.json pins them; a stamp with the lock file's hash
# tells whether node_modules already matches it.
stamp="$runc_tests/node_modules/.installed-lock.sha256"
lock_hash="$(sha256sum "$runc_tests/package-lock.json" | cut -d' ' -f1)"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$lock_hash" ]; then
  say "tests/runc/node_modules already matches package-lock.json"
else
  say "installing tests/runc/node_modules with npm ci"
  (cd "$runc_tests" && npm ci --no-audit --no-fund --loglevel=error)
  echo "$lock_hash" >"$stamp"
fi

# What no package provides: say so now rather than as a skip later.
[ -w /sys/fs/cgroup/memory ] ||
  say "warning: /sys/fs/cgroup/memory is not a writable cgroup v1 memory hierarchy; the" \
      "container tests need one (and root)"

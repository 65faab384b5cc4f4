#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Installs what tests/integration/test_runc_*.py need, on Debian bookworm as root:
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
# shellcheck source=scripts/lib.sh
. "$repo/scripts/lib.sh"
# --packages: what this script would install, for scripts/setup.sh's one apt-get install.
[ "${1:-}" = --packages ] && { echo "${packages[*]}"; exit 0; }
ensure_packages setup-runc "${packages[@]}"
npm_ci_once "$runc_tests"

# What no package provides: say so now rather than as a skip later.
[ -w /sys/fs/cgroup/memory ] ||
  say "warning: /sys/fs/cgroup/memory is not a writable cgroup v1 memory hierarchy; the" \
      "container tests need one (and root)"

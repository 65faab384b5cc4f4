#!/usr/bin/env bash
# Installs everything rlimit-init's build and tests need on Debian bookworm, as root:
# the toolchain and static libraries, the black-box test tools (pytest, prlimit, runc,
# busybox-static), and the chart test tools (helm, kubectl, node packages). Idempotent.
#   scripts/setup.sh          build dependencies only
#   scripts/setup.sh --tests  also everything the tests use
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

build_packages=(g++ cmake make file libyaml-cpp-dev libboost-program-options-dev python3)
test_packages=(googletest libgtest-dev python3-pytest python3-yaml util-linux runc
  busybox-static valgrind hyperfine procps)

missing=()
wanted=("${build_packages[@]}")
[ "${1:-}" = "--tests" ] && wanted+=("${test_packages[@]}")
for package in "${wanted[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" ||
    missing+=("$package")
done
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "setup: missing packages: ${missing[*]}; run this script as root" >&2
    exit 1
  fi
  echo "setup: installing ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" \
    >/dev/null
fi
if [ "${1:-}" = "--tests" ]; then
  bash "$repo/scripts/setup-chart-tools.sh"
fi

#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Installs everything rlimit-init's build and tests need on Debian bookworm, as root:
# the toolchain and static libraries, the black-box test tools (pytest, prlimit, runc,
# busybox-static, containerd and Python's gRPC), the chart test tools (helm, kubectl, node
# packages) and the Docker CLI.
# Idempotent.
#   scripts/setup.sh          build dependencies only
#   scripts/setup.sh --tests  also everything the tests use
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

build_packages=(g++ cmake make file libyaml-cpp-dev libboost-program-options-dev nlohmann-json3-dev
  python3)
test_packages=(googletest libgtest-dev python3-pytest python3-yaml util-linux runc
  busybox-static valgrind hyperfine procps libbenchmark-dev jq man-db lintian qemu-system-x86 git)
# test_faults_io.py watches with strace that nothing writes a kernel file.
test_packages+=(strace)
# conftest.py validates every JSON document the tests read against docs/schema/.
test_packages+=(python3-jsonschema)
# test_as_budget_numpy.py and test_measure.py import Debian's numpy with the threaded OpenBLAS (the address-space
# budget's and measure's real
# example); libopenblas0-pthread takes over the libblas.so.3 alternative.
test_packages+=(python3-numpy libopenblas0-pthread)
# test_measure_time.py holds measure's max RSS to /usr/bin/time -v's.
test_packages+=(time)
# test_runtimes.py runs the runtimes that reserve address space (docs/runtimes.md): a JVM, a Go
# program, an AddressSanitizer build (gcc links libasan8); Node.js and npm come with the chart
# tools (setup-chart-tools.sh).
test_packages+=(openjdk-17-jre-headless golang-go libasan8)
# test_cri_*.py start Debian's containerd (its own config, root and socket; it pulls runc) and
# drive its CRI plugin with a client generated from the CRI api.proto by grpc_tools.
test_packages+=(containerd python3-grpcio python3-grpc-tools)

# shellcheck source=scripts/lib.sh
. "$repo/scripts/lib.sh"
wanted=("${build_packages[@]}")
if [ "${1:-}" = "--tests" ]; then
  wanted+=("${test_packages[@]}")
  # The Debian packages of the setup scripts below join the same apt-get install: on a fresh
  # machine each install of its own is another round of apt's resolver and dpkg's triggers.
  for script in setup-chart-tools setup-runc setup-slurm setup-podman; do
    read -ra more <<<"$(bash "$repo/scripts/$script.sh" --packages)"
    wanted+=("${more[@]}")
  done
fi
ensure_packages setup "${wanted[@]}"
if [ "${1:-}" = "--tests" ]; then
  bash "$repo/scripts/setup-chart-tools.sh"
  bash "$repo/scripts/setup-runc.sh"
  bash "$repo/scripts/vm/kernel.sh" >/dev/null  # the VM tests' kernel, cached once
  bash "$repo/scripts/setup-slurm.sh"
  bash "$repo/scripts/setup-podman.sh"  # test_podman.py's podman, buildah and runc config
  bash "$repo/scripts/setup-docker-cli.sh"  # test_advice_consumers.py's Docker CLI
fi

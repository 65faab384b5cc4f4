#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Installs what tests/integration/test_slurm.py needs, on Debian bookworm as root: Slurm 22.05
# (slurmctld, slurmd, srun, sbatch from slurm-wlm) and munge, its authentication daemon. Only
# the packages: the test fixture (tests/integration/slurm_cluster.py) writes its own slurm.conf
# and munge key into a temporary directory and starts and stops munged, slurmctld and slurmd
# itself, so neither CI nor a developer machine needs systemd or a running service. The systemd
# package is installed only for systemd-analyze, which checks the slurmd.service drop-in (and the
# podman unit) that rlimit-init's advice names; nothing starts systemd.
# Running it again does nothing when everything is already in place.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

# shellcheck source=scripts/lib.sh
. "$repo/scripts/lib.sh"
packages=(slurm-wlm slurm-client munge util-linux systemd)
# --packages: what this script would install, for scripts/setup.sh's one apt-get install.
[ "${1:-}" = --packages ] && { echo "${packages[*]}"; exit 0; }
ensure_packages setup-slurm "${packages[@]}"

#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Installs podman and buildah from Debian bookworm and writes a configuration of their own for
# this kind of host, as root, without touching /etc/containers:
#   - vfs storage under /var/lib/rlimit-init/containers (no overlay or fuse needed);
#   - runtime "runc" (crun refuses hosts with hybrid cgroups), cgroupfs (no systemd);
#   - default_ulimits no higher than this host's hard limits: podman otherwise asks runc for
#     nofile and nproc 1048576, which root without CAP_SYS_RESOURCE cannot set above the host's
#     hard limits; and nproc no higher than 32768, because podman 4.3.1 lowers its own
#     RLIMIT_NPROC to 32768 when it starts (seen with strace: setrlimit(RLIMIT_NPROC, 32768)),
#     so that runc, its child, cannot set more;
#   - no network by default (netns "none"; builds use --network host) and no registries: images
#     come from `podman import`, nothing is ever pulled.
# Users of this configuration set the variables that `scripts/setup-podman.sh --env` prints
# (CONTAINERS_CONF, CONTAINERS_STORAGE_CONF, CONTAINERS_REGISTRIES_CONF, BUILDAH_ISOLATION):
#   eval "$(scripts/setup-podman.sh --env)"; podman run --rm ...
# Running it again rewrites a file only when its contents would change.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
conf_dir=/var/lib/rlimit-init/containers

print_env() {
  printf 'export CONTAINERS_CONF=%s/containers.conf\n' "$conf_dir"
  printf 'export CONTAINERS_STORAGE_CONF=%s/storage.conf\n' "$conf_dir"
  printf 'export CONTAINERS_REGISTRIES_CONF=%s/registries.conf\n' "$conf_dir"
  printf 'export BUILDAH_ISOLATION=chroot\n'
}
if [ "${1:-}" = "--env" ]; then
  print_env
  exit 0
fi

say() { printf 'setup-podman: %s\n' "$*"; }

# conmon runs the container's stdio; mmdebstrap makes the debian:bookworm base image.
# shellcheck source=scripts/lib.sh
. "$repo/scripts/lib.sh"
packages=(podman buildah runc conmon mmdebstrap)
# --packages: what this script would install, for scripts/setup.sh's one apt-get install.
[ "${1:-}" = --packages ] && { echo "${packages[*]}"; exit 0; }
ensure_packages setup-podman "${packages[@]}"

# write_if_changed FILE: stdin becomes FILE unless FILE already holds exactly that.
write_if_changed() {
  local file="$1" new
  new="$(cat)"
  if [ -f "$file" ] && [ "$(cat "$file")" = "$new" ]; then
    return 0
  fi
  printf '%s\n' "$new" >"$file.tmp"
  mv "$file.tmp" "$file"
  say "wrote $file"
}

# ulimit_entry NAME OPTION CEILING: "NAME=soft:hard" from this shell's limits, each no higher
# than CEILING.
ulimit_entry() {
  local soft hard
  hard="$(ulimit -H "$2")"
  soft="$(ulimit -S "$2")"
  [ "$hard" = unlimited ] || [ "$hard" -gt "$3" ] && hard="$3"
  [ "$soft" = unlimited ] || [ "$soft" -gt "$hard" ] && soft="$hard"
  printf '"%s=%s:%s"' "$1" "$soft" "$hard"
}
ulimits="$(ulimit_entry nofile -n 1048576),$(ulimit_entry nproc -u 32768)"

mkdir -p "$conf_dir/storage" /run/rlimit-init/containers
write_if_changed "$conf_dir/containers.conf" <<EOF
# Written by scripts/setup-podman.sh for this host; see that script.
[containers]
default_ulimits = [$ulimits]
netns = "none"

[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
EOF
write_if_changed "$conf_dir/storage.conf" <<EOF
# Written by scripts/setup-podman.sh; see that script.
[storage]
driver = "vfs"
graphroot = "$conf_dir/storage"
runroot = "/run/rlimit-init/containers"
EOF
write_if_changed "$conf_dir/registries.conf" <<EOF
# Written by scripts/setup-podman.sh: no registry is searched; images are imported or built.
unqualified-search-registries = []
EOF

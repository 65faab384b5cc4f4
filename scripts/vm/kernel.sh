#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Prints the path of the kernel the VM tests boot: boot/vmlinuz of the Debian package that
# linux-image-cloud-amd64 depends on (serial console, initramfs, cgroup2 and the memory
# controller are built in; no modules needed). Only that file is kept, under
# $RLIMIT_INIT_CACHE (default /var/cache/rlimit-init)/kernel/PACKAGE_VERSION/vmlinuz, so a
# machine downloads each kernel version once (27 MB); apt-get download checks the package
# against the signed archive index. As root, or as a user who may write the cache.
set -euo pipefail
cache="${RLIMIT_INIT_CACHE:-/var/cache/rlimit-init}/kernel"
meta=linux-image-cloud-amd64

say() { printf 'vm/kernel: %s\n' "$*" >&2; }

# The versioned package the meta-package points at, and its candidate version.
resolve() {
  package="$(apt-cache depends "$meta" 2>/dev/null |
    awk '$1 == "Depends:" && $2 ~ /^linux-image-/ { print $2; exit }')"
  version=""
  [ -n "$package" ] &&
    version="$(apt-cache policy "$package" | awk '$1 == "Candidate:" { print $2; exit }')"
  [ -n "$package" ] && [ -n "$version" ] && [ "$version" != "(none)" ]
}

# fetch DIR: downloads the package and extracts only its vmlinuz into DIR/vmlinuz.
fetch() {
  local tmp
  tmp="$(mktemp -d)"
  # apt-get downloads as the _apt user where it can: let that user write here.
  chmod 0755 "$tmp"
  if id _apt >/dev/null 2>&1; then chown _apt "$tmp"; fi
  if ! (cd "$tmp" && apt-get download -qq "$package=$version" >/dev/null); then
    rm -rf "$tmp"
    return 1
  fi
  dpkg-deb --fsys-tarfile "$tmp"/*.deb |
    tar -x -C "$tmp" "./boot/vmlinuz-${package#linux-image-}"
  mkdir -p "$1"
  mv "$tmp/boot/vmlinuz-${package#linux-image-}" "$1/vmlinuz.partial"
  mv "$1/vmlinuz.partial" "$1/vmlinuz"
  rm -rf "$tmp"
}

mkdir -p "$cache"
exec 9>"$cache/.lock"
flock 9
if ! resolve; then
  say "apt-get update (no $meta in the package lists)"
  apt-get update -qq
  resolve || { say "cannot resolve $meta to a kernel package"; exit 1; }
fi
dir="$cache/${package}_${version}"
if [ ! -f "$dir/vmlinuz" ]; then
  say "downloading $package $version"
  if ! fetch "$dir"; then
    # Old kernel packages leave the mirror when a new ABI is published: refresh the lists.
    say "download failed; apt-get update and retry"
    apt-get update -qq
    resolve || { say "cannot resolve $meta to a kernel package"; exit 1; }
    dir="$cache/${package}_${version}"
    [ -f "$dir/vmlinuz" ] || fetch "$dir"
  fi
fi
echo "$dir/vmlinuz"

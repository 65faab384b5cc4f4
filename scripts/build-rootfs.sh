#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Writes the rlimit-init image's filesystem to a directory: the binary alone, as /rlimit-init,
# stripped and mode 0755, exactly what the Dockerfile's final stage holds (its build stage runs
# this script). Where no Docker engine runs, the directory is the root of an OCI bundle.
#
#   scripts/build-rootfs.sh [--binary FILE] OUT_DIR
#
# FILE defaults to $RLIMIT_INIT_BIN, else build/rlimit-init. Refuses a binary that `file` does
# not call statically linked (a FROM scratch image has no dynamic loader), and an OUT_DIR that
# holds anything but a previous rlimit-init. Running it again replaces the binary atomically.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

die() { printf 'build-rootfs: %s\n' "$*" >&2; exit 1; }
usage() { die "usage: build-rootfs.sh [--binary FILE] OUT_DIR"; }

binary="${RLIMIT_INIT_BIN:-$repo/build/rlimit-init}"
out=""
while [ $# -gt 0 ]; do
  case "$1" in
    --binary) [ $# -ge 2 ] || usage; binary="$2"; shift 2 ;;
    -h|--help) sed -n '2,11s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"; exit 0 ;;
    -*) usage ;;
    *) [ -z "$out" ] || usage; out="$1"; shift ;;
  esac
done
[ -n "$out" ] || usage

[ -f "$binary" ] ||
  die "no binary at $binary: build it first (cmake -S . -B build && cmake --build build)"
command -v file >/dev/null || die "file is not installed: apt-get install file"
command -v strip >/dev/null || die "strip is not installed: apt-get install binutils"
description="$(file -b "$binary")"
case "$description" in
  *"statically linked"*) ;;
  *) die "$binary is not statically linked ($description):" \
         "configure with -DRLIMIT_INIT_STATIC=ON" ;;
esac

mkdir -p "$out"
for entry in "$out"/* "$out"/.[!.]* "$out"/..?*; do
  [ -e "$entry" ] || [ -L "$entry" ] || continue
  [ "$entry" = "$out/rlimit-init" ] ||
    die "$out holds $(basename "$entry"): the image has only /rlimit-init;" \
        "give an empty or new directory"
done

# Strip into a temporary file beside the target, then rename, so a reader never sees half a
# binary.
partial="$(mktemp "$out/.rlimit-init.XXXXXX")"
trap 'rm -f "$partial"' EXIT
strip --strip-all -o "$partial" "$binary"
chmod 0755 "$partial"
mv -f "$partial" "$out/rlimit-init"
trap - EXIT
printf 'build-rootfs: wrote %s (%s bytes, stripped, statically linked)\n' \
  "$out/rlimit-init" "$(stat -c %s "$out/rlimit-init")"

#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Prints the path of a tarball of a fresh minbase Debian bookworm root, made by
#   mmdebstrap --variant=minbase --format=tar bookworm
# from Debian's mirror the first time (about a minute) and cached under /var/cache/rlimit-init/
# after that, keyed by the mmdebstrap version and arguments and the week, so that a CI machine
# rebuilds it at most once a week. It stands in for the debian:bookworm image (imported into
# podman by tests/integration/test_image.py) and for a freshly installed machine
# (scripts/ci-fresh-root.sh). As root.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cache=/var/cache/rlimit-init
args=(--variant=minbase --format=tar --quiet bookworm)

# shellcheck source=scripts/lib.sh
. "$repo/scripts/lib.sh"
ensure_packages bookworm-base mmdebstrap >&2

version="$(dpkg-query -W -f='${Version}' mmdebstrap)"
key="$(printf '%s\n' "$version" "${args[*]}" "$(date -u +%G-W%V)" | sha256sum | cut -c1-16)"
tarball="$cache/bookworm-minbase-$key.tar"
if [ ! -f "$tarball" ]; then
  mkdir -p "$cache"
  printf 'bookworm-base: mmdebstrap %s (about a minute)\n' "${args[*]}" >&2
  start=$SECONDS
  mmdebstrap "${args[@]}" "$tarball.tmp.$$" >&2
  mv "$tarball.tmp.$$" "$tarball"
  printf 'bookworm-base: %s in %d s\n' "$tarball" $((SECONDS - start)) >&2
  # Older weeks' tarballs are never read again.
  find "$cache" -maxdepth 1 -name 'bookworm-minbase-*.tar' ! -name "${tarball##*/}" -delete
fi
echo "$tarball"

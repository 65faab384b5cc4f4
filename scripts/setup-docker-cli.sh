#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Installs the Docker CLI that tests/integration/test_advice_consumers.py parses the printed
# `docker run` flags with, on Debian bookworm as root, unless a `docker` is already on PATH.
#
# Only the client is needed: it parses every flag before it looks for a daemon, and the tests
# point it at a socket that does not exist. Debian ships it only inside docker.io, with the
# daemon, containerd and iptables, whose maintainer scripts start services; so, as for the VM
# kernel (scripts/vm/kernel.sh), the package is downloaded (apt checks it against the signed
# archive index) and only its usr/bin/docker is kept, at .tools/bin/docker (gitignored; test.sh
# puts .tools/bin on PATH). Running it again does nothing when a docker is in place.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
target="$repo/.tools/bin/docker"

say() { printf 'setup-docker-cli: %s\n' "$*"; }

if command -v docker >/dev/null || [ -x "$target" ]; then
  exit 0
fi
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
# apt-get downloads as the _apt user where it can: let that user write here.
chmod 0755 "$tmp"
if id _apt >/dev/null 2>&1; then chown _apt "$tmp"; fi
say "downloading docker.io to take its client, /usr/bin/docker"
(cd "$tmp" && apt-get download -qq docker.io >/dev/null) ||
  { apt-get update -qq && (cd "$tmp" && apt-get download -qq docker.io >/dev/null); }
dpkg-deb --fsys-tarfile "$tmp"/docker.io_*.deb | tar -x -C "$tmp" ./usr/bin/docker
mkdir -p "$(dirname "$target")"
install -m 0755 "$tmp/usr/bin/docker" "$target.partial"
mv -f "$target.partial" "$target"
say "installed $("$target" --version) at ${target#"$repo"/}"

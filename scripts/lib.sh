# SPDX-License-Identifier: Apache-2.0
# Shared by the setup scripts (sourced, not run).

# ensure_packages NAME PACKAGE...: installs with apt-get whichever packages dpkg does not have
# yet, once, saying so as NAME; needs root only when something is missing.
ensure_packages() {
  local name="$1" package
  shift
  local missing=()
  for package in "$@"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" ||
      missing+=("$package")
  done
  [ "${#missing[@]}" -eq 0 ] && return 0
  if [ "$(id -u)" -ne 0 ]; then
    printf '%s: missing packages: %s; run this script as root\n' "$name" "${missing[*]}" >&2
    return 1
  fi
  printf '%s: installing %s with apt-get\n' "$name" "${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  # One line per package as dpkg sets it up, so that a long install shows its progress.
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
    -o Dpkg::Use-Pty=0 "${missing[@]}" | sed -u -n "s/^Setting up \([^ ]*\) .*/  $name: \1/p"
}

# npm_ci_once DIR: `npm ci` in DIR unless node_modules already matches package-lock.json (a
# stamp holds the lock file's hash).
npm_ci_once() {
  local dir="$1"
  local stamp="$dir/node_modules/.installed-lock.sha256"
  local lock_hash
  lock_hash="$(sha256sum "$dir/package-lock.json" | cut -d' ' -f1)"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$lock_hash" ]; then
    return 0
  fi
  printf 'npm ci in %s\n' "$dir"
  (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
  echo "$lock_hash" >"$stamp"
}

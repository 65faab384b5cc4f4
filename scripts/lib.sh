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
  # One update per run: the setup scripts this one starts next (and ci-fresh-root.sh's inner
  # run) find the lists fresh through the environment; each update rebuilds apt's caches.
  if [ "${RLIMIT_INIT_APT_LISTS_FRESH:-}" != 1 ]; then
    printf '  %s: apt-get update\n' "$name"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    export RLIMIT_INIT_APT_LISTS_FRESH=1
  fi
  # A line per package as apt downloads it and as dpkg unpacks it and sets it up, each counted,
  # so that a long install shows its progress (a fresh machine's --tests install takes minutes).
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
    -o Dpkg::Use-Pty=0 "${missing[@]}" | apt_progress "$name"
}

# apt_progress NAME: apt-get install -q's output on stdin, as counted progress lines.
apt_progress() {
  local name="$1" line words total=0 got=0 unpacked=0 set_up=0
  while IFS= read -r line; do
    read -ra words <<<"$line"
    case "$line" in
      *" upgraded, "*" newly installed, "*) total=$((words[0] + words[2])) ;;
      "Need to get "*" of archives."*)
        line="${line#Need to get }"
        line="${line% of archives.*}"
        # "0 B/386 kB": part of it is already in apt's cache.
        [[ "$line" == */* ]] && line="${line%/*} (of ${line#*/}; the rest is cached)"
        printf '  %s: downloading %s for %d packages\n' "$name" "$line" "$total" ;;
      Get:[0-9]*) printf '  %s: [%d/%d] fetching %s\n' "$name" $((++got)) "$total" "${words[4]}" ;;
      "Unpacking "*) printf '  %s: [%d/%d] unpacking %s\n' "$name" $((++unpacked)) "$total" "${words[1]}" ;;
      "Setting up "*) printf '  %s: [%d/%d] set up %s\n' "$name" $((++set_up)) "$total" "${words[2]}" ;;
    esac
  done
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

#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Rewrites the golden files under tests/fixtures/golden/ from what the built binary prints
# (RLIMIT_INIT_UPDATE_GOLDENS=1), then shows what changed: review the diff, commit it with the
# change of wording that caused it. As root, after a build (scripts/build.sh).
#
#   scripts/update-goldens.sh                  every black-box file that has golden files
#   scripts/update-goldens.sh test_rlimits.py  these files only (under tests/integration/)
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
files=()
if [ $# -gt 0 ]; then
  for name in "$@"; do files+=("tests/integration/${name#tests/integration/}"); done
else
  while IFS= read -r file; do files+=("$file"); done < <(grep -l 'golden\.check' tests/integration/test_*.py)
fi
binary="${RLIMIT_INIT_BIN:-$repo/build/rlimit-init}"
# The binary says the commit it was built from; one built before the last commit would write
# that stale commit into the goldens that stand for it ({revision}). Rebuild first.
head="$(git -C "$repo" rev-parse HEAD)"
if [[ "$("$binary" --version)" != *"(commit ${head})"* ]]; then
  echo "update-goldens: ${binary} was not built from HEAD (${head}): rebuild it first" >&2
  exit 1
fi
unset RLIMIT_INIT_NO_SKIP
RLIMIT_INIT_UPDATE_GOLDENS=1 RLIMIT_INIT_BIN="$binary" \
  PATH="$repo/.tools/bin:$PATH" /usr/bin/python3 -m pytest -q -p no:cacheprovider "${files[@]}"
git -C "$repo" add --intent-to-add tests/fixtures/golden
git -C "$repo" diff --stat tests/fixtures/golden

#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Builds the libFuzzer targets in tests/fuzz/ into build-fuzz/ (or $BUILD_FUZZ_DIR).
#
# The fuzzers link a yaml-cpp built from Debian's own source package with the same
# instrumentation as the harness: Debian's prebuilt libyaml-cpp.a has no coverage counters, so
# against it libFuzzer sees only our few lines and never learns to steer the YAML parser, and
# AddressSanitizer sees no out-of-bounds read inside it. yaml-cpp reads every policy, and a
# policy can come from whoever writes a ConfigMap, so policy_fuzzer needs both.
#
# Idempotent: every step is skipped when its output is already there and up to date. On a fresh
# Debian bookworm, run as root, it installs what it needs with apt-get and adds a deb-src entry
# (/etc/apt/sources.list.d/rlimit-init-deb-src.sources) for the mirrors apt already uses.
#
# Usage: scripts/build-fuzz.sh            prints the path of each fuzzer built, one a line
set -euo pipefail

readonly ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=scripts/lib.sh
source "${ROOT}/scripts/lib.sh"
readonly OUT="${BUILD_FUZZ_DIR:-${ROOT}/build-fuzz}"
readonly YAML_DIR="${OUT}/yaml-cpp"
readonly YAML_PREFIX="${YAML_DIR}/install"
readonly DEB_SRC_FILE=/etc/apt/sources.list.d/rlimit-init-deb-src.sources
readonly JOBS="$(nproc)"

# -O1 and frame pointers keep sanitizer stacks readable; -fno-sanitize-recover turns every UBSan
# report into a crash that libFuzzer records.
readonly SANITIZE="address,undefined"
readonly COMMON_FLAGS="-g -O1 -fno-omit-frame-pointer -fno-sanitize-recover=undefined"
readonly LIB_FLAGS="${COMMON_FLAGS} -fsanitize=fuzzer-no-link,${SANITIZE}"
readonly BIN_FLAGS="${COMMON_FLAGS} -fsanitize=fuzzer,${SANITIZE}"

# The project sources each fuzzer needs beside its harness: the policy loader and what it calls,
# which since the limits section reaches the quantity formatting of the report (and so the pure
# decision and advice code). Nothing here makes a syscall, so no System implementation is linked.
readonly LOADER_SOURCES="src/advice/advice.cc src/advice/advice_data.cc src/advice/advice_podman.cc src/advice/advice_slurm.cc src/advice/advice_values.cc src/decide/budget.cc src/observe/cgroup.cc src/observe/cgroup_parse.cc src/decide/decision.cc src/decide/runtime_budget.cc src/observe/layer.cc src/base/limit.cc src/advice/limit_names.cc src/policy/init_mode.cc src/policy/limit_value.cc src/observe/meminfo.cc src/policy/policy.cc src/policy/policy_tree.cc src/base/quantity.cc src/report/cgroup_note_text.cc src/report/json_report.cc src/report/text_report.cc src/report/warning_text.cc src/report/wording.cc src/observe/rlimits.cc src/run/supervise.cc src/policy/termination.cc src/base/text.cc src/policy/user.cc"
declare -A FUZZER_SOURCES=(
  [policy_fuzzer]="${LOADER_SOURCES}"
  [quantity_fuzzer]="${LOADER_SOURCES}"
  [user_fuzzer]="src/policy/user.cc"
)

log() { echo "build-fuzz: $*" >&2; }
die() { echo "build-fuzz: $*" >&2; exit 1; }

# clang++ 14 with its libFuzzer runtime, dpkg-source for Debian's yaml-cpp source, cmake and
# make, from Debian. ensure_packages reports on stdout, which carries the fuzzer paths to
# run-fuzz.sh, so it speaks on stderr here.
install_tools() {
  ensure_packages build-fuzz clang-14 libclang-rt-14-dev dpkg-dev cmake make >&2 ||
    die "cannot install clang-14, libclang-rt-14-dev, dpkg-dev, cmake and make"
  # Not the caller's CXX: the project's own build may export CXX=g++.
  CXX=/usr/bin/clang++-14 CC=/usr/bin/clang-14
  [[ -f "$("${CXX}" -print-file-name=libclang_rt.fuzzer-x86_64.a)" ]] ||
    die "clang 14 has no libFuzzer runtime (libclang_rt.fuzzer-x86_64.a)"
  readonly CC CXX
}

# Writes a deb822 deb-src stanza for each enabled Debian archive apt already fetches binaries
# from (deb822 .sources files and one-line sources.list entries), so the source comes from the
# same mirror, suite and snapshot as the installed libyaml-cpp-dev. A Debian archive here is a
# URI ending in /debian or /debian-security with the main component: third-party repositories
# (Docker's .../linux/debian has no "main") publish no sources, and apt-get update fails on them.
write_deb_src_file() {
  [[ "$(id -u)" == 0 ]] || die "no deb-src entry for yaml-cpp: add one for your Debian mirror or run as root"
  local tmp
  tmp="$(mktemp)"
  {
    echo "# Added by rlimit-init scripts/build-fuzz.sh: source packages for the fuzz build."
    local f
    for f in /etc/apt/sources.list.d/*.sources; do
      [[ -f "${f}" && "${f}" != "${DEB_SRC_FILE}" ]] || continue
      awk -f - "${f}" <<'AWK'
        function flush() {
          if (types ~ /(^| )deb( |$)/ && enabled != "no" && comps ~ /(^| )main( |$)/ &&
              uris ~ /\/debian(-security)?\/?( |$)/) {
            printf "\nTypes: deb-src\nURIs: %s\nSuites: %s\nComponents: %s\n", uris, suites, comps
            if (signed != "") printf "Signed-By: %s\n", signed
          }
          types = uris = suites = comps = signed = enabled = ""
        }
        /^#/ { next }
        /^[ \t]*$/ { flush(); next }
        {
          key = tolower($1); sub(/:$/, "", key)
          value = $0; sub(/^[^:]*:[ \t]*/, "", value)
          if (key == "types") types = value
          else if (key == "uris") uris = value
          else if (key == "suites") suites = value
          else if (key == "components") comps = value
          else if (key == "signed-by") signed = value
          else if (key == "enabled") enabled = tolower(value)
        }
        END { flush() }
AWK
    done
    if [[ -f /etc/apt/sources.list ]]; then
      # "deb [signed-by=K] URI SUITE COMPONENT..." -> the same archive as a deb-src stanza.
      awk '$1 == "deb" {
             i = 2; signed = ""
             if ($2 ~ /^\[/) {
               while (i <= NF) {
                 if ($i ~ /^\[?signed-by=/) { signed = $i; sub(/^\[?signed-by=/, "", signed); sub(/\]$/, "", signed) }
                 if ($i ~ /\]$/) { i++; break }
                 i++
               }
             }
             if ($i !~ /\/debian(-security)?\/?$/) next
             comps = $(i + 2); for (j = i + 3; j <= NF; j++) comps = comps " " $j
             if (comps !~ /(^| )main( |$)/) next
             printf "\nTypes: deb-src\nURIs: %s\nSuites: %s\nComponents: %s\n", $i, $(i + 1), comps
             if (signed != "") printf "Signed-By: %s\n", signed
           }' /etc/apt/sources.list
    fi
  } >"${tmp}"
  grep -q '^Types: deb-src' "${tmp}" ||
    { rm -f "${tmp}"; die "found no Debian archive in /etc/apt to take source packages from"; }
  install -m 0644 "${tmp}" "${DEB_SRC_FILE}"
  rm -f "${tmp}"
  log "wrote ${DEB_SRC_FILE}"
}

# Unpacks Debian's yaml-cpp source (with Debian's patches applied) into ${YAML_DIR}/src.
fetch_yaml_cpp() {
  [[ -f "${YAML_DIR}/src/CMakeLists.txt" ]] && return
  # Match the source version to the installed libyaml-cpp-dev, so the fuzzers test the parser
  # the shipped binary links.
  local version="" spec=yaml-cpp
  version="$(dpkg-query -W -f '${source:Version}' libyaml-cpp-dev 2>/dev/null || true)"
  [[ -n "${version}" ]] && spec="yaml-cpp=${version}"
  if ! apt-cache showsrc yaml-cpp 2>/dev/null | grep -q '^Package: yaml-cpp'; then
    [[ -f "${DEB_SRC_FILE}" ]] || write_deb_src_file
    log "apt-get update"
    apt-get update -qq >&2
  fi
  mkdir -p "${YAML_DIR}/download"
  log "apt-get source ${spec}"
  # As root apt would try to drop to _apt, which cannot write here, and warn; stay root.
  (cd "${YAML_DIR}/download" &&
    apt-get source -qq -o APT::Sandbox::User=root "${spec}" >&2)
  local dir
  dir="$(find "${YAML_DIR}/download" -mindepth 1 -maxdepth 1 -type d -name 'yaml-cpp-*' | head -n1)"
  [[ -n "${dir}" && -f "${dir}/CMakeLists.txt" ]] || die "apt-get source yaml-cpp left no source tree"
  grep -q 'VERSION 0\.7\.0' "${dir}/CMakeLists.txt" ||
    die "${dir} is not yaml-cpp 0.7.0; the project is built against 0.7.0"
  ln -sfn "${dir}" "${YAML_DIR}/src"
}

build_yaml_cpp() {
  local stamp="${YAML_PREFIX}/.flags"
  if [[ -f "${YAML_PREFIX}/lib/libyaml-cpp.a" && -f "${stamp}" &&
        "$(cat "${stamp}")" == "${CXX} ${LIB_FLAGS}" ]]; then
    return
  fi
  log "building instrumented yaml-cpp (${JOBS} jobs)"
  local start=${SECONDS}
  rm -rf "${YAML_DIR}/build" "${YAML_PREFIX}"
  cmake -S "${YAML_DIR}/src" -B "${YAML_DIR}/build" -G "Unix Makefiles" \
    -DCMAKE_BUILD_TYPE=None \
    -DCMAKE_C_COMPILER="${CC}" -DCMAKE_CXX_COMPILER="${CXX}" \
    -DCMAKE_C_FLAGS="${LIB_FLAGS}" -DCMAKE_CXX_FLAGS="${LIB_FLAGS}" \
    -DCMAKE_INSTALL_PREFIX="${YAML_PREFIX}" -DCMAKE_INSTALL_LIBDIR=lib \
    -DYAML_BUILD_SHARED_LIBS=OFF -DBUILD_SHARED_LIBS=OFF \
    -DYAML_CPP_BUILD_TESTS=OFF -DYAML_CPP_BUILD_TOOLS=OFF -DYAML_CPP_BUILD_CONTRIB=OFF \
    >"${YAML_DIR}/cmake.log" 2>&1 || die "cmake for yaml-cpp failed, see ${YAML_DIR}/cmake.log"
  cmake --build "${YAML_DIR}/build" -j "${JOBS}" >"${YAML_DIR}/build.log" 2>&1 ||
    die "yaml-cpp build failed, see ${YAML_DIR}/build.log"
  cmake --install "${YAML_DIR}/build" >>"${YAML_DIR}/build.log" 2>&1 ||
    die "yaml-cpp install failed, see ${YAML_DIR}/build.log"
  echo "${CXX} ${LIB_FLAGS}" >"${stamp}"
  log "instrumented yaml-cpp built in $((SECONDS - start)) s"
}

# Writes ${OUT}/Makefile, which compiles every project source once for all fuzzers, in
# parallel, with the compiler's own header dependencies (-MMD), and links each fuzzer. The file
# is rewritten only when its text changes, and every object depends on it, so a change of
# compiler or flags rebuilds everything and nothing else does.
write_makefile() {
  local tmp name src objects all=()
  tmp="$(mktemp)"
  {
    echo "# Generated by scripts/build-fuzz.sh; edit that instead."
    echo "CXX := ${CXX}"
    # yaml-cpp's headers come first so the instrumented build's, not /usr/include's, are used.
    echo "CXXFLAGS := -std=c++20 ${LIB_FLAGS} -Wall -Wextra -isystem ${YAML_PREFIX}/include" \
         "-I ${ROOT}/src -DRLIMIT_INIT_VERSION='\"fuzz\"' -MMD -MP"
    echo "LDFLAGS := ${BIN_FLAGS}"
    echo "YAML_CPP := ${YAML_PREFIX}/lib/libyaml-cpp.a"
    echo
    for name in "${!FUZZER_SOURCES[@]}"; do all+=("${name}"); done
    echo "all: ${all[*]}"
    echo ".PHONY: all"
    echo ".DELETE_ON_ERROR:"
    echo
    echo "obj/src/%.o: ${ROOT}/src/%.cc Makefile"
    printf '\t@mkdir -p $(@D)\n\t$(CXX) $(CXXFLAGS) -c $< -o $@\n'
    echo "obj/fuzz/%.o: ${ROOT}/tests/fuzz/%.cc Makefile"
    printf '\t@mkdir -p $(@D)\n\t$(CXX) $(CXXFLAGS) -c $< -o $@\n'
    for name in "${all[@]}"; do
      objects="obj/fuzz/${name}.o"
      for src in ${FUZZER_SOURCES[${name}]}; do
        src="${src#src/}"
        objects+=" obj/src/${src%.cc}.o"
      done
      echo
      echo "${name}: ${objects} \$(YAML_CPP)"
      printf '\t$(CXX) $(LDFLAGS) $^ -o $@\n'
    done
    echo
    echo "-include \$(wildcard obj/*/*.d obj/src/*/*.d)"
  } >"${tmp}"
  if cmp -s "${tmp}" "${OUT}/Makefile"; then
    rm -f "${tmp}"
  else
    mv "${tmp}" "${OUT}/Makefile"
  fi
}

build_fuzzers() {
  write_makefile
  local output
  if ! output="$(make -C "${OUT}" --no-print-directory -j "${JOBS}" all 2>&1)"; then
    echo "${output}" >&2
    die "compiling the fuzzers with ${CXX} failed; the fuzz build compiles ${LOADER_SOURCES} with clang 14, so they must be valid C++20 for clang as well as g++"
  fi
  # Warnings are worth seeing; the command lines are not.
  grep -v -e '^/.*clang.* -o ' -e 'Nothing to be done' <<<"${output}" >&2 || true
  local steps
  steps="$(grep -c -e '^/.*clang.* -o ' <<<"${output}" || true)"
  ((steps == 0)) || log "compiled and linked ${steps} files"
  local name
  for name in "${!FUZZER_SOURCES[@]}"; do echo "${OUT}/${name}"; done | sort
}

main() {
  mkdir -p "${OUT}"
  # Engineers and CI share one working tree; one build at a time in it.
  exec 9>"${OUT}/.build.lock"
  flock 9
  install_tools
  fetch_yaml_cpp
  build_yaml_cpp
  build_fuzzers
}

main "$@"

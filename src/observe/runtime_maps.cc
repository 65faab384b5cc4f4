// SPDX-License-Identifier: Apache-2.0
#include "observe/runtime_maps.h"

#include <charconv>
#include <cstdint>

namespace rlimit_init {
namespace {

// A WebAssembly memory under V8's trap handler reserves an 8 GiB guard region, PROT_NONE and
// anonymous; nothing else node maps comes near half of that.
constexpr std::uint64_t kWasmGuard = 4ULL << 30;
// Where the Go runtime (amd64, arm64) puts its first heap arena: arenaBaseOffset's hint.
constexpr std::string_view kGoArena = "c000000000-";

struct MapsLine {
  std::uint64_t size = 0;
  std::string_view perms;
  std::string_view path;  // "" for anonymous memory
  std::string_view range;
};

MapsLine ParseLine(std::string_view line) {
  MapsLine m;
  const std::size_t space = line.find(' ');
  m.range = line.substr(0, space);
  const std::size_t dash = m.range.find('-');
  std::uint64_t start = 0, end = 0;
  if (dash != std::string_view::npos) {
    std::from_chars(m.range.data(), m.range.data() + dash, start, 16);
    std::from_chars(m.range.data() + dash + 1, m.range.data() + m.range.size(), end, 16);
  }
  m.size = end > start ? end - start : 0;
  if (space != std::string_view::npos) m.perms = line.substr(space + 1, 4);
  // The path is the sixth field: after address, perms, offset, device and inode.
  std::size_t at = 0;
  for (int field = 0; field < 5 && at != std::string_view::npos; ++field) {
    at = line.find(' ', at);
    if (at != std::string_view::npos) at = line.find_first_not_of(' ', at);
  }
  if (at != std::string_view::npos) m.path = line.substr(at);
  return m;
}

std::string_view Base(std::string_view path) {
  const std::size_t slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

bool Starts(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

}  // namespace

std::optional<MappedRuntime> RuntimeFromMaps(std::string_view maps) {
  bool jvm = false, node = false, go = false, torch = false;
  std::string sanitizer_library;
  int guards = 0;
  while (!maps.empty()) {
    const std::size_t newline = maps.find('\n');
    const MapsLine m = ParseLine(maps.substr(0, newline));
    maps.remove_prefix(newline == std::string_view::npos ? maps.size() : newline + 1);
    const std::string_view base = Base(m.path);
    if (Starts(base, "libasan.so") || Starts(base, "libtsan.so")) sanitizer_library = base;
    if (base == "libjvm.so") jvm = true;
    if (base == "libtorch_cpu.so") torch = true;
    if (base == "node" || base == "nodejs" || Starts(base, "libnode.so")) node = true;
    if (Starts(m.range, kGoArena)) go = true;
    if (m.path.empty() && m.perms == "---p" && m.size >= kWasmGuard) ++guards;
  }
  MappedRuntime r;
  if (!sanitizer_library.empty()) {
    r.kind = Starts(sanitizer_library, "libasan") ? MappedRuntimeKind::kAddressSanitizer
                                                  : MappedRuntimeKind::kThreadSanitizer;
    r.library = sanitizer_library;
  } else if (jvm) {
    r.kind = MappedRuntimeKind::kJvm;
  } else if (node) {
    r.kind = MappedRuntimeKind::kNode;
    r.guard_regions = guards;
  } else if (torch) {
    r.kind = MappedRuntimeKind::kPyTorch;
  } else if (go) {
    r.kind = MappedRuntimeKind::kGo;
  } else {
    return std::nullopt;
  }
  return r;
}

}  // namespace rlimit_init

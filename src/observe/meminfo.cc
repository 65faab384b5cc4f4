// SPDX-License-Identifier: Apache-2.0
#include "observe/meminfo.h"

#include <charconv>
#include <limits>
#include <string>

#include "os/system.h"

namespace rlimit_init {
namespace {

constexpr std::uint64_t kBytesPerKiB = 1024;

std::string_view TrimSpace(std::string_view s) {
  const char* kSpace = " \t\n";
  const std::size_t begin = s.find_first_not_of(kSpace);
  if (begin == std::string_view::npos) return {};
  return s.substr(begin, s.find_last_not_of(kSpace) - begin + 1);
}

}  // namespace

// "  24683620 kB" -> bytes. The kernel prints these fields in KiB with the unit "kB"; a value
// without it, or one whose byte count does not fit 64 bits, is not trusted.
std::optional<std::uint64_t> ParseKiB(std::string_view value) {
  value = TrimSpace(value);
  if (!value.ends_with(" kB")) return std::nullopt;
  value = TrimSpace(value.substr(0, value.size() - 3));
  std::uint64_t kib = 0;
  const auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), kib);
  if (value.empty() || error != std::errc() || end != value.data() + value.size()) {
    return std::nullopt;
  }
  if (kib > std::numeric_limits<std::uint64_t>::max() / kBytesPerKiB) return std::nullopt;
  return kib * kBytesPerKiB;
}

HostMemory ParseMeminfo(std::string_view text) {
  HostMemory memory;
  const struct {
    std::string_view key;
    std::optional<std::uint64_t> HostMemory::*field;
  } kFields[] = {
      {"MemTotal", &HostMemory::mem_total},
      {"MemAvailable", &HostMemory::mem_available},
      {"CommitLimit", &HostMemory::commit_limit},
      {"Committed_AS", &HostMemory::committed_as},
  };
  // The four fields stand in the first 35 of /proc/meminfo's 55 or so lines: stop once they
  // are read, since rlimit-init reads this file on every start.
  std::size_t found = 0;
  while (!text.empty() && found < std::size(kFields)) {
    const std::size_t end = text.find('\n');
    const std::string_view line = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    for (const auto& field : kFields) {
      if (line.substr(0, colon) == field.key) {
        memory.*field.field = ParseKiB(line.substr(colon + 1));
        ++found;
        break;
      }
    }
  }
  return memory;
}

std::optional<int> ParseOvercommitMode(std::string_view text) {
  text = TrimSpace(text);
  int mode = -1;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), mode);
  if (text.empty() || error != std::errc() || end != text.data() + text.size()) {
    return std::nullopt;
  }
  // The kernel accepts only 0 (heuristic), 1 (always) and 2 (never overcommit).
  if (mode < 0 || mode > 2) return std::nullopt;
  return mode;
}

HostMemory ReadHostMemory(System& system) {
  HostMemory memory;
  if (ReadResult meminfo = system.ReadHostFile("/proc/meminfo"); meminfo.ok) {
    memory = ParseMeminfo(meminfo.data);
  }
  if (ReadResult mode = system.ReadHostFile("/proc/sys/vm/overcommit_memory"); mode.ok) {
    memory.overcommit_mode = ParseOvercommitMode(mode.data);
  }
  return memory;
}

}  // namespace rlimit_init

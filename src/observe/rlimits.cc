// SPDX-License-Identifier: Apache-2.0
#include "observe/rlimits.h"

#include <charconv>
#include <string>

#include "os/system.h"

namespace rlimit_init {

std::optional<std::uint64_t> ParseCapEff(std::string_view status) {
  constexpr std::string_view kKey = "CapEff:";
  while (!status.empty()) {
    std::size_t newline = status.find('\n');
    std::string_view line = status.substr(0, newline);
    status = newline == std::string_view::npos ? "" : status.substr(newline + 1);
    if (line.substr(0, kKey.size()) != kKey) continue;
    line.remove_prefix(kKey.size());
    while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
    if (line.empty() || line.size() > 16) return std::nullopt;
    std::uint64_t mask = 0;
    auto [ptr, ec] = std::from_chars(line.data(), line.data() + line.size(), mask, 16);
    if (ec != std::errc() || ptr != line.data() + line.size()) return std::nullopt;
    return mask;
  }
  return std::nullopt;
}

bool IsInitialUserNamespace(std::string_view uid_map) {
  // One line, "0 0 4294967295", with the kernel's column padding.
  std::string fields;
  bool in_space = true;
  for (char c : uid_map) {
    bool space = c == ' ' || c == '\t' || c == '\n';
    if (space && !in_space) fields += ' ';
    if (!space) fields += c;
    in_space = space;
  }
  if (!fields.empty() && fields.back() == ' ') fields.pop_back();
  return fields == "0 0 4294967295";
}

bool MayRaiseHardLimit(System& system) {
  ReadResult status = system.ReadHostFile("/proc/self/status");
  ReadResult uid_map = system.ReadHostFile("/proc/self/uid_map");
  if (!status.ok || !uid_map.ok) return false;
  std::optional<std::uint64_t> cap_eff = ParseCapEff(status.data);
  return cap_eff && ((*cap_eff >> kCapSysResource) & 1) != 0 &&
         IsInitialUserNamespace(uid_map.data);
}

}  // namespace rlimit_init

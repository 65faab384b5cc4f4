// SPDX-License-Identifier: Apache-2.0
// Host memory facts from /proc/meminfo and /proc/sys/vm/overcommit_memory.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "base/limit.h"

namespace rlimit_init {

class System;

struct HostMemory {
  std::optional<std::uint64_t> mem_total;      // bytes
  std::optional<std::uint64_t> mem_available;  // bytes
  std::optional<std::uint64_t> commit_limit;   // bytes
  std::optional<std::uint64_t> committed_as;   // bytes
  std::optional<int> overcommit_mode;          // vm.overcommit_memory: 0, 1 or 2
};

/// Parses /proc/meminfo text ("MemTotal:  24567890 kB"); fields it cannot find stay empty.
HostMemory ParseMeminfo(std::string_view text);

// A /proc field in KiB with the unit "kB" ("  24683620 kB", as in /proc/meminfo and
// /proc/PID/status) -> bytes; nullopt without the unit or past 64 bits.
std::optional<std::uint64_t> ParseKiB(std::string_view value);

/// Parses /proc/sys/vm/overcommit_memory ("2\n"); nullopt unless it is 0, 1 or 2.
std::optional<int> ParseOvercommitMode(std::string_view text);

/// Reads /proc/meminfo and /proc/sys/vm/overcommit_memory through `system`. Never fails.
HostMemory ReadHostMemory(System& system);

}  // namespace rlimit_init

// SPDX-License-Identifier: Apache-2.0
// The value types every part of rlimit-init shares: a soft/hard pair, "unlimited", and one
// table row per Linux resource limit. Pure: no syscalls, no OS headers, so pure code includes
// this and never the OS seam (system.h).
#pragma once

#include <array>
#include <cstdint>
#include <limits>
#include <string_view>

namespace rlimit_init {

/// RLIM_INFINITY on Linux; every limit value uses it for "no limit".
inline constexpr std::uint64_t kUnlimited = std::numeric_limits<std::uint64_t>::max();

/// One resource limit as getrlimit(2) returns it.
struct LimitPair {
  std::uint64_t soft = kUnlimited;
  std::uint64_t hard = kUnlimited;
  friend bool operator==(const LimitPair&, const LimitPair&) = default;
};

/// The 16 Linux resource limits, in the order of prlimit(1)'s and the policy's names
/// (alphabetical). Not the kernel's RLIMIT_* numbers: system_real.cc maps them, so this
/// header stays free of <sys/resource.h>.
enum class Resource : std::uint8_t {
  kAs, kCore, kCpu, kData, kFsize, kLocks, kMemlock, kMsgqueue,
  kNice, kNofile, kNproc, kRss, kRtprio, kRttime, kSigpending, kStack,
};
inline constexpr std::size_t kResourceCount = 16;

/// What a resource's value counts; it decides how the policy reads a request and how a
/// report prints it.
enum class LimitUnit : std::uint8_t {
  kBytes,         // a quantity: "8MiB", "64Gi"
  kCount,         // a plain number of files, processes, signals, locks
  kSeconds,       // cpu
  kMicroseconds,  // rttime
  kNiceCeiling,   // nice: the kernel value 20 - the lowest nice value allowed (0..40)
  kPriority,      // rtprio: 0..99
};

/// One table row: everything the code knows about a resource lives here, so that adding a
/// resource is a row and not a copy of the address-space code.
struct ResourceRow {
  Resource resource;
  std::string_view name;         // prlimit's long option and the policy key: "nofile"
  std::string_view kernel_name;  // "RLIMIT_NOFILE"
  std::string_view description;  // prlimit's column: "max number of open files"
  LimitUnit unit;
  char ulimit_flag;              // bash's `ulimit -n`
  std::uint32_t ulimit_scale;    // bytes per unit of bash's ulimit (1024 for -v, -s ...), or 1
  std::string_view systemd;      // "LimitNOFILE"
  bool docker;                   // `docker run --ulimit NAME=` accepts it (all but "as")
  bool kubernetes;               // one of KEP-5758's six securityContext.ulimits names
};

/// The table, indexed by Resource.
extern const std::array<ResourceRow, kResourceCount> kResources;

inline const ResourceRow& Row(Resource resource) {
  return kResources[static_cast<std::size_t>(resource)];
}

/// The row whose name is `name` ("nofile"); nullptr for an unknown name.
const ResourceRow* FindResource(std::string_view name);

}  // namespace rlimit_init

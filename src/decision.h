// SPDX-License-Identifier: Apache-2.0
// The decision: a pure function of the policy and what was observed. No I/O happens here, so
// every branch is covered by the table in tests/unit/decision_test.cc.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "cgroup.h"
#include "layer.h"
#include "meminfo.h"
#include "policy.h"
#include "limit.h"

namespace rlimit_init {

/// Everything Decide needs to know about the process and its host.
struct Observed {
  LimitPair limit;      // RLIMIT_AS as inherited
  LimitPair data_limit;  // RLIMIT_DATA
  bool may_raise_hard = false;  // CAP_SYS_RESOURCE in the initial user namespace
  CgroupMemory cgroup;
  HostMemory host;
  DetectedLayer layer;
};

enum class Outcome { kRaised, kUnchanged, kPartial, kRefused };

/// What stands in the way when the outcome is kRefused.
enum class Blocker {
  kNone,
  kHardLimit,      // the request is above the hard RLIMIT_AS and it may not be raised
  kMemoryRequire,  // memory.require is above the memory ceiling
  kAboveCgroup,    // the grant is above the cgroup limit and aboveCgroup is refuse
  kNoCeiling,      // a percentage was asked for but no memory ceiling could be read
};

struct Decision {
  Outcome outcome = Outcome::kUnchanged;
  Blocker blocker = Blocker::kNone;
  std::uint64_t request_bytes = kUnlimited;          // the request resolved to bytes
  std::optional<std::uint64_t> minimum_bytes;        // the minimum resolved to bytes
  LimitPair before;                          // as inherited
  LimitPair after;                           // what the workload gets
  /// The soft limit granted, or that would have been granted had aboveCgroup not refused it;
  /// kUnlimited after the refusals that grant nothing (hard limit, memory.require, no ceiling).
  std::uint64_t grant = kUnlimited;
  std::uint64_t ceiling = kUnlimited;                // memory ceiling
  std::string ceiling_source;                        // where the ceiling was read
  std::vector<std::string> warnings;                 // lowercase fragments, no prefix
};

/// The memory ceiling: the cgroup limit, or MemTotal where that is lower or there is none.
/// Sets `source` to the file it was read from.
std::uint64_t MemoryCeiling(const Observed& observed, std::string* source);

/// Pure. Never lowers a limit: `after` is never below `before`.
Decision Decide(const Policy& policy, const Observed& observed);

const char* OutcomeName(Outcome outcome);

}  // namespace rlimit_init

// SPDX-License-Identifier: Apache-2.0
// The decision: a pure function of the policy and what was observed. No I/O happens here, so
// every branch is covered by the table in tests/unit/decision_test.cc.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "decide/budget.h"
#include "decide/warning.h"
#include "observe/observe.h"
#include "policy/policy.h"
#include "base/limit.h"

namespace rlimit_init {

enum class Outcome { kRaised, kUnchanged, kPartial, kRefused, kLowered };

/// What stands in the way when the outcome is kRefused.
enum class Blocker {
  kNone,
  kHardLimit,      // the request is above the hard RLIMIT_AS and it may not be raised
  kMemoryRequire,  // memory.require is above the memory ceiling
  kAboveCgroup,    // the grant is above the cgroup limit and aboveCgroup is refuse
  kNoCeiling,      // a percentage was asked for but no memory ceiling could be read
  // The cgroup memory limit is unknown (CgroupMemory::unknown) and the policy needs it:
  kShareUnknown,          // a percentage of the memory ceiling
  kMemoryRequireUnknown,  // memory.require
  kAboveCgroupUnknown,    // a grant, with aboveCgroup refuse
};

/// One rlimit's decision, by the rules every limit follows.
struct LimitDecision {
  Resource resource = Resource::kAs;
  Outcome outcome = Outcome::kUnchanged;
  Blocker blocker = Blocker::kNone;            // kHardLimit or kNone
  std::uint64_t request = kUnlimited;          // resolved, in the resource's unit
  std::optional<std::uint64_t> minimum;
  LimitPair before;
  LimitPair after;
  Warnings warnings;  // as data; report/warning_text.h words them
};

/// Pure. The rules every limit follows, the address space's included: never lower unless
/// `spec.lower`, and then only the soft limit; raise the soft limit within the hard one; raise
/// the hard limit only with raiseHard and `may_raise_hard`; settle for the hard limit when it
/// meets the minimum; otherwise refuse. `spec`'s amounts must not be percentages (the address
/// space resolves its own before it comes here).
LimitDecision DecideLimit(Resource resource, const LimitSpec& spec, const LimitPair& before,
                          bool may_raise_hard);

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
  /// The memory ceiling; kUnlimited when neither the cgroup nor MemTotal limits, nullopt when
  /// the cgroup limit is unknown (MemTotal alone would be a guess).
  std::optional<std::uint64_t> ceiling;
  std::string ceiling_source;                        // where the ceiling was read
  Warnings warnings;  // as data; report/warning_text.h words them
  /// The policy's other limits (limits.NAME but as), in the table's order.
  std::vector<LimitDecision> limits;
};

/// Whether the address space or any other limit was refused.
bool AnyRefused(const Decision& decision);

/// The memory ceiling: the cgroup limit, or MemTotal where that is lower or there is none.
/// Sets `source` to the file it was read from. nullopt when the cgroup limit is unknown.
std::optional<std::uint64_t> MemoryCeiling(const Observed& observed, std::string* source);

/// Pure. Never lowers a limit: `after` is never below `before`.
Decision Decide(const Policy& policy, const Observed& observed);

}  // namespace rlimit_init

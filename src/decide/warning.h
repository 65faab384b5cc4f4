// SPDX-License-Identifier: Apache-2.0
// What Decide warns about, as data: one struct per kind with the figures it found. The words
// are report/warning_text.cc's, written once there; the text and JSON renderers both say them.
// Names that were observed or written in the policy (a cgroup file, a runtime's program, an
// override's origin) stay in Observed and Policy, which every renderer has.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <variant>
#include <vector>

#include "base/limit.h"
#include "decide/budget.h"
#include "decide/runtime_budget.h"

namespace rlimit_init {

/// Observed.cgroup.notes[index]: a problem reading the cgroup files, as observe found it (the
/// file, the errno value or the file's own content), carried unchanged.
struct CgroupNoteWarning {
  std::size_t index = 0;
  bool operator==(const CgroupNoteWarning&) const = default;
};

/// vm.overcommit_memory is 2: allocations fail at CommitLimit whatever RLIMIT_AS says; the
/// figures when /proc/meminfo had them.
struct StrictOvercommitWarning {
  std::optional<std::uint64_t> committed_as;
  std::optional<std::uint64_t> commit_limit;
  bool operator==(const StrictOvercommitWarning&) const = default;
};

/// A limit other than the address space asked for less than the inherited soft limit, which is
/// kept (lowering takes `lower: true`).
struct KeptHigherSoftWarning {
  Resource resource = Resource::kAs;
  std::uint64_t request = 0;
  std::uint64_t soft = 0;
  bool operator==(const KeptHigherSoftWarning&) const = default;
};

/// An override asked for less than the policy's minimum and won: the job gets `granted`.
struct BelowMinimumWarning {
  Resource resource = Resource::kAs;
  std::uint64_t request = 0;
  std::uint64_t minimum = 0;
  std::uint64_t granted = 0;
  bool operator==(const BelowMinimumWarning&) const = default;
};

/// The outcome is kPartial: the hard limit, below the request, meets the minimum.
struct GrantedHardLimitWarning {
  Resource resource = Resource::kAs;
  std::uint64_t hard = 0;
  std::uint64_t request = 0;
  std::uint64_t minimum = 0;
  bool operator==(const GrantedHardLimitWarning&) const = default;
};

/// raiseHard is set, but without CAP_SYS_RESOURCE the hard limit stays `hard`.
struct NoCapabilityWarning {
  Resource resource = Resource::kAs;
  std::uint64_t hard = 0;
  bool operator==(const NoCapabilityWarning&) const = default;
};

/// The address space is above the cgroup memory limit (or may be, when the limit is unknown):
/// past it the kernel OOM-kills instead of failing an allocation.
struct AboveCgroupWarning {
  bool inherited = false;      // the inherited soft limit, kept; else the grant
  std::uint64_t bytes = 0;     // that soft limit or grant
  std::optional<std::uint64_t> cgroup_limit;  // nullopt: the limit is unknown
  bool operator==(const AboveCgroupWarning&) const = default;
};

/// RLIMIT_DATA is below the address space granted: allocations still fail at it.
struct DataLimitWarning {
  std::uint64_t data_soft = 0;
  bool operator==(const DataLimitWarning&) const = default;
};

/// One warning. The alternative says the kind; its members the figures.
using Warning = std::variant<CgroupNoteWarning, StrictOvercommitWarning, KeptHigherSoftWarning,
                             BelowMinimumWarning, GrantedHardLimitWarning, NoCapabilityWarning,
                             AboveCgroupWarning, DataLimitWarning, ThreadsWarning, GpuWarning,
                             JvmWarning, NodeWarning, GoWarning, SanitizerWarning>;
using Warnings = std::vector<Warning>;

}  // namespace rlimit_init

// SPDX-License-Identifier: Apache-2.0
// Gathers every observation Decide needs, through the System seam.
#pragma once

#include <array>
#include <cstddef>

#include "base/limit.h"
#include "observe/budget_host.h"
#include "observe/cgroup.h"
#include "observe/layer.h"
#include "observe/meminfo.h"
#include "observe/runtime.h"

namespace rlimit_init {

class System;

/// Everything Decide needs to know about the process and its host.
struct Observed {
  /// Every rlimit as inherited, indexed by Resource (RLIMIT_AS as it was before rlimit-init
  /// lifted its own soft limit).
  std::array<LimitPair, kResourceCount> limits;
  bool may_raise_hard = false;  // CAP_SYS_RESOURCE in the initial user namespace
  CgroupMemory cgroup;
  HostMemory host;
  DetectedLayer layer;
  BudgetHost budget;  // what the address-space budget estimates from
  /// The runtime the workload starts, read only when there is a workload and the grant is
  /// finite (run.cc); kNone otherwise.
  WorkloadRuntime runtime;

  LimitPair& limit(Resource resource) { return limits[static_cast<std::size_t>(resource)]; }
  const LimitPair& limit(Resource resource) const {
    return limits[static_cast<std::size_t>(resource)];
  }
};

/// `inherited` is RLIMIT_AS as the process started with it, read before rlimit-init lifted
/// its own soft limit. Never fails; what cannot be read becomes a note or stays unknown.
Observed Observe(System& system, const LimitPair& inherited);

}  // namespace rlimit_init

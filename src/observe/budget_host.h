// SPDX-License-Identifier: Apache-2.0
// Observes what the address-space budget needs, through the System seam: the affinity mask,
// the cgroup CPU quota, GPU device nodes and the runtime variables the workload inherits.
#pragma once

#include <vector>

#include "decide/budget.h"
#include "observe/cgroup.h"

namespace rlimit_init {

class System;

/// Never fails: what cannot be read stays unknown (0 CPUs, no quota, no devices).
BudgetHost ObserveBudgetHost(System& system);

/// The same with /proc/self/cgroup as cgroup discovery parsed it (CgroupMemory::proc_cgroup),
/// which Observe passes on rather than read and parse the file twice.
BudgetHost ObserveBudgetHost(System& system, const std::vector<ProcCgroupEntry>& proc_cgroup);

}  // namespace rlimit_init

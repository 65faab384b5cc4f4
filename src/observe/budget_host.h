// SPDX-License-Identifier: Apache-2.0
// Observes what the address-space budget needs, through the System seam: the affinity mask,
// the cgroup CPU quota, GPU device nodes and the runtime variables the workload inherits.
#pragma once

#include "decide/budget.h"

namespace rlimit_init {

class System;

/// Never fails: what cannot be read stays unknown (0 CPUs, no quota, no devices).
BudgetHost ObserveBudgetHost(System& system);

}  // namespace rlimit_init

// SPDX-License-Identifier: Apache-2.0
#include "observe/observe.h"

#include "observe/budget_host.h"
#include "observe/rlimits.h"
#include "os/system.h"

namespace rlimit_init {

Observed Observe(System& system, const LimitPair& inherited) {
  // The cgroup is built in place: assigning it would cost code for every pair of note kinds.
  Observed observed{.limits = {},
                    .may_raise_hard = false,
                    .cgroup = DiscoverCgroupMemory(system),
                    .host = {},
                    .layer = {},
                    .budget = {},
                    .runtime = {}};
  for (const ResourceRow& row : kResources) {
    // An unreadable limit stays unlimited, which no decision mistakes for a constraint.
    if (system.GetLimit(row.resource, &observed.limit(row.resource)) != 0) {
      observed.limit(row.resource) = {};
    }
  }
  observed.limit(Resource::kAs) = inherited;
  observed.may_raise_hard = MayRaiseHardLimit(system);
  observed.host = ReadHostMemory(system);
  observed.layer = DetectLayer(ReadLayerHints(system, observed.cgroup.proc_path));
  observed.budget = ObserveBudgetHost(system, observed.cgroup.proc_cgroup);
  return observed;
}

}  // namespace rlimit_init

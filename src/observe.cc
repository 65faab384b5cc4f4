// SPDX-License-Identifier: Apache-2.0
#include "observe.h"

#include "rlimits.h"
#include "system.h"

namespace rlimit_init {

Observed Observe(System& system, const LimitPair& inherited) {
  Observed observed;
  observed.limit = inherited;
  if (system.GetLimit(Resource::kData, &observed.data_limit) != 0) observed.data_limit = {};
  observed.may_raise_hard = MayRaiseHardLimit(system);
  observed.cgroup = DiscoverCgroupMemory(system);
  observed.host = ReadHostMemory(system);
  observed.layer = DetectLayer(ReadLayerHints(system, observed.cgroup.cgroup_path));
  return observed;
}

}  // namespace rlimit_init

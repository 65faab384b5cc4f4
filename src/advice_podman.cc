// SPDX-License-Identifier: Apache-2.0
// What to change when Podman started the container.
#include "advice_layers.h"

namespace rlimit_init {

// TODO(slurm, issue 9): podman parses --ulimit with docker/go-units, which rejects "as"
// (names.go_units is nullptr for RLIMIT_AS); this line is the one issue 9 reports as wrong.
Advice PodmanHardLimit(const RlimitNames& /*names*/, const AdviceInput& /*input*/,
                       std::uint64_t needed) {
  std::string value = GoUnitsValue(needed);
  return {"run the container with podman run --ulimit as=" + value + ":" + value +
          " (-1 means unlimited)"};
}

Advice PodmanMemoryLimit(const AdviceInput& /*input*/, std::uint64_t needed,
                         const CgroupMemory& /*cgroup*/) {
  return {"run the container with podman run --memory=" + std::to_string(needed) + " or more"};
}

}  // namespace rlimit_init

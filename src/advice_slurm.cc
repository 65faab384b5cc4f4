// SPDX-License-Identifier: Apache-2.0
// What to change when the job runs under Slurm.
#include "advice_layers.h"

namespace rlimit_init {

// TODO(slurm, issue 9): the job's hard limit is slurmd's, not the submit shell's.
Advice SlurmHardLimit(const RlimitNames& names, const AdviceInput& /*input*/,
                      std::uint64_t needed) {
  return {std::string("Slurm propagates the submit shell's limits: submit from a shell whose "
                      "ulimit -H") +
          (names.ulimit_option + 1) + " is at least " + UlimitValue(names, needed) +
          ", or set PropagateResourceLimitsExcept=AS in slurm.conf"};
}

Advice SlurmMemoryLimit(const AdviceInput& /*input*/, std::uint64_t needed,
                        const CgroupMemory& /*cgroup*/) {
  return {"request at least --mem=" + std::to_string((needed + (1 << 20) - 1) >> 20) +
          "M for the job (Slurm enforces it through cgroup.conf ConstrainRAMSpace)"};
}

}  // namespace rlimit_init

// SPDX-License-Identifier: Apache-2.0
// Slurm's fixes, which advice.cc picks when the layer is a Slurm job: the fix first, the
// alternatives after it.
#pragma once

#include <cstdint>
#include <string>

#include "advice/advice.h"

namespace rlimit_init {

Advice SlurmHardLimit(const RlimitNames& names, const AdviceInput& input, std::uint64_t needed);
Advice SlurmMemoryLimit(const AdviceInput& input, std::uint64_t needed,
                        const CgroupMemory& cgroup);

}  // namespace rlimit_init

// SPDX-License-Identifier: Apache-2.0
// Podman's fixes, which advice.cc picks when the layer is Podman: the fix first, the
// alternatives after it.
#pragma once

#include <cstdint>
#include <string>

#include "advice/advice.h"

namespace rlimit_init {

Advice PodmanHardLimit(const RlimitNames& names, const AdviceInput& input, std::uint64_t needed);
Advice PodmanMemoryLimit(const AdviceInput& input, std::uint64_t needed,
                         const CgroupMemory& cgroup);

}  // namespace rlimit_init

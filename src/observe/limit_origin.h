// SPDX-License-Identifier: Apache-2.0
// Where an inherited limit most likely came from, for `inspect`: a soft/hard pair that someone
// is known to set, else the layer that was detected. Pure.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "observe/layer.h"
#include "base/limit.h"

namespace rlimit_init {

/// The kernel's limits for PID 1 (include/asm-generic/resource.h, INIT_RLIMITS), which every
/// process inherits unless something on the way changes them. nproc and sigpending start at
/// half of max_threads (kernel/fork.c, fork_init), which /proc/sys/kernel/threads-max shows:
/// `threads_max` is that, or 0 when it could not be read. memlock is 8 MiB since Linux 5.16,
/// 64 KiB before.
bool IsKernelDefault(Resource resource, const LimitPair& limit, std::uint64_t threads_max);

/// /proc/sys/kernel/threads-max's number ("192729\n"), or 0 when it is not one.
std::uint64_t ParseThreadsMax(std::string_view file);

/// One short phrase: "the kernel's default for PID 1", "systemd's default for services
/// (DefaultLimitNOFILE=1024:524288) ...", or "inherited: set by Docker or a layer above it".
std::string LikelyOrigin(Resource resource, const LimitPair& limit, std::uint64_t threads_max,
                         const DetectedLayer& layer);

}  // namespace rlimit_init

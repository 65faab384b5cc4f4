// SPDX-License-Identifier: Apache-2.0
// `rlimit-init inspect`: every limit that applies to this process, as text or JSON.
#pragma once

#include <cstdint>
#include <string>

#include "decide/decision.h"

namespace rlimit_init {

/// `threads_max` is /proc/sys/kernel/threads-max (0 when unreadable): the kernel's nproc and
/// sigpending for PID 1 are half of it, which tells whether anything changed them.
std::string RenderInspectText(const Observed& observed, std::uint64_t threads_max);
std::string RenderInspectJson(const Observed& observed, std::uint64_t threads_max);

}  // namespace rlimit_init

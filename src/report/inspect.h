// SPDX-License-Identifier: Apache-2.0
// `rlimit-init inspect`: every limit that applies to this process, as text or JSON.
#pragma once

#include <cstdint>
#include <string>

#include "decide/decision.h"
#include "observe/limit_origin.h"

namespace rlimit_init {

/// One short phrase for where `resource`'s limit came from ("the kernel's default for PID 1:
/// no layer changed it", "inherited: set by Docker or a layer above it"); `layer` is the one
/// that was detected.
std::string LimitOriginText(LimitOrigin origin, Resource resource, Layer layer);

/// `threads_max` is /proc/sys/kernel/threads-max (0 when unreadable): the kernel's nproc and
/// sigpending for PID 1 are half of it, which tells whether anything changed them.
std::string RenderInspectText(const Observed& observed, std::uint64_t threads_max);
std::string RenderInspectJson(const Observed& observed, std::uint64_t threads_max);

}  // namespace rlimit_init

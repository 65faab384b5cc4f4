// SPDX-License-Identifier: Apache-2.0
// The words and fields every report module shares, written once: the text renderer, the JSON
// renderer and inspect include this module, never each other.
#pragma once

#include <cstdint>
#include <string>

#include "base/json.h"
#include "base/limit.h"
#include "observe/cgroup.h"

namespace rlimit_init {

/// "8 MiB (8388608 bytes, ulimit -s 8192)", "65536", "unlimited".
std::string DescribeLimit(Resource resource, std::uint64_t value);

/// Adds memory_limit_bytes, memory_limit_source and memory_limit_unknown to `object`: the bytes
/// (or "unlimited") and the file, or null and "" with the reason when it is unknown.
void AddMemoryLimit(const CgroupMemory& cgroup, Json* object);

}  // namespace rlimit_init

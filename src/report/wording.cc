// SPDX-License-Identifier: Apache-2.0
#include "report/wording.h"

#include "base/quantity.h"
#include "policy/limit_value.h"

namespace rlimit_init {

std::string DescribeLimit(Resource resource, std::uint64_t value) {
  if (value == kUnlimited || Row(resource).unit != LimitUnit::kBytes) {
    return FormatLimit(resource, value);
  }
  const std::string ulimit =
      std::string("ulimit -") + Row(resource).ulimit_flag + " " + UlimitValueOf(resource, value);
  // Below 1 KiB, HumanBytes already gives the byte count.
  if (value < 1024) return HumanBytes(value) + " (" + ulimit + ")";
  return HumanBytes(value) + " (" + std::to_string(value) + " bytes, " + ulimit + ")";
}

void AddMemoryLimit(const CgroupMemory& cgroup, Json* object) {
  Json& out = *object;
  out["memory_limit_bytes"] = cgroup.known() ? JsonBytes(cgroup.limit) : Json(nullptr);
  out["memory_limit_source"] = cgroup.limit_source;
  out["memory_limit_unknown"] = cgroup.known() ? Json(nullptr) : Json(cgroup.unknown);
}

}  // namespace rlimit_init

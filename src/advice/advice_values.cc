// SPDX-License-Identifier: Apache-2.0
#include "advice/advice_values.h"

#include "base/limit.h"

namespace rlimit_init {

std::string OciValue(std::uint64_t value) { return std::to_string(value); }

std::string SystemdValue(std::uint64_t value) {
  return value == kUnlimited ? "infinity" : std::to_string(value);
}

std::string UlimitValue(const RlimitNames& names, std::uint64_t value) {
  if (value == kUnlimited) return "unlimited";
  return std::to_string(value / names.ulimit_unit + (value % names.ulimit_unit != 0));
}

std::string GoUnitsValue(std::uint64_t value) {
  return value == kUnlimited ? "-1" : std::to_string(value);
}

}  // namespace rlimit_init

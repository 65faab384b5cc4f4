// SPDX-License-Identifier: Apache-2.0
// How each layer's settings write a value, for the advice of every layer (advice.cc and the
// advice_*.cc files beside it).
#pragma once

#include <cstdint>
#include <string>

#include "advice/limit_names.h"
#include "base/text.h"

namespace rlimit_init {

/// The value as an OCI spec, NRI and prlimit write it: decimal, 18446744073709551615 for
/// unlimited.
std::string OciValue(std::uint64_t value);
/// The value as systemd's Limit*= directives take it: decimal or "infinity".
std::string SystemdValue(std::uint64_t value);
/// The value in `ulimit` and limits.conf units (KiB for RLIMIT_AS), rounded up because every
/// piece of advice says "at least"; or "unlimited".
std::string UlimitValue(const RlimitNames& names, std::uint64_t value);
/// The value as docker/go-units parses it: decimal, -1 for unlimited.
std::string GoUnitsValue(std::uint64_t value);

}  // namespace rlimit_init

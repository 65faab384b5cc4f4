// SPDX-License-Identifier: Apache-2.0
// A limit's value in its resource's own unit: read from the policy or the command line, and
// printed in messages. Pure.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/limit.h"
#include "policy/policy.h"
#include "base/result.h"

namespace rlimit_init {

/// Parses a value for `row`: a quantity for byte resources ("8Mi", "64MiB" is refused like
/// everywhere else), a plain number for counts, seconds, microseconds and priorities,
/// "unlimited" (or systemd's "infinity"), and "hard" where `allow_keywords`. A percentage of
/// the memory ceiling only for as and data. nice takes the kernel's 0..40 (20 - the lowest
/// nice value), rtprio 0..99.
Result<AmountSpec> ParseLimitAmount(const ResourceRow& row, std::string_view text,
                                    bool allow_keywords);

/// "65536", "8 MiB", "300 seconds", "unlimited": a value for messages.
std::string FormatLimit(Resource resource, std::uint64_t value);

/// How `ulimit` shows the value (KiB for -s, -l, -c ...), or "unlimited".
std::string UlimitValueOf(Resource resource, std::uint64_t value);

/// The value as a policy or --limit would write it back: "8Mi", "65536", "unlimited".
std::string PolicyValue(Resource resource, std::uint64_t value);

}  // namespace rlimit_init

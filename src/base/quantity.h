// SPDX-License-Identifier: Apache-2.0
// Byte quantities as Kubernetes writes them ("512Mi", "1.5Gi", "4G", "1073741824"), percentages
// of the memory ceiling ("75%"), and how rlimit-init prints byte values.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/result.h"

namespace rlimit_init {

/// Largest accepted quantity: 8 EiB - 1 byte; larger values must be written "unlimited".
inline constexpr std::uint64_t kMaxQuantity = (std::uint64_t{1} << 63) - 1;

/// Parses a byte quantity: digits with an optional decimal fraction and an optional suffix,
/// Ki Mi Gi Ti Pi Ei (powers of 1024) or k M G T P E (powers of 1000). A fraction that does not
/// come out to whole bytes is rounded up, as Kubernetes does. Errors say what is wrong and,
/// for a suffix in the wrong case, what was probably meant.
Result<std::uint64_t> ParseQuantity(std::string_view text);

/// Largest accepted percentage of the memory ceiling. Address space is virtual: thread stacks,
/// malloc arenas and mapped files make a job reserve more than it touches, so 150% is a sane
/// request; ten times the memory is past what those reservations explain, and a bound catches
/// "1500%" typed for "150%". Beyond it write a quantity or "unlimited".
inline constexpr std::uint32_t kMaxPercent = 1000;

/// Parses "<n>%" with 0 < n <= kMaxPercent (decimal fractions allowed, at most two) into
/// hundredths of a percent (basis points), so "12.5%" is 1250.
Result<std::uint32_t> ParsePercent(std::string_view text);

/// Applies basis points to a byte ceiling, rounding down, capped at kMaxQuantity.
std::uint64_t ApplyPercent(std::uint64_t ceiling, std::uint32_t basis_points);

/// "1.5 GiB", "512 MiB", "300 bytes", "unlimited" for kUnlimited.
std::string HumanBytes(std::uint64_t bytes);

/// The value as `ulimit -v` shows it: KiB rounded down, or "unlimited".
std::string UlimitKiB(std::uint64_t bytes);

/// "512 MiB (536870912 bytes, ulimit -v 524288)", or "unlimited"; `ulimit_flag` 'd' for the data
/// limit, whose ulimit also counts KiB.
std::string DescribeBytes(std::uint64_t bytes, char ulimit_flag = 'v');

/// Decimal digits, or "unlimited" for kUnlimited.
std::string BytesOrUnlimited(std::uint64_t bytes);

/// A Kubernetes quantity for `bytes`: "4Gi" where a binary suffix divides it exactly, else the
/// plain byte count; "unlimited" for no limit.
std::string ToQuantity(std::uint64_t bytes);

}  // namespace rlimit_init

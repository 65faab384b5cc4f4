// SPDX-License-Identifier: Apache-2.0
// Whether this process may raise its hard RLIMIT_AS, read from /proc like `capsh` does.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace rlimit_init {

class System;

/// CAP_SYS_RESOURCE's bit in the capability sets.
inline constexpr int kCapSysResource = 24;

/// The CapEff mask from /proc/self/status text; nullopt when absent or malformed.
std::optional<std::uint64_t> ParseCapEff(std::string_view status);

/// Whether /proc/self/uid_map describes the initial user namespace ("0 0 4294967295"). Inside
/// any other user namespace, capabilities do not reach the host's hard limits.
bool IsInitialUserNamespace(std::string_view uid_map);

/// CAP_SYS_RESOURCE effective and the initial user namespace. False when unreadable.
bool MayRaiseHardLimit(System& system);

}  // namespace rlimit_init

// SPDX-License-Identifier: Apache-2.0
// One function per layer and limit, which advice.cc picks by the detected layer. Each returns
// the fix first and the alternatives after it. Kept apart so that each layer's advice can be
// changed in its own file (advice.cc holds the container runtimes, systemd and the shell,
// advice_podman.cc and advice_slurm.cc theirs, advice_data.cc the RLIMIT_DATA line that
// follows an address-space fix).
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>

#include "advice/advice.h"

namespace rlimit_init {

/// The parts joined: one call instead of a chain of operator+, which the static binary's size
/// budget cannot afford in every line of advice.
std::string Cat(std::initializer_list<std::string_view> parts);

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

Advice PodmanHardLimit(const RlimitNames& names, const AdviceInput& input, std::uint64_t needed);
Advice PodmanMemoryLimit(const AdviceInput& input, std::uint64_t needed,
                         const CgroupMemory& cgroup);
Advice SlurmHardLimit(const RlimitNames& names, const AdviceInput& input, std::uint64_t needed);
Advice SlurmMemoryLimit(const AdviceInput& input, std::uint64_t needed,
                        const CgroupMemory& cgroup);

/// For an RLIMIT_AS refusal: the layer's RLIMIT_DATA setting at `needed`, said as the cap to
/// bound memory with instead (advice_data.cc); "" for an unlimited request.
std::string DataCapLine(const AdviceInput& input, std::uint64_t needed);

}  // namespace rlimit_init

// SPDX-License-Identifier: Apache-2.0
// A limit named on the command line (--limit NAME=VALUE) or in RLIMIT_INIT_LIMITS, and how it
// goes over the policy's limits.NAME. Pure.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/limit.h"
#include "policy/policy.h"
#include "base/result.h"

namespace rlimit_init {

/// One NAME=VALUE. VALUE is the soft limit wanted, as prlimit(1), `ulimit -S` and
/// `docker run --ulimit` read it: the soft limit is raised or lowered to it (never the hard
/// limit). "VALUE:VALUE", their spelling of "both limits", also raises the hard limit to VALUE
/// where the process may (limits.NAME.raiseHard).
struct LimitOverride {
  Resource resource = Resource::kNofile;
  AmountSpec request;
  bool raise_hard = false;
};

/// Parses "nofile=65536", "stack=unlimited", "nofile=65536:65536". Every name of prlimit(1)
/// but "as" (the address space has --as). Errors start with the word they are about.
Result<LimitOverride> ParseLimitOverride(std::string_view text);

/// Parses RLIMIT_INIT_LIMITS: NAME=VALUE words separated by commas or blanks, each name once.
Result<std::vector<LimitOverride>> ParseLimitList(std::string_view text);

/// Puts the limits named on the command line, else in RLIMIT_INIT_LIMITS, over the policy's:
/// for each name, --limit wins over the variable, which wins over limits.NAME. Each replaces
/// limits.NAME.request and asks for the soft limit exactly (lower), keeping the policy's
/// minimum and raiseHard.
void ApplyLimitOverrides(const std::vector<LimitOverride>& from_env,
                         const std::vector<LimitOverride>& from_flags, Policy* policy);

}  // namespace rlimit_init

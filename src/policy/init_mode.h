// SPDX-License-Identifier: Apache-2.0
// The init mode a policy, a flag or RLIMIT_INIT_INIT asks for; run/supervise.cc carries it out.
#pragma once

#include <string_view>

#include "base/result.h"

namespace rlimit_init {

/// Whether rlimit-init supervises the workload or execs it.
enum class InitMode {
  kAuto,   // supervise when rlimit-init is PID 1, else exec (the default)
  kExec,   // always exec: the workload takes rlimit-init's PID
  kChild,  // supervise; signals go to the workload
  kGroup,  // supervise; signals go to the workload's whole process group
};

/// "auto", "exec", "child" or "group"; the error lists them. (Not "on" and "off": YAML 1.1
/// tools such as Helm turn those into booleans.)
Result<InitMode> ParseInitMode(std::string_view text);

const char* InitModeName(InitMode mode);

}  // namespace rlimit_init

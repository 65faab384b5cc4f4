// SPDX-License-Identifier: Apache-2.0
// Which of the command line, the environment and the policy decides each setting. Pure.
#pragma once

#include <optional>
#include <string>

#include "cli/cli.h"
#include "policy/policy.h"

namespace rlimit_init {

/// rlimit-init's environment variables as read; an empty value counts as unset, as it does
/// for a shell's ${VAR:-default}.
struct SettingsEnvironment {
  std::optional<std::string> policy;     // RLIMIT_INIT_POLICY
  std::optional<std::string> as;         // RLIMIT_INIT_AS
  std::optional<std::string> limits;     // RLIMIT_INIT_LIMITS
  std::optional<std::string> init;       // RLIMIT_INIT_INIT
  std::optional<std::string> host_root;  // RLIMIT_INIT_HOST_ROOT
};

/// The policy file, read before anything else: -p, else RLIMIT_INIT_POLICY, else none.
std::optional<std::string> PolicyPath(const Invocation& flags, const SettingsEnvironment& env);

/// The directory /proc and /sys are read below: --host-root, else RLIMIT_INIT_HOST_ROOT.
std::optional<std::string> HostRoot(const Invocation& flags, const SettingsEnvironment& env);

/// What a run goes by once the policy has been read.
struct Settings {
  /// The policy with the address-space request and every limits.NAME put over it, each with
  /// its origin ("--as", "RLIMIT_INIT_AS", "--limit nofile", "RLIMIT_INIT_LIMITS core").
  Policy policy;
  OutputFormat format = OutputFormat::kText;
  InitMode init = InitMode::kAuto;
  /// A bad value of a flag or variable, worded for "bad command line: <error>"; the first of
  /// --as/RLIMIT_INIT_AS, RLIMIT_INIT_LIMITS, RLIMIT_INIT_INIT. `format` holds even then.
  std::string error;
};

/// The flag beats the environment variable, which beats the policy, setting by setting:
/// the address space (--as, RLIMIT_INIT_AS, addressSpace.request), each other limit by name
/// (--limit, RLIMIT_INIT_LIMITS, limits.NAME), the init mode (--init, RLIMIT_INIT_INIT, init:,
/// else auto) and the format (-o, report.format, else text: there is no variable for it).
Settings ApplyPrecedence(const Invocation& flags, const SettingsEnvironment& env, Policy policy);

}  // namespace rlimit_init

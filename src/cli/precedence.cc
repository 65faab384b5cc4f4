// SPDX-License-Identifier: Apache-2.0
#include "cli/precedence.h"

#include <utility>

#include "cli/limit_override.h"

namespace rlimit_init {

std::optional<std::string> PolicyPath(const Invocation& flags, const SettingsEnvironment& env) {
  return flags.policy_path ? flags.policy_path : env.policy;
}

std::optional<std::string> HostRoot(const Invocation& flags, const SettingsEnvironment& env) {
  return flags.host_root ? flags.host_root : env.host_root;
}

Settings ApplyPrecedence(const Invocation& flags, const SettingsEnvironment& env, Policy policy) {
  Settings out;
  out.format = flags.output.value_or(policy.format.value_or(OutputFormat::kText));
  auto fail = [&out](std::string error) {
    if (out.error.empty()) out.error = std::move(error);
  };

  // The address space: --as, then RLIMIT_INIT_AS, then addressSpace.request.
  const std::optional<std::string>& as = flags.as ? flags.as : env.as;
  const char* as_origin = flags.as ? "--as" : "RLIMIT_INIT_AS";
  if (as) {
    if (Result<AmountSpec> amount = ParseAmount(*as, true)) {
      policy.request = std::move(amount).value();
      policy.request_origin = as_origin;
    } else {
      fail(std::string(as_origin) + ": " + amount.error());
    }
  }

  // Every other limit by name: --limit, then RLIMIT_INIT_LIMITS, then limits.NAME.
  std::vector<LimitOverride> env_limits;
  if (env.limits) {
    if (Result<std::vector<LimitOverride>> parsed = ParseLimitList(*env.limits)) {
      env_limits = std::move(parsed).value();
    } else {
      fail("RLIMIT_INIT_LIMITS: " + parsed.error());
    }
  }
  ApplyLimitOverrides(env_limits, flags.limits, &policy);

  // The init mode: --init, then RLIMIT_INIT_INIT, then init:, else auto.
  out.init = flags.init.value_or(policy.init.value_or(InitMode::kAuto));
  if (env.init && !flags.init) {
    if (Result<InitMode> mode = ParseInitMode(*env.init)) {
      out.init = mode.value();
    } else {
      fail("RLIMIT_INIT_INIT: " + mode.error());
    }
  }

  out.policy = std::move(policy);
  return out;
}

}  // namespace rlimit_init

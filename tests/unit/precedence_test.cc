// SPDX-License-Identifier: Apache-2.0
#include "cli/precedence.h"

#include <gtest/gtest.h>

#include <ostream>
#include <string>
#include <vector>

namespace rlimit_init {
namespace {

// One command line, environment and policy, and what wins. A null source says nothing.
struct Case {
  const char* name;
  // --as, --limit (one word), --init, -o
  const char* flag_as = nullptr;
  const char* flag_limit = nullptr;
  const char* flag_init = nullptr;
  const char* flag_output = nullptr;
  // RLIMIT_INIT_AS, RLIMIT_INIT_LIMITS, RLIMIT_INIT_INIT
  const char* env_as = nullptr;
  const char* env_limits = nullptr;
  const char* env_init = nullptr;
  // addressSpace.request, limits.nofile.request (raiseHard when `policy_raise_hard`), init:,
  // report.format
  const char* policy_as = nullptr;
  const char* policy_nofile = nullptr;
  bool policy_raise_hard = false;
  const char* policy_init = nullptr;
  const char* policy_format = nullptr;
  // What wins: the request as written and its origin, limits.nofile's and limits.core's
  // request and origin ("" where there is none), the init mode, the format, the error.
  const char* as = "";
  const char* as_origin = "the default (hard)";
  const char* nofile = "";
  const char* nofile_origin = "";
  bool nofile_raise_hard = false;
  const char* core_origin = "";
  InitMode init = InitMode::kAuto;
  OutputFormat format = OutputFormat::kText;
  const char* error = "";
};

const Case kCases[] = {
    {.name = "NothingGivenLeavesTheDefaults"},
    {.name = "FlagsOnly", .flag_as = "6Gi", .flag_limit = "nofile=4096", .flag_init = "child",
     .flag_output = "json", .as = "6Gi", .as_origin = "--as", .nofile = "4096",
     .nofile_origin = "--limit nofile", .init = InitMode::kChild, .format = OutputFormat::kJson},
    {.name = "EnvironmentOnly", .env_as = "5Gi", .env_limits = "nofile=2048", .env_init = "group",
     .as = "5Gi", .as_origin = "RLIMIT_INIT_AS", .nofile = "2048",
     .nofile_origin = "RLIMIT_INIT_LIMITS nofile", .init = InitMode::kGroup},
    {.name = "PolicyOnly", .policy_as = "4Gi", .policy_nofile = "1024", .policy_init = "exec",
     .policy_format = "json", .as = "4Gi", .as_origin = "addressSpace.request in p.yaml",
     .nofile = "1024", .nofile_origin = "limits.nofile in p.yaml", .init = InitMode::kExec,
     .format = OutputFormat::kJson},
    {.name = "FlagBeatsEnvironment", .flag_as = "6Gi", .flag_limit = "nofile=4096",
     .flag_init = "child", .env_as = "5Gi", .env_limits = "nofile=2048", .env_init = "group",
     .as = "6Gi", .as_origin = "--as", .nofile = "4096", .nofile_origin = "--limit nofile",
     .init = InitMode::kChild},
    {.name = "EnvironmentBeatsPolicy", .env_as = "5Gi", .env_limits = "nofile=2048",
     .env_init = "group", .policy_as = "4Gi", .policy_nofile = "1024", .policy_init = "exec",
     .as = "5Gi", .as_origin = "RLIMIT_INIT_AS", .nofile = "2048",
     .nofile_origin = "RLIMIT_INIT_LIMITS nofile", .init = InitMode::kGroup},
    {.name = "FlagBeatsPolicy", .flag_as = "6Gi", .flag_limit = "nofile=4096",
     .flag_init = "child", .flag_output = "text", .policy_as = "4Gi", .policy_nofile = "1024",
     .policy_init = "exec", .policy_format = "json", .as = "6Gi", .as_origin = "--as",
     .nofile = "4096", .nofile_origin = "--limit nofile", .init = InitMode::kChild},
    {.name = "FlagBeatsBothWhenAllThreeSpeak", .flag_as = "6Gi", .flag_limit = "nofile=4096",
     .flag_init = "child", .flag_output = "json", .env_as = "5Gi", .env_limits = "nofile=2048",
     .env_init = "group", .policy_as = "4Gi", .policy_nofile = "1024", .policy_init = "exec",
     .policy_format = "text", .as = "6Gi", .as_origin = "--as", .nofile = "4096",
     .nofile_origin = "--limit nofile", .init = InitMode::kChild,
     .format = OutputFormat::kJson},
    {.name = "EachSettingWinsOnItsOwn", .flag_as = "6Gi", .env_limits = "nofile=2048",
     .policy_init = "exec", .as = "6Gi", .as_origin = "--as", .nofile = "2048",
     .nofile_origin = "RLIMIT_INIT_LIMITS nofile", .init = InitMode::kExec},
    {.name = "APercentageBeatsAQuantity", .flag_as = "75%", .policy_as = "4Gi", .as = "75%",
     .as_origin = "--as"},
    {.name = "UnlimitedBeatsAQuantity", .env_as = "unlimited", .policy_as = "4Gi",
     .as = "unlimited", .as_origin = "RLIMIT_INIT_AS"},
    {.name = "HardBeatsAPercentage", .flag_as = "hard", .env_as = "50%", .policy_as = "75%",
     .as = "hard", .as_origin = "--as"},
    {.name = "LimitFlagBeatsTheVariableNameByName", .flag_limit = "nofile=4096",
     .env_limits = "nofile=2048 core=0", .as = "", .nofile = "4096",
     .nofile_origin = "--limit nofile", .core_origin = "RLIMIT_INIT_LIMITS core"},
    {.name = "AnOverrideKeepsThePolicysRaiseHard", .flag_limit = "nofile=4096",
     .policy_nofile = "1024", .policy_raise_hard = true, .nofile = "4096",
     .nofile_origin = "--limit nofile", .nofile_raise_hard = true},
    {.name = "SoftColonHardRaisesTheHardLimitToo", .env_limits = "nofile=4096:4096",
     .policy_nofile = "1024", .nofile = "4096", .nofile_origin = "RLIMIT_INIT_LIMITS nofile",
     .nofile_raise_hard = true},
    {.name = "AsInTheLimitListIsRefused", .env_limits = "as=1Gi",
     .error = "RLIMIT_INIT_LIMITS: \"as=1Gi\": the address space is given with --as (or "
              "RLIMIT_INIT_AS)"},
    {.name = "ABadVariableIsRefused", .env_as = "lots", .policy_as = "4Gi", .as = "4Gi",
     .as_origin = "addressSpace.request in p.yaml",
     .error = "RLIMIT_INIT_AS: invalid quantity \"lots\": expected a number such as 512Mi"},
    {.name = "ABadFlagIsRefusedAndTheFormatStillHolds", .flag_as = "1GB", .flag_output = "json",
     .format = OutputFormat::kJson,
     .error = "--as: invalid quantity \"1GB\": unknown suffix \"GB\" (use Ki, Mi, Gi, Ti, Pi, "
              "Ei, or k, M, G, T, P, E)"},
    {.name = "AVariableAFlagOverridesIsNotRead", .flag_as = "6Gi", .flag_init = "exec",
     .env_as = "lots", .env_init = "yes", .as = "6Gi", .as_origin = "--as",
     .init = InitMode::kExec},
    {.name = "TheLimitListIsReadEvenWhereFlagsOverrideIt", .flag_limit = "nofile=4096",
     .env_limits = "nofile=many", .nofile = "4096", .nofile_origin = "--limit nofile",
     .error = "RLIMIT_INIT_LIMITS: \"nofile=many\": \"many\" is not a number; nofile takes a "
              "whole number, \"unlimited\" or \"hard\""},
    {.name = "TheFirstBadSettingIsSaid", .env_as = "lots", .env_init = "on",
     .error = "RLIMIT_INIT_AS: invalid quantity \"lots\": expected a number such as 512Mi"},
    {.name = "ABadInitVariableIsRefused", .env_init = "on", .policy_init = "exec",
     .init = InitMode::kExec,
     .error = "RLIMIT_INIT_INIT: invalid init mode \"on\": expected auto, exec, child or group"},
};

void PrintTo(const Case& c, std::ostream* out) { *out << c.name; }

std::optional<std::string> Optional(const char* text) {
  return text ? std::optional<std::string>(text) : std::nullopt;
}

Settings Apply(const Case& c) {
  Invocation flags;
  flags.as = Optional(c.flag_as);
  if (c.flag_limit) flags.limits.push_back(ParseLimitOverride(c.flag_limit).value());
  if (c.flag_init) flags.init = ParseInitMode(c.flag_init).value();
  if (c.flag_output) {
    flags.output = std::string_view(c.flag_output) == "json" ? OutputFormat::kJson
                                                              : OutputFormat::kText;
  }
  SettingsEnvironment env;
  env.as = Optional(c.env_as);
  env.limits = Optional(c.env_limits);
  env.init = Optional(c.env_init);
  Policy policy;
  if (c.policy_as) {
    policy.request = ParseAmount(c.policy_as, true).value();
    policy.request_origin = "addressSpace.request in p.yaml";
  }
  if (c.policy_nofile) {
    LimitSpec& nofile = policy.limits[static_cast<std::size_t>(Resource::kNofile)].emplace();
    nofile.request = ParseAmount(c.policy_nofile, true).value();
    nofile.raise_hard = c.policy_raise_hard;
    nofile.origin = "limits.nofile in p.yaml";
  }
  if (c.policy_init) policy.init = ParseInitMode(c.policy_init).value();
  if (c.policy_format) {
    policy.format = std::string_view(c.policy_format) == "json" ? OutputFormat::kJson
                                                                : OutputFormat::kText;
  }
  return ApplyPrecedence(flags, env, std::move(policy));
}

class Precedence : public testing::TestWithParam<Case> {};

TEST_P(Precedence, FlagBeatsEnvironmentBeatsPolicy) {
  const Case& c = GetParam();
  const Settings settings = Apply(c);
  EXPECT_EQ(settings.error, c.error);
  EXPECT_EQ(settings.format, c.format);
  if (!settings.error.empty()) return;  // the run ends there; the rest is not used
  EXPECT_EQ(settings.policy.request.text, c.as);
  EXPECT_EQ(settings.policy.request_origin, c.as_origin);
  const std::optional<LimitSpec>& nofile =
      settings.policy.limits[static_cast<std::size_t>(Resource::kNofile)];
  EXPECT_EQ(nofile ? nofile->request.text : "", c.nofile);
  EXPECT_EQ(nofile ? nofile->origin : "", c.nofile_origin);
  EXPECT_EQ(nofile && nofile->raise_hard, c.nofile_raise_hard);
  // An override asks for exactly its value: lower too. The policy's own section does not.
  const std::string_view origin = c.nofile_origin;
  EXPECT_EQ(nofile && nofile->lower,
            origin.starts_with("--limit") || origin.starts_with("RLIMIT_INIT_LIMITS"));
  const std::optional<LimitSpec>& core =
      settings.policy.limits[static_cast<std::size_t>(Resource::kCore)];
  EXPECT_EQ(core ? core->origin : "", c.core_origin);
  EXPECT_EQ(settings.init, c.init);
}

INSTANTIATE_TEST_SUITE_P(Table, Precedence, testing::ValuesIn(kCases),
                         [](const testing::TestParamInfo<Case>& row) {
                           return std::string(row.param.name);
                         });

TEST(PrecedenceOfPaths, FlagBeatsVariable) {
  Invocation flags;
  SettingsEnvironment env;
  EXPECT_EQ(PolicyPath(flags, env), std::nullopt);
  EXPECT_EQ(HostRoot(flags, env), std::nullopt);
  env.policy = "env.yaml";
  env.host_root = "/env-root";
  EXPECT_EQ(PolicyPath(flags, env), "env.yaml");
  EXPECT_EQ(HostRoot(flags, env), "/env-root");
  flags.policy_path = "flag.yaml";
  flags.host_root = "/flag-root";
  EXPECT_EQ(PolicyPath(flags, env), "flag.yaml");
  EXPECT_EQ(HostRoot(flags, env), "/flag-root");
}

}  // namespace
}  // namespace rlimit_init

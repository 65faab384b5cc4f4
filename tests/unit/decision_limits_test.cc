// SPDX-License-Identifier: Apache-2.0
// The rules every limit follows, one table row per resource kind: counts (nofile, nproc),
// bytes (stack, memlock, core), seconds (cpu) and the kernel's nice ceiling.
#include <gtest/gtest.h>

#include <ostream>
#include <string>
#include <vector>

#include "decide/decision.h"
#include "policy/limit_value.h"

namespace rlimit_init {
namespace {

constexpr std::uint64_t kMi = 1024 * 1024;
constexpr std::uint64_t kInf = kUnlimited;

struct LimitCase {
  const char* name;
  Resource resource;
  const char* request;
  const char* minimum = nullptr;
  bool raise_hard = false;
  bool lower = false;
  LimitPair before;
  bool may_raise_hard = false;
  Outcome outcome;
  LimitPair after;
  Warnings warnings = {};
};

void PrintTo(const LimitCase& c, std::ostream* os) { *os << c.name; }

LimitSpec MakeSpec(const LimitCase& c) {
  const ResourceRow& row = Row(c.resource);
  LimitSpec spec;
  spec.request = ParseLimitAmount(row, c.request, true).value();
  if (c.minimum) spec.minimum = ParseLimitAmount(row, c.minimum, false).value();
  spec.raise_hard = c.raise_hard;
  spec.lower = c.lower;
  spec.origin = "RLIMIT_INIT_LIMITS " + std::string(row.name);
  return spec;
}

const std::vector<LimitCase> kCases = {
    // nofile: Docker 29 with containerd 2 starts at 1024 soft.
    {.name = "NofileRaisesSoftWithinHard", .resource = Resource::kNofile, .request = "65536",
     .before = {1024, 524288}, .outcome = Outcome::kRaised, .after = {65536, 524288}},
    {.name = "NofileHardTakesTheHardLimit", .resource = Resource::kNofile, .request = "hard",
     .before = {1024, 524288}, .outcome = Outcome::kRaised, .after = {524288, 524288}},
    {.name = "NofileRefusedAboveHard", .resource = Resource::kNofile, .request = "65536",
     .before = {1024, 4096}, .outcome = Outcome::kRefused, .after = {1024, 4096}},
    {.name = "NofileSettlesForHardAboveMinimum", .resource = Resource::kNofile,
     .request = "65536", .minimum = "4096", .before = {1024, 8192},
     .outcome = Outcome::kPartial, .after = {8192, 8192},
     .warnings = {GrantedHardLimitWarning{Resource::kNofile, 8192, 65536, 4096}}},
    {.name = "NofileNeverLowered", .resource = Resource::kNofile, .request = "4096",
     .before = {20000, 20000}, .outcome = Outcome::kUnchanged, .after = {20000, 20000},
     .warnings = {KeptHigherSoftWarning{Resource::kNofile, 4096, 20000}}},
    // Issue 22.3: an override below the policy's own minimum wins, and says so.
    {.name = "NofileOverrideBelowMinimumLowersAndWarns", .resource = Resource::kNofile,
     .request = "2048", .minimum = "3000", .lower = true, .before = {20000, 20000},
     .outcome = Outcome::kLowered, .after = {2048, 20000},
     .warnings = {BelowMinimumWarning{Resource::kNofile, 2048, 3000, 2048}}},
    {.name = "NofileOverrideBelowMinimumRaisesAndWarns", .resource = Resource::kNofile,
     .request = "2048", .minimum = "3000", .lower = true, .before = {1024, 4096},
     .outcome = Outcome::kRaised, .after = {2048, 4096},
     .warnings = {BelowMinimumWarning{Resource::kNofile, 2048, 3000, 2048}}},
    {.name = "NofileKeptSoftBelowMinimumWarns", .resource = Resource::kNofile,
     .request = "2048", .minimum = "3000", .before = {2500, 4096},
     .outcome = Outcome::kUnchanged, .after = {2500, 4096},
     .warnings = {KeptHigherSoftWarning{Resource::kNofile, 2048, 2500},
                  BelowMinimumWarning{Resource::kNofile, 2048, 3000, 2500}}},
    {.name = "NofileKeptSoftAboveMinimumSaysNothingOfIt", .resource = Resource::kNofile,
     .request = "2048", .minimum = "3000", .before = {5000, 8000},
     .outcome = Outcome::kUnchanged, .after = {5000, 8000},
     .warnings = {KeptHigherSoftWarning{Resource::kNofile, 2048, 5000}}},
    {.name = "NofileNeedMetByHigherSoftIsSilent", .resource = Resource::kNofile,
     .request = "64", .minimum = "64", .before = {20000, 20000},
     .outcome = Outcome::kUnchanged, .after = {20000, 20000}},
    {.name = "NprocRaisesHardWithCapability", .resource = Resource::kNproc, .request = "8192",
     .raise_hard = true, .before = {1024, 4096}, .may_raise_hard = true,
     .outcome = Outcome::kRaised, .after = {8192, 8192}},
    {.name = "NprocRaiseHardWithoutCapabilityRefuses", .resource = Resource::kNproc,
     .request = "8192", .raise_hard = true, .before = {1024, 4096},
     .outcome = Outcome::kRefused, .after = {1024, 4096}},
    // memlock: RDMA and NCCL want it unlimited.
    {.name = "MemlockUnlimitedWithinUnlimitedHard", .resource = Resource::kMemlock,
     .request = "unlimited", .before = {8 * kMi, kInf}, .outcome = Outcome::kRaised,
     .after = {kInf, kInf}},
    {.name = "MemlockUnlimitedRefusedUnderFiniteHard", .resource = Resource::kMemlock,
     .request = "unlimited", .before = {8 * kMi, 8 * kMi}, .outcome = Outcome::kRefused,
     .after = {8 * kMi, 8 * kMi}},
    {.name = "MemlockPartialWarnsWhenRaiseHardCannot", .resource = Resource::kMemlock,
     .request = "1Gi", .minimum = "8Mi", .raise_hard = true, .before = {64 * 1024, 8 * kMi},
     .outcome = Outcome::kPartial, .after = {8 * kMi, 8 * kMi},
     .warnings = {GrantedHardLimitWarning{Resource::kMemlock, 8 * kMi, 1024 * kMi, 8 * kMi},
                  NoCapabilityWarning{Resource::kMemlock, 8 * kMi}}},
    {.name = "StackQuantity", .resource = Resource::kStack, .request = "64Mi",
     .before = {8 * kMi, kInf}, .outcome = Outcome::kRaised, .after = {64 * kMi, kInf}},
    // core: 0 keeps dumps off ephemeral storage, only when asked to lower.
    {.name = "CoreLoweredWhenAsked", .resource = Resource::kCore, .request = "0", .lower = true,
     .before = {kInf, kInf}, .outcome = Outcome::kLowered, .after = {0, kInf}},
    {.name = "CoreLowerIsANoOpAtZero", .resource = Resource::kCore, .request = "0",
     .lower = true, .before = {0, kInf}, .outcome = Outcome::kUnchanged, .after = {0, kInf}},
    {.name = "CoreLowerStillRaises", .resource = Resource::kCore, .request = "1Gi",
     .lower = true, .before = {0, kInf}, .outcome = Outcome::kRaised, .after = {1024 * kMi, kInf}},
    {.name = "CpuSeconds", .resource = Resource::kCpu, .request = "3600", .lower = true,
     .before = {kInf, kInf}, .outcome = Outcome::kLowered, .after = {3600, kInf}},
    {.name = "NiceCeiling", .resource = Resource::kNice, .request = "40", .before = {0, 0},
     .outcome = Outcome::kRefused, .after = {0, 0}},
};

class LimitTable : public ::testing::TestWithParam<LimitCase> {};

TEST_P(LimitTable, Decides) {
  const LimitCase& c = GetParam();
  LimitDecision d = DecideLimit(c.resource, MakeSpec(c), c.before, c.may_raise_hard);
  EXPECT_EQ(d.resource, c.resource);
  EXPECT_EQ(d.outcome, c.outcome);
  EXPECT_EQ(d.blocker, c.outcome == Outcome::kRefused ? Blocker::kHardLimit : Blocker::kNone);
  EXPECT_EQ(d.before, c.before);
  EXPECT_EQ(d.after.soft, c.after.soft);
  EXPECT_EQ(d.after.hard, c.after.hard);
  EXPECT_EQ(d.warnings, c.warnings);
  // Never lowered unless asked, and the hard limit never.
  EXPECT_GE(d.after.hard, d.before.hard);
  if (!c.lower) {
    EXPECT_GE(d.after.soft, d.before.soft);
  }
}

INSTANTIATE_TEST_SUITE_P(Cases, LimitTable, ::testing::ValuesIn(kCases),
                         [](const ::testing::TestParamInfo<LimitCase>& param_info) {
                           return std::string(param_info.param.name);
                         });

TEST(DecideLimits, DecidesOnlyTheLimitsThePolicyNamesInTableOrder) {
  Policy policy;
  LimitSpec stack;
  stack.request = ParseLimitAmount(Row(Resource::kStack), "16Mi", true).value();
  LimitSpec nofile;
  nofile.request = ParseLimitAmount(Row(Resource::kNofile), "hard", true).value();
  policy.limits[static_cast<std::size_t>(Resource::kStack)] = stack;
  policy.limits[static_cast<std::size_t>(Resource::kNofile)] = nofile;
  Observed o;
  o.limit(Resource::kNofile) = {1024, 4096};
  o.limit(Resource::kStack) = {8 * kMi, kInf};
  Decision d = Decide(policy, o);
  ASSERT_EQ(d.limits.size(), 2u);
  EXPECT_EQ(d.limits[0].resource, Resource::kNofile);
  EXPECT_EQ(d.limits[0].after, (LimitPair{4096, 4096}));
  EXPECT_EQ(d.limits[1].resource, Resource::kStack);
  EXPECT_EQ(d.limits[1].after, (LimitPair{16 * kMi, kInf}));
  EXPECT_FALSE(AnyRefused(d));
}

TEST(DecideLimits, AnyRefusedLimitRefusesTheRun) {
  Policy policy;
  LimitSpec nofile;
  nofile.request = ParseLimitAmount(Row(Resource::kNofile), "65536", true).value();
  policy.limits[static_cast<std::size_t>(Resource::kNofile)] = nofile;
  Observed o;
  o.limit(Resource::kNofile) = {1024, 4096};
  Decision d = Decide(policy, o);
  EXPECT_NE(d.outcome, Outcome::kRefused);
  EXPECT_TRUE(AnyRefused(d));
}

TEST(DecideLimits, DataPercentNeedsACeiling) {
  Policy policy;
  LimitSpec data;
  data.request = ParseLimitAmount(Row(Resource::kData), "50%", true).value();
  policy.limits[static_cast<std::size_t>(Resource::kData)] = data;
  Observed o;
  o.limit(Resource::kData) = {kMi, kInf};
  o.host.mem_total = 1024 * kMi;
  Decision with_ceiling = Decide(policy, o);
  ASSERT_EQ(with_ceiling.limits.size(), 1u);
  EXPECT_EQ(with_ceiling.limits[0].after.soft, 512 * kMi);
  o.host.mem_total.reset();
  Decision without = Decide(policy, o);
  EXPECT_EQ(without.limits[0].outcome, Outcome::kRefused);
  EXPECT_EQ(without.limits[0].blocker, Blocker::kNoCeiling);
}

TEST(LimitAmount, ReadsEachUnit) {
  EXPECT_EQ(ParseLimitAmount(Row(Resource::kNofile), "65536", true).value().bytes, 65536u);
  EXPECT_EQ(ParseLimitAmount(Row(Resource::kStack), "8Mi", true).value().bytes, 8 * kMi);
  EXPECT_EQ(ParseLimitAmount(Row(Resource::kMemlock), "infinity", true).value().kind,
            AmountSpec::Kind::kNoLimit);
  EXPECT_EQ(ParseLimitAmount(Row(Resource::kNofile), "8Mi", true).error(),
            "\"8Mi\" is not a number; nofile takes a whole number, \"unlimited\" or \"hard\"");
  // As for every quantity: YAML 1.1 reads 010 as octal 8, so no reading of it is safe.
  EXPECT_EQ(ParseLimitAmount(Row(Resource::kNofile), "010", true).error(),
            "\"010\": leading zeros are not allowed (YAML 1.1 reads them as octal)");
  EXPECT_EQ(ParseLimitAmount(Row(Resource::kCore), "0", true).value().bytes, 0u);
  EXPECT_EQ(ParseLimitAmount(Row(Resource::kNice), "0", true).value().bytes, 0u);
  EXPECT_EQ(ParseLimitAmount(Row(Resource::kNice), "41", true).error(),
            "nice takes the kernel's value 0..40 (20 - the lowest nice value allowed), got 41");
  EXPECT_EQ(ParseLimitAmount(Row(Resource::kRtprio), "100", true).error(),
            "rtprio takes a real-time priority 0..99, got 100");
  EXPECT_EQ(ParseLimitAmount(Row(Resource::kNofile), "50%", true).error(),
            "a percentage of the memory ceiling is only meaningful for as and data");
  EXPECT_EQ(ParseLimitAmount(Row(Resource::kNofile), "hard", false).error(),
            "\"hard\" is not allowed here; give a value");
}

}  // namespace
}  // namespace rlimit_init

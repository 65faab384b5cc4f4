// SPDX-License-Identifier: Apache-2.0
#include "decide/decision.h"

#include <gtest/gtest.h>

#include <ostream>
#include <string>
#include <vector>

namespace rlimit_init {
namespace {

constexpr std::uint64_t kMi = 1024 * 1024;
constexpr std::uint64_t kGi = 1024 * kMi;
constexpr std::uint64_t kInf = kUnlimited;

AmountSpec Amount(const char* text) { return ParseAmount(text, true).value(); }

struct Case {
  const char* name;
  // Policy
  const char* request = "512Mi";
  const char* minimum = nullptr;
  AboveCgroup above = AboveCgroup::kWarn;
  bool raise_hard = false;
  std::optional<std::uint64_t> require;
  // Observed
  std::uint64_t soft = 256 * kMi;
  std::uint64_t hard = kInf;
  bool may_raise_hard = false;
  std::uint64_t cgroup = kInf;
  bool unknown = false;  // the cgroup limit could not be read (CgroupMemory::unknown)
  std::optional<std::uint64_t> mem_total = 16 * kGi;
  // Expected
  Outcome outcome = Outcome::kRaised;
  Blocker blocker = Blocker::kNone;
  std::uint64_t soft_after = 0;
  std::uint64_t hard_after = 0;
  Warnings warnings = {};
};

Policy MakePolicy(const Case& c) {
  Policy p;
  p.request = Amount(c.request);
  if (c.minimum) p.minimum = ParseAmount(c.minimum, false).value();
  p.above_cgroup = c.above;
  p.raise_hard = c.raise_hard;
  p.memory_require = c.require;
  return p;
}

Observed MakeObserved(const Case& c) {
  Observed o;
  o.limit(Resource::kAs) = {c.soft, c.hard};
  o.may_raise_hard = c.may_raise_hard;
  if (c.cgroup != kInf) {
    o.cgroup.version = CgroupVersion::kV1;
    o.cgroup.limit = c.cgroup;
    o.cgroup.limit_source = "/sys/fs/cgroup/memory/job/memory.limit_in_bytes";
  }
  if (c.unknown) {
    o.cgroup.version = CgroupVersion::kV1;
    o.cgroup.unknown = OutsideMountNote{"/a/b", "/a/c", "/m"};
  }
  o.host.mem_total = c.mem_total;
  return o;
}

// The warnings as data; report/warning_text.cc words them (warning_text_test.cc).
GrantedHardLimitWarning Granted(std::uint64_t hard, std::uint64_t request,
                                std::uint64_t minimum) {
  return {Resource::kAs, hard, request, minimum};
}
AboveCgroupWarning Granting(std::uint64_t bytes, std::optional<std::uint64_t> cgroup) {
  return {false, bytes, cgroup};
}
AboveCgroupWarning Keeping(std::uint64_t bytes, std::optional<std::uint64_t> cgroup) {
  return {true, bytes, cgroup};
}

const std::vector<Case> kCases = {
    {.name = "RaisesSoftWithinHard", .soft_after = 512 * kMi, .hard_after = kInf},
    {.name = "LeavesSoftEqualToRequest", .soft = 512 * kMi, .outcome = Outcome::kUnchanged,
     .soft_after = 512 * kMi, .hard_after = kInf},
    {.name = "NeverLowersAHigherSoftLimit", .soft = kGi, .hard = 2 * kGi,
     .outcome = Outcome::kUnchanged, .soft_after = kGi, .hard_after = 2 * kGi},
    {.name = "LeavesUnlimitedSoftAlone", .soft = kInf, .outcome = Outcome::kUnchanged,
     .soft_after = kInf, .hard_after = kInf},
    {.name = "RefusesAboveHardWithoutMinimum", .hard = 384 * kMi, .outcome = Outcome::kRefused,
     .blocker = Blocker::kHardLimit, .soft_after = 256 * kMi, .hard_after = 384 * kMi},
    {.name = "RaisesHardWhenAllowedAndPermitted", .raise_hard = true, .hard = 384 * kMi,
     .may_raise_hard = true, .soft_after = 512 * kMi, .hard_after = 512 * kMi},
    {.name = "RefusesWhenRaiseHardLacksCapability", .raise_hard = true, .hard = 384 * kMi,
     .outcome = Outcome::kRefused, .blocker = Blocker::kHardLimit, .soft_after = 256 * kMi,
     .hard_after = 384 * kMi},
    {.name = "GrantsHardLimitWhenMinimumIsMet", .minimum = "300Mi", .hard = 384 * kMi,
     .outcome = Outcome::kPartial, .soft_after = 384 * kMi, .hard_after = 384 * kMi,
     .warnings = {Granted(384 * kMi, 512 * kMi, 300 * kMi)}},
    {.name = "PartialAlsoSaysRaiseHardWasNotPermitted", .minimum = "300Mi", .raise_hard = true,
     .hard = 384 * kMi, .outcome = Outcome::kPartial, .soft_after = 384 * kMi,
     .hard_after = 384 * kMi,
     .warnings = {Granted(384 * kMi, 512 * kMi, 300 * kMi),
                  NoCapabilityWarning{Resource::kAs, 384 * kMi}}},
    {.name = "RefusesWhenHardIsBelowMinimum", .minimum = "400Mi", .hard = 384 * kMi,
     .outcome = Outcome::kRefused, .blocker = Blocker::kHardLimit, .soft_after = 256 * kMi,
     .hard_after = 384 * kMi},
    {.name = "RefusesWhenCgroupIsBelowRequiredMemory", .require = 2 * kGi, .cgroup = kGi,
     .outcome = Outcome::kRefused, .blocker = Blocker::kMemoryRequire, .soft_after = 256 * kMi,
     .hard_after = kInf},
    {.name = "RefusesWhenMemTotalIsBelowRequiredMemory", .require = 32 * kGi,
     .outcome = Outcome::kRefused, .blocker = Blocker::kMemoryRequire, .soft_after = 256 * kMi,
     .hard_after = kInf},
    {.name = "RequiredMemoryThatFitsLetsTheRequestThrough", .require = kGi, .cgroup = kGi,
     .soft_after = 512 * kMi, .hard_after = kInf},
    {.name = "WarnsWhenGrantExceedsCgroup", .request = "2Gi", .cgroup = kGi,
     .soft_after = 2 * kGi, .hard_after = kInf,
     .warnings = {Granting(2 * kGi, kGi)}},
    {.name = "RefusesGrantAboveCgroupWhenPolicySaysRefuse", .request = "2Gi",
     .above = AboveCgroup::kRefuse, .cgroup = kGi, .outcome = Outcome::kRefused,
     .blocker = Blocker::kAboveCgroup, .soft_after = 256 * kMi, .hard_after = kInf},
    {.name = "AllowsGrantAboveCgroupSilently", .request = "2Gi", .above = AboveCgroup::kAllow,
     .cgroup = kGi, .soft_after = 2 * kGi, .hard_after = kInf},
    {.name = "WarnsThatInheritedSoftAboveCgroupIsNotLowered", .soft = kInf, .cgroup = kGi,
     .outcome = Outcome::kUnchanged, .soft_after = kInf, .hard_after = kInf,
     .warnings = {Keeping(kInf, kGi)}},
    {.name = "InheritedSoftAboveCgroupIsSilentWhenAllowed", .above = AboveCgroup::kAllow,
     .soft = kInf, .cgroup = kGi, .outcome = Outcome::kUnchanged, .soft_after = kInf,
     .hard_after = kInf},
    {.name = "PercentIsOfTheCgroupLimit", .request = "50%", .cgroup = kGi,
     .soft_after = 512 * kMi, .hard_after = kInf},
    {.name = "PercentIsOfMemTotalWithoutCgroup", .request = "25%", .soft_after = 4 * kGi,
     .hard_after = kInf},
    {.name = "CeilingIsMemTotalWhenCgroupIsLarger", .request = "100%", .cgroup = 64 * kGi,
     .soft_after = 16 * kGi, .hard_after = kInf},
    {.name = "PercentAboveHundredWarnsAboveTheCgroupLimit", .request = "150%", .cgroup = kGi,
     .soft_after = 1536 * kMi, .hard_after = kInf,
     .warnings = {Granting(1536 * kMi, kGi)}},
    {.name = "PercentAboveHundredIsRefusedWhenAboveCgroupSaysRefuse", .request = "150%",
     .above = AboveCgroup::kRefuse, .cgroup = kGi, .outcome = Outcome::kRefused,
     .blocker = Blocker::kAboveCgroup, .soft_after = 256 * kMi, .hard_after = kInf},
    {.name = "PercentAboveHundredIsSilentWhenAboveCgroupAllows", .request = "150%",
     .above = AboveCgroup::kAllow, .cgroup = kGi, .soft_after = 1536 * kMi, .hard_after = kInf},
    {.name = "PercentAboveHundredOfMemTotalBelowTheCgroupLimitIsNotAboveIt", .request = "150%",
     .cgroup = 32 * kGi, .soft_after = 24 * kGi, .hard_after = kInf},
    {.name = "PercentAboveHundredMeetsTheHardLimitLikeAnyRequest", .request = "200%",
     .hard = kGi, .cgroup = kGi, .outcome = Outcome::kRefused, .blocker = Blocker::kHardLimit,
     .soft_after = 256 * kMi, .hard_after = kGi},
    {.name = "RefusesPercentWithoutAnyCeiling", .request = "50%", .mem_total = std::nullopt,
     .outcome = Outcome::kRefused, .blocker = Blocker::kNoCeiling, .soft_after = 256 * kMi,
     .hard_after = kInf},
    {.name = "MinimumAsPercentIsResolved", .request = "2Gi", .minimum = "25%", .hard = kGi,
     .cgroup = 2 * kGi, .outcome = Outcome::kPartial, .soft_after = kGi, .hard_after = kGi,
     .warnings = {Granted(kGi, 2 * kGi, 512 * kMi)}},
    {.name = "HardKeywordRaisesSoftToHard", .request = "hard", .hard = kGi, .soft_after = kGi,
     .hard_after = kGi},
    {.name = "HardKeywordWithUnlimitedHardGoesUnlimited", .request = "hard", .cgroup = 4 * kGi,
     .soft_after = kInf, .hard_after = kInf,
     .warnings = {Granting(kInf, 4 * kGi)}},
    // The cgroup limit is unknown: nothing that needs it passes on a guess.
    {.name = "UnknownLimitWarnsThatTheGrantMayBeAboveIt", .unknown = true,
     .soft_after = 512 * kMi, .hard_after = kInf, .warnings = {Granting(512 * kMi, std::nullopt)}},
    {.name = "UnknownLimitIsSilentWhenAllowed", .above = AboveCgroup::kAllow, .unknown = true,
     .soft_after = 512 * kMi, .hard_after = kInf},
    {.name = "UnknownLimitRefusesAGrantWhenPolicySaysRefuse", .above = AboveCgroup::kRefuse,
     .unknown = true, .outcome = Outcome::kRefused, .blocker = Blocker::kAboveCgroupUnknown,
     .soft_after = 256 * kMi, .hard_after = kInf},
    {.name = "UnknownLimitRefusesAPartialGrantWhenPolicySaysRefuse", .minimum = "300Mi",
     .above = AboveCgroup::kRefuse, .hard = 384 * kMi, .unknown = true,
     .outcome = Outcome::kRefused, .blocker = Blocker::kAboveCgroupUnknown,
     .soft_after = 256 * kMi, .hard_after = 384 * kMi,
     .warnings = {Granted(384 * kMi, 512 * kMi, 300 * kMi)}},
    {.name = "UnknownLimitWithRefuseLeavesAnUnchangedLimitWithAWarning", .request = "128Mi",
     .above = AboveCgroup::kRefuse, .unknown = true, .outcome = Outcome::kUnchanged,
     .soft_after = 256 * kMi, .hard_after = kInf,
     .warnings = {Keeping(256 * kMi, std::nullopt)}},
    {.name = "UnknownLimitHardLimitRefusalComesFirst", .above = AboveCgroup::kRefuse,
     .hard = 384 * kMi, .unknown = true, .outcome = Outcome::kRefused,
     .blocker = Blocker::kHardLimit, .soft_after = 256 * kMi, .hard_after = 384 * kMi},
    {.name = "UnknownLimitRefusesMemoryRequire", .require = kGi, .unknown = true,
     .outcome = Outcome::kRefused, .blocker = Blocker::kMemoryRequireUnknown,
     .soft_after = 256 * kMi, .hard_after = kInf},
    {.name = "UnknownLimitRefusesAPercentRequest", .request = "80%", .unknown = true,
     .outcome = Outcome::kRefused, .blocker = Blocker::kShareUnknown, .soft_after = 256 * kMi,
     .hard_after = kInf},
    {.name = "UnknownLimitRefusesAPercentMinimum", .request = "512Mi", .minimum = "50%",
     .unknown = true, .outcome = Outcome::kRefused, .blocker = Blocker::kShareUnknown,
     .soft_after = 256 * kMi, .hard_after = kInf},
    {.name = "UnlimitedAboveFiniteHardIsRefused", .request = "unlimited", .hard = kGi,
     .outcome = Outcome::kRefused, .blocker = Blocker::kHardLimit, .soft_after = 256 * kMi,
     .hard_after = kGi},
};

// Names the row in test output instead of dumping its bytes.
void PrintTo(const Case& c, std::ostream* os) { *os << c.name; }

class DecisionTable : public testing::TestWithParam<Case> {};

TEST_P(DecisionTable, DecidesAsTheTableSays) {
  const Case& c = GetParam();
  Decision d = Decide(MakePolicy(c), MakeObserved(c));
  EXPECT_EQ(d.outcome, c.outcome);
  EXPECT_EQ(static_cast<int>(d.blocker), static_cast<int>(c.blocker));
  EXPECT_EQ(d.after.soft, c.soft_after);
  EXPECT_EQ(d.after.hard, c.hard_after);
  EXPECT_EQ(d.warnings, c.warnings);
  EXPECT_EQ(d.before.soft, c.soft);
  EXPECT_EQ(d.before.hard, c.hard);
  // Never lower: whatever the outcome, nothing ends up below where it started.
  EXPECT_GE(d.after.soft, d.before.soft);
  EXPECT_GE(d.after.hard, d.before.hard);
}

INSTANTIATE_TEST_SUITE_P(Cases, DecisionTable, testing::ValuesIn(kCases),
                         [](const testing::TestParamInfo<Case>& row) { return row.param.name; });

TEST(Decision, ResolvesRequestAndMinimumToBytes) {
  Policy p;
  p.request = Amount("75%");
  p.minimum = ParseAmount("1Gi", false).value();
  Observed o;
  o.limit(Resource::kAs) = {256 * kMi, kInf};
  o.cgroup.limit = 4 * kGi;
  o.cgroup.limit_source = "/sys/fs/cgroup/job/memory.max";
  o.host.mem_total = 16 * kGi;
  Decision d = Decide(p, o);
  EXPECT_EQ(d.request_bytes, 3 * kGi);
  EXPECT_EQ(d.minimum_bytes, kGi);
  EXPECT_EQ(d.ceiling, 4 * kGi);
  EXPECT_EQ(d.ceiling_source, "/sys/fs/cgroup/job/memory.max");
}

TEST(Decision, UnknownLimitHasNoCeilingAndRefusesPercentagesOfOtherLimits) {
  Policy p;
  p.request = Amount("512Mi");
  LimitSpec data;
  data.request = Amount("50%");
  p.limits[static_cast<std::size_t>(Resource::kData)] = data;
  Observed o;
  o.limit(Resource::kAs) = {256 * kMi, kInf};
  o.limit(Resource::kData) = {kInf, kInf};
  o.cgroup.unknown = NoCgroupFilesystemNote{};
  o.host.mem_total = 16 * kGi;
  Decision d = Decide(p, o);
  EXPECT_EQ(d.ceiling, std::nullopt);
  EXPECT_EQ(d.ceiling_source, "");
  ASSERT_EQ(d.limits.size(), 1u);
  EXPECT_EQ(d.limits[0].outcome, Outcome::kRefused);
  EXPECT_EQ(static_cast<int>(d.limits[0].blocker), static_cast<int>(Blocker::kShareUnknown));
  // Known and unlimited everywhere: the ceiling is MemTotal, and a percentage resolves.
  o.cgroup.unknown.reset();
  d = Decide(p, o);
  EXPECT_EQ(d.ceiling, 16 * kGi);
  EXPECT_EQ(d.limits[0].after.soft, kInf);  // 8 GiB requested, an unlimited soft limit kept
}

TEST(Decision, StrictOvercommitIsReportedWithHeadroom) {
  Policy p;
  p.request = Amount("512Mi");
  Observed o;
  o.limit(Resource::kAs) = {256 * kMi, kInf};
  o.host.mem_total = 16 * kGi;
  o.host.overcommit_mode = 2;
  o.host.commit_limit = 10 * kGi;
  o.host.committed_as = 9 * kGi;
  Decision d = Decide(p, o);
  EXPECT_EQ(d.warnings, Warnings{(StrictOvercommitWarning{9 * kGi, 10 * kGi})});
  // Without both figures, neither is quoted.
  o.host.committed_as.reset();
  EXPECT_EQ(Decide(p, o).warnings, Warnings{StrictOvercommitWarning{}});
}

TEST(Decision, CgroupNotesAndDataLimitBecomeWarnings) {
  Policy p;
  p.request = Amount("512Mi");
  Observed o;
  o.limit(Resource::kAs) = {256 * kMi, kInf};
  o.limit(Resource::kData) = {128 * kMi, kInf};
  o.cgroup.notes = {HiddenAncestorsNote{"/"}};
  o.host.mem_total = 16 * kGi;
  Decision d = Decide(p, o);
  EXPECT_EQ(d.warnings, (Warnings{CgroupNoteWarning{0}, DataLimitWarning{128 * kMi}}));
}

}  // namespace
}  // namespace rlimit_init

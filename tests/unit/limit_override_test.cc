// SPDX-License-Identifier: Apache-2.0
// --limit NAME=VALUE and RLIMIT_INIT_LIMITS over the policy's limits section.
#include "cli/limit_override.h"

#include <gtest/gtest.h>

#include <string>

namespace rlimit_init {
namespace {

std::string ErrorOf(std::string_view text) {
  Result<LimitOverride> r = ParseLimitOverride(text);
  EXPECT_FALSE(r.ok()) << text;
  return r.ok() ? "" : r.error();
}

const LimitSpec& Spec(const Policy& p, Resource r) {
  static const LimitSpec kNone;
  const auto& spec = p.limits[static_cast<std::size_t>(r)];
  EXPECT_TRUE(spec.has_value()) << Row(r).name;
  return spec ? *spec : kNone;
}

TEST(LimitOverride, ReadsPrlimitNamesAndEachResourcesUnit) {
  LimitOverride nofile = ParseLimitOverride("nofile=65536").value();
  EXPECT_EQ(nofile.resource, Resource::kNofile);
  EXPECT_EQ(nofile.request.kind, AmountSpec::Kind::kBytes);
  EXPECT_EQ(nofile.request.bytes, 65536u);
  EXPECT_FALSE(nofile.raise_hard);
  LimitOverride stack = ParseLimitOverride("stack=64Mi").value();
  EXPECT_EQ(stack.resource, Resource::kStack);
  EXPECT_EQ(stack.request.bytes, 64u << 20);
  EXPECT_EQ(ParseLimitOverride("stack=unlimited").value().request.kind,
            AmountSpec::Kind::kNoLimit);
  EXPECT_EQ(ParseLimitOverride("memlock=infinity").value().request.kind,
            AmountSpec::Kind::kNoLimit);
  EXPECT_EQ(ParseLimitOverride("nproc=hard").value().request.kind, AmountSpec::Kind::kHard);
  EXPECT_EQ(ParseLimitOverride("core=0").value().request.bytes, 0u);
  EXPECT_EQ(ParseLimitOverride("data=50%").value().request.kind, AmountSpec::Kind::kPercent);
}

TEST(LimitOverride, TheSameValueTwiceRaisesTheHardLimitToo) {
  LimitOverride both = ParseLimitOverride("nofile=65536:65536").value();
  EXPECT_EQ(both.request.bytes, 65536u);
  EXPECT_TRUE(both.raise_hard);
  EXPECT_TRUE(ParseLimitOverride("memlock=64Mi:67108864").value().raise_hard);
  EXPECT_TRUE(ParseLimitOverride("stack=unlimited:infinity").value().raise_hard);
}

TEST(LimitOverride, ErrorsNameTheWordAndSayWhy) {
  EXPECT_EQ(ErrorOf("nofile"), "\"nofile\": expected NAME=VALUE, such as nofile=65536");
  EXPECT_EQ(ErrorOf("nofil=1"),
            "\"nofil=1\": unknown limit \"nofil\"; the names are prlimit's: core, cpu, data, "
            "fsize, locks, memlock, msgqueue, nice, nofile, nproc, rss, rtprio, rttime, "
            "sigpending, stack");
  EXPECT_EQ(ErrorOf("as=1Gi"),
            "\"as=1Gi\": the address space is given with --as (or RLIMIT_INIT_AS)");
  EXPECT_EQ(ErrorOf("nofile=lots"),
            "\"nofile=lots\": \"lots\" is not a number; nofile takes a whole number, "
            "\"unlimited\" or \"hard\"");
  EXPECT_EQ(ErrorOf("nofile="),
            "\"nofile=\": \"\" is not a number; nofile takes a whole number, \"unlimited\" or "
            "\"hard\"");
  EXPECT_EQ(ErrorOf("stack=64gi"),
            "\"stack=64gi\": invalid quantity \"64gi\": unknown suffix \"gi\" (did you mean "
            "\"Gi\"? suffixes are case-sensitive)");
  EXPECT_EQ(ErrorOf("nofile=1024:524288"),
            "\"nofile=1024:524288\": the soft and hard values differ; give nofile=1024 for the "
            "soft limit, or the same value twice to raise the hard limit too (rlimit-init "
            "never lowers a hard limit)");
  EXPECT_EQ(ErrorOf("nofile=1024:x"),
            "\"nofile=1024:x\": \"x\" is not a number; nofile takes a whole number, "
            "\"unlimited\" or \"hard\"");
  EXPECT_EQ(ErrorOf("nofile=:4096"),
            "\"nofile=:4096\": \"\" is not a number; nofile takes a whole number, \"unlimited\" "
            "or \"hard\"");
  EXPECT_EQ(ErrorOf("nice=41"),
            "\"nice=41\": nice takes the kernel's value 0..40 (20 - the lowest nice value "
            "allowed), got 41");
  EXPECT_EQ(ErrorOf("nofile=50%"),
            "\"nofile=50%\": a percentage of the memory ceiling is only meaningful for as and "
            "data");
}

TEST(LimitOverride, TheVariableTakesCommasOrBlanksAndEachNameOnce) {
  std::vector<LimitOverride> list =
      ParseLimitList("nofile=65536, core=0,,stack=unlimited\tmemlock=64Mi:64Mi").value();
  ASSERT_EQ(list.size(), 4u);
  EXPECT_EQ(list[0].resource, Resource::kNofile);
  EXPECT_EQ(list[1].resource, Resource::kCore);
  EXPECT_EQ(list[2].resource, Resource::kStack);
  EXPECT_EQ(list[3].resource, Resource::kMemlock);
  EXPECT_TRUE(list[3].raise_hard);
  EXPECT_TRUE(ParseLimitList(" , ").value().empty());
  EXPECT_EQ(ParseLimitList("nofile=1,nofile=2").error(),
            "\"nofile=2\": nofile is given more than once");
  EXPECT_EQ(ParseLimitList("nofile=1;core=0").error(),
            "\"nofile=1;core=0\": \"1;core=0\" is not a number; nofile takes a whole number, "
            "\"unlimited\" or \"hard\"");
}

TEST(LimitOverride, FlagBeatsVariableBeatsPolicyNameByName) {
  Policy policy;
  LimitSpec from_file;
  from_file.request = ParseLimitOverride("nofile=4096").value().request;
  from_file.minimum = from_file.request;
  from_file.origin = "limits.nofile in p.yaml";
  policy.limits[static_cast<std::size_t>(Resource::kNofile)] = from_file;
  LimitSpec core_file = from_file;
  core_file.origin = "limits.core in p.yaml";
  policy.limits[static_cast<std::size_t>(Resource::kCore)] = core_file;

  ApplyLimitOverrides(ParseLimitList("nofile=8192:8192,stack=64Mi").value(),
                      {ParseLimitOverride("nofile=16384").value()}, &policy);
  const LimitSpec& nofile = Spec(policy, Resource::kNofile);
  EXPECT_EQ(nofile.request.bytes, 16384u);
  EXPECT_EQ(nofile.origin, "--limit nofile");
  EXPECT_TRUE(nofile.lower);          // a value on the command line is the soft limit, exactly
  EXPECT_FALSE(nofile.raise_hard);    // the variable's 8192:8192 lost to the flag
  ASSERT_TRUE(nofile.minimum.has_value());  // the policy's minimum stays
  EXPECT_EQ(nofile.minimum->bytes, 4096u);
  const LimitSpec& stack = Spec(policy, Resource::kStack);
  EXPECT_EQ(stack.request.bytes, 64u << 20);
  EXPECT_EQ(stack.origin, "RLIMIT_INIT_LIMITS stack");
  EXPECT_TRUE(stack.lower);
  EXPECT_EQ(Spec(policy, Resource::kCore).origin, "limits.core in p.yaml");  // untouched
  EXPECT_FALSE(Spec(policy, Resource::kCore).lower);
  EXPECT_FALSE(policy.limits[static_cast<std::size_t>(Resource::kMemlock)].has_value());

  ApplyLimitOverrides({}, {ParseLimitOverride("core=0:0").value()}, &policy);
  EXPECT_TRUE(Spec(policy, Resource::kCore).raise_hard);
}

}  // namespace
}  // namespace rlimit_init

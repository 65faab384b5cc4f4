// SPDX-License-Identifier: Apache-2.0
#include "observe/rlimits.h"

#include <gtest/gtest.h>

#include "fake_system.h"

namespace rlimit_init {
namespace {

// This development machine's real /proc/self/status lines: root, but with CAP_SYS_RESOURCE
// (bit 24) dropped from every set.
constexpr char kStatusWithoutSysResource[] =
    "Name:\tcat\nCapInh:\t0000000000000000\nCapPrm:\t000001fffeffffff\n"
    "CapEff:\t000001fffeffffff\nCapBnd:\t000001fffeffffff\n";
constexpr char kStatusFullRoot[] = "Name:\tcat\nCapEff:\t000001ffffffffff\n";
constexpr char kInitialUidMap[] = "         0          0 4294967295\n";

TEST(Rlimits, ParsesCapEff) {
  EXPECT_EQ(ParseCapEff(kStatusWithoutSysResource), 0x000001fffeffffffu);
  EXPECT_EQ(ParseCapEff("CapEff:\t0000000000000000\n"), 0u);
  EXPECT_EQ(ParseCapEff("CapPrm:\t01\n"), std::nullopt);
  EXPECT_EQ(ParseCapEff("CapEff:\tzz\n"), std::nullopt);
  EXPECT_EQ(ParseCapEff("CapEff:\t00000000000000000\n"), std::nullopt);
}

TEST(Rlimits, RecognisesOnlyTheInitialUserNamespace) {
  EXPECT_TRUE(IsInitialUserNamespace(kInitialUidMap));
  EXPECT_FALSE(IsInitialUserNamespace("         0     100000      65536\n"));
  EXPECT_FALSE(IsInitialUserNamespace("         0          0 4294967295\n      1 1 1\n"));
  EXPECT_FALSE(IsInitialUserNamespace(""));
}

TEST(Rlimits, MayRaiseHardNeedsTheCapabilityAndTheInitialNamespace) {
  FakeSystem system;
  system.host_files["/proc/self/uid_map"] = kInitialUidMap;
  system.host_files["/proc/self/status"] = kStatusFullRoot;
  EXPECT_TRUE(MayRaiseHardLimit(system));
  system.host_files["/proc/self/status"] = kStatusWithoutSysResource;
  EXPECT_FALSE(MayRaiseHardLimit(system));
  system.host_files["/proc/self/status"] = kStatusFullRoot;
  system.host_files["/proc/self/uid_map"] = "         0       1000          1\n";
  EXPECT_FALSE(MayRaiseHardLimit(system));
  system.host_files.erase("/proc/self/uid_map");
  EXPECT_FALSE(MayRaiseHardLimit(system));
}

}  // namespace
}  // namespace rlimit_init

// SPDX-License-Identifier: Apache-2.0
#include "observe/meminfo.h"

#include <gtest/gtest.h>

#include <cerrno>

#include "fake_system.h"
#include "fixture_tree.h"

namespace rlimit_init {
namespace {

constexpr std::uint64_t KiB(std::uint64_t n) { return n * 1024; }

TEST(Meminfo, ReadsThisHostsFieldsInBytes) {
  FakeSystem system;
  ASSERT_TRUE(LoadFixtureTree("v1-this-host", &system));
  const HostMemory memory = ParseMeminfo(system.host_files.at("/proc/meminfo"));
  EXPECT_EQ(memory.mem_total, KiB(24683620));
  EXPECT_EQ(memory.mem_available, KiB(24267940));
  EXPECT_EQ(memory.commit_limit, KiB(12341808));
  EXPECT_EQ(memory.committed_as, KiB(123576));
  EXPECT_EQ(memory.overcommit_mode, std::nullopt);
}

TEST(Meminfo, FieldsItCannotFindStayEmpty) {
  const HostMemory memory = ParseMeminfo("MemTotal:        2015712 kB\nMemFree:  1 kB\n");
  EXPECT_EQ(memory.mem_total, KiB(2015712));
  EXPECT_EQ(memory.mem_available, std::nullopt);
  EXPECT_EQ(memory.commit_limit, std::nullopt);
  EXPECT_EQ(memory.committed_as, std::nullopt);
}

TEST(Meminfo, LargestValueThatFitsIsKept) {
  EXPECT_EQ(ParseMeminfo("MemTotal: 18014398509481983 kB\n").mem_total, 18446744073709550592u);
}

TEST(Meminfo, ValueOverflowingBytesIsDropped) {
  EXPECT_EQ(ParseMeminfo("MemTotal: 18014398509481984 kB\n").mem_total, std::nullopt);
  EXPECT_EQ(ParseMeminfo("MemTotal: 99999999999999999999 kB\n").mem_total, std::nullopt);
}

TEST(Meminfo, ValueWithoutUnitOrNumberIsDropped) {
  EXPECT_EQ(ParseMeminfo("MemTotal: 2015712\n").mem_total, std::nullopt);
  EXPECT_EQ(ParseMeminfo("MemTotal: lots kB\n").mem_total, std::nullopt);
  EXPECT_EQ(ParseMeminfo("MemTotal: -5 kB\n").mem_total, std::nullopt);
  EXPECT_EQ(ParseMeminfo("MemTotal:  kB\n").mem_total, std::nullopt);
  EXPECT_EQ(ParseMeminfo("MemTotal\n").mem_total, std::nullopt);
}

TEST(OvercommitMode, AcceptsOnlyTheKernelsThreeModes) {
  EXPECT_EQ(ParseOvercommitMode("0\n"), 0);
  EXPECT_EQ(ParseOvercommitMode("1\n"), 1);
  EXPECT_EQ(ParseOvercommitMode("2\n"), 2);
  for (const char* text : {"3\n", "-1\n", "", "\n", "two\n", "2 2\n"}) {
    EXPECT_EQ(ParseOvercommitMode(text), std::nullopt) << '"' << text << '"';
  }
}

TEST(ReadHostMemory, ReadsThisHost) {
  FakeSystem system;
  ASSERT_TRUE(LoadFixtureTree("v1-this-host", &system));
  const HostMemory memory = ReadHostMemory(system);
  EXPECT_EQ(memory.mem_total, KiB(24683620));
  EXPECT_EQ(memory.overcommit_mode, 0);
}

TEST(ReadHostMemory, ReadsStrictOvercommitHost) {
  FakeSystem system;
  ASSERT_TRUE(LoadFixtureTree("no-cgroup", &system));
  const HostMemory memory = ReadHostMemory(system);
  EXPECT_EQ(memory.mem_total, KiB(2015712));
  EXPECT_EQ(memory.mem_available, KiB(1788116));
  EXPECT_EQ(memory.commit_limit, KiB(2056428));
  EXPECT_EQ(memory.committed_as, KiB(1892404));
  EXPECT_EQ(memory.overcommit_mode, 2);
}

TEST(ReadHostMemory, UnreadableFilesLeaveEverythingEmpty) {
  FakeSystem system;
  system.host_errors["/proc/meminfo"] = EACCES;
  const HostMemory memory = ReadHostMemory(system);
  EXPECT_EQ(memory.mem_total, std::nullopt);
  EXPECT_EQ(memory.mem_available, std::nullopt);
  EXPECT_EQ(memory.commit_limit, std::nullopt);
  EXPECT_EQ(memory.committed_as, std::nullopt);
  EXPECT_EQ(memory.overcommit_mode, std::nullopt);
}

}  // namespace
}  // namespace rlimit_init

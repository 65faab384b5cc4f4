// SPDX-License-Identifier: Apache-2.0
// The pure parsers of cgroup and mountinfo text (src/cgroup_parse.cc).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "observe/cgroup.h"

namespace rlimit_init {
namespace {

// cgroup v1's "no limit": PAGE_COUNTER_MAX times the page size, for 4 KiB and 64 KiB pages.
constexpr std::uint64_t kNoLimit4K = 9223372036854771712u;
constexpr std::uint64_t kNoLimit64K = 9223372036854710272u;

TEST(ProcCgroup, SplitsHierarchyControllersAndPath) {
  const auto entries = ParseProcCgroup("4:memory:/process_api/2a10\n2:cpu,cpuacct:/a\n0::/\n");
  ASSERT_EQ(entries.size(), 3u);
  EXPECT_EQ(entries[0].hierarchy_id, 4);
  EXPECT_EQ(entries[0].controllers, std::vector<std::string>{"memory"});
  EXPECT_EQ(entries[0].path, "/process_api/2a10");
  EXPECT_EQ(entries[1].controllers, (std::vector<std::string>{"cpu", "cpuacct"}));
  EXPECT_EQ(entries[2].hierarchy_id, 0);
  EXPECT_TRUE(entries[2].controllers.empty());
  EXPECT_EQ(entries[2].path, "/");
  EXPECT_FALSE(entries[2].deleted);
}

TEST(ProcCgroup, KeepsNamedHierarchiesAndColonsInPaths) {
  const auto entries = ParseProcCgroup("1:name=systemd:/a:b/c");
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].controllers, std::vector<std::string>{"name=systemd"});
  EXPECT_EQ(entries[0].path, "/a:b/c");
}

TEST(ProcCgroup, StripsDeletedSuffix) {
  const auto entries = ParseProcCgroup("0::/job.scope (deleted)\n");
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].path, "/job.scope");
  EXPECT_TRUE(entries[0].deleted);
}

TEST(ProcCgroup, SkipsMalformedLines) {
  const auto entries =
      ParseProcCgroup("garbage\nx:memory:/a\n4:memory\n-1:memory:/\n3:cpu:relative\n\n0::/ok\n");
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].path, "/ok");
}

TEST(MountInfo, ReadsCgroup2LineWithOneOptionalField) {
  const auto mounts = ParseMountInfo(
      "35 24 0:30 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:9 - cgroup2 cgroup2 "
      "rw,nsdelegate,memory_recursiveprot\n");
  ASSERT_EQ(mounts.size(), 1u);
  EXPECT_EQ(mounts[0].root, "/");
  EXPECT_EQ(mounts[0].mount_point, "/sys/fs/cgroup");
  EXPECT_EQ(mounts[0].fs_type, "cgroup2");
  EXPECT_EQ(mounts[0].super_options,
            (std::vector<std::string>{"rw", "nsdelegate", "memory_recursiveprot"}));
}

TEST(MountInfo, SkipsAnyNumberOfOptionalFields) {
  const auto mounts = ParseMountInfo(
      "34 30 0:31 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
      "41 28 0:27 /jobs /srv/jobs rw shared:31 master:9 propagate_from:2 unbindable - cgroup2 "
      "cgroup2 rw\n");
  ASSERT_EQ(mounts.size(), 2u);
  EXPECT_EQ(mounts[0].mount_point, "/sys/fs/cgroup/memory");
  EXPECT_EQ(mounts[0].super_options, (std::vector<std::string>{"rw", "memory"}));
  EXPECT_EQ(mounts[1].root, "/jobs");
  EXPECT_EQ(mounts[1].fs_type, "cgroup2");
  EXPECT_EQ(mounts[1].super_options, std::vector<std::string>{"rw"});
}

TEST(MountInfo, DecodesOctalEscapes) {
  const auto mounts = ParseMountInfo(
      R"(41 28 0:27 /a\040b\011c\012d\134e /srv/cgroup\040view rw - cgroup2 cgroup2 rw)");
  ASSERT_EQ(mounts.size(), 1u);
  EXPECT_EQ(mounts[0].root, "/a b\tc\nd\\e");
  EXPECT_EQ(mounts[0].mount_point, "/srv/cgroup view");
}

TEST(MountInfo, LeavesIncompleteEscapesAsTheyAre) {
  const auto mounts = ParseMountInfo(R"(41 28 0:27 /a\400\x41 /b\04 rw - cgroup2 cgroup2 rw)");
  ASSERT_EQ(mounts.size(), 1u);
  EXPECT_EQ(mounts[0].root, R"(/a\400\x41)");
  EXPECT_EQ(mounts[0].mount_point, R"(/b\04)");
}

TEST(MountInfo, SkipsLinesWithoutSeparatorOrFields) {
  const auto mounts = ParseMountInfo(
      "41 28 0:27 / /sys/fs/cgroup rw cgroup2 cgroup2 rw\n"
      "41 28 0:27 / /sys/fs/cgroup rw - cgroup2\n"
      "x 28 0:27 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n"
      "\n");
  EXPECT_TRUE(mounts.empty());
}

TEST(CgroupMounts, KeepsV1MemoryAndCgroup2MountsInOrder) {
  const CgroupMounts mounts = ParseCgroupMounts(
      "21 26 0:20 / /proc rw,relatime - proc proc rw\n"
      "31 30 0:28 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n"
      "34 30 0:31 /job /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
      "40 30 0:37 / /sys/fs/cgroup/unified rw,relatime shared:9 - cgroup2 cgroup2 rw\n"
      "41 28 0:27 /a\\040b /srv/cgroup\\040view rw - cgroup2 cgroup2 rw,nsdelegate\n"
      "42 28 0:27 / /srv/broken rw cgroup2 cgroup2 rw\n");
  ASSERT_EQ(mounts.v1_memory.size(), 1u);
  EXPECT_EQ(mounts.v1_memory[0].root, "/job");
  EXPECT_EQ(mounts.v1_memory[0].mount_point, "/sys/fs/cgroup/memory");
  EXPECT_EQ(mounts.v1_memory[0].fs_type, "cgroup");
  EXPECT_EQ(mounts.v1_memory[0].super_options, (std::vector<std::string>{"rw", "memory"}));
  ASSERT_EQ(mounts.v2.size(), 2u);
  EXPECT_EQ(mounts.v2[0].mount_point, "/sys/fs/cgroup/unified");
  EXPECT_EQ(mounts.v2[1].root, "/a b");
  EXPECT_EQ(mounts.v2[1].mount_point, "/srv/cgroup view");
  EXPECT_EQ(mounts.v2[1].super_options, (std::vector<std::string>{"rw", "nsdelegate"}));
  EXPECT_TRUE(mounts.any);
}

TEST(CgroupMounts, MatchesEscapedTypesAndOptionsAsDecoded) {
  // The kernel never escapes these, but the fields are compared as ParseMountInfo decodes them.
  const CgroupMounts mounts =
      ParseCgroupMounts(R"(34 30 0:31 / /m rw - \143group cgroup rw,\155emory)");
  ASSERT_EQ(mounts.v1_memory.size(), 1u);
  EXPECT_EQ(mounts.v1_memory[0].super_options, (std::vector<std::string>{"rw", "memory"}));
}

TEST(CgroupMounts, SaysWhetherAnyCgroupIsMountedWithoutMemory) {
  const CgroupMounts v1_cpu_only =
      ParseCgroupMounts("31 30 0:28 / /sys/fs/cgroup/cpu rw - cgroup cgroup rw,cpu,memory_x\n");
  EXPECT_TRUE(v1_cpu_only.v1_memory.empty());
  EXPECT_TRUE(v1_cpu_only.v2.empty());
  EXPECT_TRUE(v1_cpu_only.any);
  const CgroupMounts none = ParseCgroupMounts("21 26 0:20 / /proc rw - proc proc rw\n");
  EXPECT_TRUE(none.v1_memory.empty());
  EXPECT_TRUE(none.v2.empty());
  EXPECT_FALSE(none.any);
}

TEST(CgroupLimit, MaxMeansUnlimited) { EXPECT_EQ(ParseCgroupLimit("max\n", 4096), kUnlimited); }

TEST(CgroupLimit, DecimalIsBytes) {
  EXPECT_EQ(ParseCgroupLimit("1073741824\n", 4096), 1073741824u);
  EXPECT_EQ(ParseCgroupLimit("0\n", 4096), 0u);
}

TEST(CgroupLimit, V1SentinelDependsOnPageSize) {
  EXPECT_EQ(CgroupV1NoLimit(4096), kNoLimit4K);
  EXPECT_EQ(CgroupV1NoLimit(65536), kNoLimit64K);
  EXPECT_EQ(ParseCgroupLimit("9223372036854771712\n", 4096), kUnlimited);
  EXPECT_EQ(ParseCgroupLimit("9223372036854710272\n", 65536), kUnlimited);
}

TEST(CgroupLimit, SentinelOf64KiBPagesMeansUnlimitedWhateverOurPageSize) {
  // A tree from an arm64 host read on a 4 KiB-page machine.
  EXPECT_EQ(ParseCgroupLimit("9223372036854710272\n", 4096), kUnlimited);
  EXPECT_EQ(ParseCgroupLimit("9223372036854775807\n", 4096), kUnlimited);
  EXPECT_EQ(ParseCgroupLimit("9223372036854710271\n", 4096), 9223372036854710271u);
}

TEST(CgroupLimit, SentinelOfLargerPagesIsHonoured) {
  const std::uint64_t no_limit_256k = CgroupV1NoLimit(256 * 1024);
  EXPECT_EQ(ParseCgroupLimit(std::to_string(no_limit_256k), 256 * 1024), kUnlimited);
  EXPECT_EQ(ParseCgroupLimit(std::to_string(no_limit_256k), 4096), no_limit_256k);
}

TEST(CgroupLimit, GarbageEmptyAndOverflowAreRejected) {
  for (const char* text :
       {"", "\n", "lots", "12abc", "-1", "+5", "1 2", "max max", "18446744073709551616"}) {
    EXPECT_EQ(ParseCgroupLimit(text, 4096), std::nullopt) << '"' << text << '"';
  }
}

TEST(MemoryStat, FindsExactKeyOnly) {
  const std::string stat =
      "hierarchical_memory_limit_x 1\nhierarchical_memory_limit 1073741824\n"
      "total_hierarchical_memory_limit 2\n";
  EXPECT_EQ(FindFlatKeyedValue(stat, "hierarchical_memory_limit"), "1073741824");
  EXPECT_EQ(FindFlatKeyedValue(stat, "hierarchical_memsw_limit"), std::nullopt);
}

TEST(CgroupPath, IsTranslatedAgainstTheMountRoot) {
  EXPECT_EQ(CgroupPathBelowRoot("/a/b", "/"), "/a/b");
  EXPECT_EQ(CgroupPathBelowRoot("/", "/"), "");
  EXPECT_EQ(CgroupPathBelowRoot("/docker/abc", "/docker/abc"), "");
  EXPECT_EQ(CgroupPathBelowRoot("/docker/abc/sub", "/docker/abc"), "/sub");
  EXPECT_EQ(CgroupPathBelowRoot("/docker/abcdef", "/docker/abc"), std::nullopt);
  EXPECT_EQ(CgroupPathBelowRoot("/other", "/docker/abc"), std::nullopt);
  EXPECT_EQ(CgroupPathBelowRoot("/", "/docker/abc"), std::nullopt);
  // A cgroup namespace shows cgroups outside it with "..".
  EXPECT_EQ(CgroupPathBelowRoot("/../sibling", "/"), std::nullopt);
}

}  // namespace
}  // namespace rlimit_init

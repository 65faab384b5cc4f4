// SPDX-License-Identifier: Apache-2.0
#include "observe/cgroup_peak.h"

#include <gtest/gtest.h>

#include "fake_system.h"
#include "fixture_tree.h"
#include "observe/cgroup.h"

namespace rlimit_init {
namespace {

CgroupMemory V1Job() {
  CgroupMemory memory;
  memory.version = CgroupVersion::kV1;
  memory.directory = "/sys/fs/cgroup/memory/job";
  return memory;
}

TEST(CgroupAlone, CountsTheOtherProcessesOfTheCgroup) {
  FakeSystem system;
  system.host_files["/sys/fs/cgroup/memory/job/cgroup.procs"] = "7\n12\n13\n";
  const CgroupPeak shared = CgroupAlone(system, V1Job(), 7);
  EXPECT_EQ(shared.missing, CgroupPeakMissing::kShared);
  EXPECT_EQ(shared.path, "/sys/fs/cgroup/memory/job");
  EXPECT_EQ(shared.others, 2);
  // Not read once the cgroup was shared: the peak would be the others' too.
  system.host_files["/sys/fs/cgroup/memory/job/memory.max_usage_in_bytes"] = "1048576\n";
  EXPECT_EQ(ReadCgroupPeak(system, V1Job(), shared).missing, CgroupPeakMissing::kShared);
  EXPECT_FALSE(ReadCgroupPeak(system, V1Job(), shared).bytes);
}

TEST(CgroupAlone, ReadsThePeakOfACgroupThatHeldTheJobAlone) {
  FakeSystem system;
  system.host_files["/sys/fs/cgroup/memory/job/cgroup.procs"] = "7\n";
  const CgroupPeak alone = CgroupAlone(system, V1Job(), 7);
  EXPECT_EQ(alone.missing, CgroupPeakMissing::kNone);
  const CgroupPeak missing_file = ReadCgroupPeak(system, V1Job(), alone);
  EXPECT_EQ(missing_file.missing, CgroupPeakMissing::kUnreadable);
  EXPECT_EQ(missing_file.path, "/sys/fs/cgroup/memory/job/memory.max_usage_in_bytes");
  system.host_files["/sys/fs/cgroup/memory/job/memory.max_usage_in_bytes"] = "1048576\n";
  const CgroupPeak peak = ReadCgroupPeak(system, V1Job(), alone);
  EXPECT_EQ(peak.bytes, 1048576u);
  EXPECT_EQ(peak.source, "/sys/fs/cgroup/memory/job/memory.max_usage_in_bytes");
}

TEST(CgroupAlone, SaysWhatStoodInTheWay) {
  FakeSystem system;
  EXPECT_EQ(CgroupAlone(system, CgroupMemory{}, 7).missing, CgroupPeakMissing::kNoDirectory);
  const CgroupPeak unreadable = CgroupAlone(system, V1Job(), 7);
  EXPECT_EQ(unreadable.missing, CgroupPeakMissing::kUnreadable);
  EXPECT_EQ(unreadable.path, "/sys/fs/cgroup/memory/job/cgroup.procs");
}

// The pids controller's cgroup, from the host trees copied from real hosts: /proc/self/cgroup as
// discovery parsed it and /proc/self/mountinfo.
CgroupPids PidsOf(const std::string& tree) {
  FakeSystem system;
  EXPECT_TRUE(LoadFixtureTree(tree, &system)) << tree;
  return FindCgroupPids(system, DiscoverCgroupMemory(system).proc_cgroup);
}

TEST(FindCgroupPids, HybridHostTakesTheV1PidsHierarchy) {
  // This development host: memory and pids on v1, a cgroup2 tree without them beside.
  const CgroupPids pids = PidsOf("v1-this-host");
  EXPECT_EQ(pids.version, CgroupVersion::kV1);
  EXPECT_EQ(pids.directory, "/sys/fs/cgroup/pids");
}

TEST(FindCgroupPids, V1ContainerSeesItsOwnCgroupAtTheMountPoint) {
  // The mount's root is the container's cgroup, so its directory is the mount point itself.
  const CgroupPids pids = PidsOf("v1-container");
  EXPECT_EQ(pids.version, CgroupVersion::kV1);
  EXPECT_EQ(pids.directory, "/sys/fs/cgroup/pids");
}

TEST(FindCgroupPids, PureV2TakesTheUnifiedCgroup) {
  const CgroupPids pids = PidsOf("v2-systemd-service");
  EXPECT_EQ(pids.version, CgroupVersion::kV2);
  EXPECT_EQ(pids.directory, "/sys/fs/cgroup/system.slice/train.service");
}

TEST(FindCgroupPids, NoneWithoutACgroupFilesystemOrWhereThePidsHierarchyIsNotMounted) {
  EXPECT_EQ(PidsOf("no-cgroup").directory, "");
  FakeSystem system;
  system.host_files["/proc/self/mountinfo"] =
      "34 30 0:31 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n";
  // The pids line is v1's, so the cgroup2 line beside it does not stand in for it.
  const std::vector<ProcCgroupEntry> entries = ParseProcCgroup("8:pids:/job\n0::/\n");
  EXPECT_EQ(FindCgroupPids(system, entries).directory, "");
  EXPECT_EQ(FindCgroupPids(system, {}).directory, "");
  // A cgroup outside the mount's root (another cgroup namespace's) has no directory here.
  system.host_files["/proc/self/mountinfo"] =
      "38 30 0:35 /batch /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids\n";
  EXPECT_EQ(FindCgroupPids(system, entries).directory, "");
  EXPECT_EQ(FindCgroupPids(system, ParseProcCgroup("8:pids:/batch/job\n")).directory,
            "/sys/fs/cgroup/pids/job");
}

CgroupPids V1PidsJob() { return {CgroupVersion::kV1, "/sys/fs/cgroup/pids/job"}; }

TEST(PidsPeak, IsThePeakLessRlimitInitsOwnTaskWhenTheCgroupHeldTheJobAlone) {
  FakeSystem system;
  system.host_files["/sys/fs/cgroup/pids/job/cgroup.procs"] = "7\n";
  const TasksPeak alone = PidsAlone(system, V1PidsJob(), 7);
  EXPECT_EQ(alone.missing, CgroupPeakMissing::kNone);
  system.host_files["/sys/fs/cgroup/pids/job/pids.peak"] = "302\n";
  const TasksPeak peak = ReadPidsPeak(system, V1PidsJob(), alone);
  EXPECT_EQ(peak.missing, CgroupPeakMissing::kNone);
  EXPECT_EQ(peak.tasks, 301);
  EXPECT_EQ(peak.source, "/sys/fs/cgroup/pids/job/pids.peak");
}

TEST(PidsPeak, NotReadFromACgroupSharedWhenTheJobStarted) {
  FakeSystem system;
  system.host_files["/sys/fs/cgroup/pids/job/cgroup.procs"] = "7\n12\n";
  system.host_files["/sys/fs/cgroup/pids/job/pids.peak"] = "302\n";
  const TasksPeak shared = PidsAlone(system, V1PidsJob(), 7);
  EXPECT_EQ(shared.missing, CgroupPeakMissing::kShared);
  EXPECT_EQ(shared.path, "/sys/fs/cgroup/pids/job");
  EXPECT_EQ(shared.others, 1);
  const TasksPeak read = ReadPidsPeak(system, V1PidsJob(), shared);
  EXPECT_EQ(read.missing, CgroupPeakMissing::kShared);
  EXPECT_FALSE(read.tasks);
}

TEST(PidsPeak, NotReadWhenTheCgroupsBelowHeldTasksWhenTheJobStarted) {
  // cgroup.procs lists rlimit-init alone; pids.current also counts the cgroups below it.
  FakeSystem system;
  system.host_files["/sys/fs/cgroup/pids/job/cgroup.procs"] = "7\n";
  system.host_files["/sys/fs/cgroup/pids/job/pids.current"] = "3\n";
  system.host_files["/sys/fs/cgroup/pids/job/pids.peak"] = "302\n";
  const TasksPeak below = PidsAlone(system, V1PidsJob(), 7);
  EXPECT_EQ(below.missing, CgroupPeakMissing::kOtherTasks);
  EXPECT_EQ(below.path, "/sys/fs/cgroup/pids/job");
  EXPECT_EQ(below.others, 2);
  EXPECT_FALSE(ReadPidsPeak(system, V1PidsJob(), below).tasks);
  // rlimit-init's own task alone, or no pids.current to say otherwise: alone.
  system.host_files["/sys/fs/cgroup/pids/job/pids.current"] = "1\n";
  EXPECT_EQ(PidsAlone(system, V1PidsJob(), 7).missing, CgroupPeakMissing::kNone);
  system.host_files.erase("/sys/fs/cgroup/pids/job/pids.current");
  EXPECT_EQ(PidsAlone(system, V1PidsJob(), 7).missing, CgroupPeakMissing::kNone);
}

TEST(PidsPeak, SaysWhatStoodInTheWay) {
  FakeSystem system;
  EXPECT_EQ(PidsAlone(system, CgroupPids{}, 7).missing, CgroupPeakMissing::kNoDirectory);
  const TasksPeak no_procs = PidsAlone(system, V1PidsJob(), 7);
  EXPECT_EQ(no_procs.missing, CgroupPeakMissing::kUnreadable);
  EXPECT_EQ(no_procs.path, "/sys/fs/cgroup/pids/job/cgroup.procs");
  system.host_files["/sys/fs/cgroup/pids/job/cgroup.procs"] = "7\n";
  const TasksPeak alone = PidsAlone(system, V1PidsJob(), 7);
  // Before Linux 6.1, or on v2 where the parent does not enable the pids controller: no file.
  const TasksPeak missing = ReadPidsPeak(system, V1PidsJob(), alone);
  EXPECT_EQ(missing.missing, CgroupPeakMissing::kUnreadable);
  EXPECT_EQ(missing.path, "/sys/fs/cgroup/pids/job/pids.peak");
  EXPECT_FALSE(missing.tasks);
  // rlimit-init itself was in the cgroup: a peak of 0, or no number, is no peak of the job's.
  for (const char* text : {"0\n", "max\n", "x\n", "99999999999\n"}) {
    system.host_files["/sys/fs/cgroup/pids/job/pids.peak"] = text;
    EXPECT_EQ(ReadPidsPeak(system, V1PidsJob(), alone).missing, CgroupPeakMissing::kUnreadable)
        << text;
  }
  system.host_files["/sys/fs/cgroup/pids/job/pids.peak"] = "1\n";
  EXPECT_EQ(ReadPidsPeak(system, V1PidsJob(), alone).tasks, 0);
}

}  // namespace
}  // namespace rlimit_init

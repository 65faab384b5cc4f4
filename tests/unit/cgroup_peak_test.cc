// SPDX-License-Identifier: Apache-2.0
#include "observe/cgroup_peak.h"

#include <gtest/gtest.h>

#include "fake_system.h"

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

}  // namespace
}  // namespace rlimit_init

// SPDX-License-Identifier: Apache-2.0
// Cgroup discovery through System over host trees (src/cgroup.cc).
#include "observe/cgroup.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <string>
#include <vector>

#include "fake_system.h"
#include "fixture_tree.h"
#include "report/cgroup_note_text.h"

namespace rlimit_init {

// A failed comparison shows the notes as the report words them.
void PrintTo(const CgroupNote& note, std::ostream* out) { *out << CgroupNoteText(note); }

namespace {

using Notes = std::vector<CgroupNote>;

constexpr std::uint64_t kGiB = 1024 * 1024 * 1024;
constexpr char kContainerId[] = "3f1d6c0b9a8e47d2b5c4a1e0f9d8c7b6a5e4d3c2b1a0f9e8d7c6b5a4e3d2c1b0";

FakeSystem Host(const std::string& name, std::uint64_t page_size = 4096) {
  FakeSystem system;
  EXPECT_TRUE(LoadFixtureTree(name, &system)) << "fixture tree " << name;
  system.page_size = page_size;
  return system;
}

struct Expected {
  CgroupVersion version;
  std::uint64_t limit;
  std::string limit_source;
  std::uint64_t high;
  std::string high_source;
  std::uint64_t swap_max;
  std::string cgroup_path;
  std::string directory;
  Notes notes;
  std::optional<CgroupNote> unknown = std::nullopt;  // why the limit is unknown
};

void ExpectMemory(const CgroupMemory& actual, const Expected& expected) {
  EXPECT_EQ(actual.version, expected.version);
  EXPECT_EQ(actual.limit, expected.limit);
  EXPECT_EQ(actual.limit_source, expected.limit_source);
  EXPECT_EQ(actual.limit_from_hierarchy_stat,
            expected.limit_source.ends_with(" hierarchical_memory_limit"));
  EXPECT_EQ(actual.high, expected.high);
  EXPECT_EQ(actual.high_source, expected.high_source);
  EXPECT_EQ(actual.swap_max, expected.swap_max);
  EXPECT_EQ(actual.cgroup_path, expected.cgroup_path);
  EXPECT_EQ(actual.directory, expected.directory);
  EXPECT_EQ(actual.notes, expected.notes);
  EXPECT_EQ(actual.unknown, expected.unknown);
  EXPECT_EQ(actual.known(), !expected.unknown);
}

// ---- cgroup v1 ----

TEST(CgroupV1, ThisHostHasNoLimitAndIsHybrid) {
  // Copied from the development machine: v1 memory beside a cgroup2 tree without memory.
  FakeSystem system = Host("v1-this-host");
  const std::string leaf = "/process_api/2a106edfed802ca190451405c218839c";
  ExpectMemory(DiscoverCgroupMemory(system), {CgroupVersion::kV1,
                                              kUnlimited,
                                              "",
                                              kUnlimited,
                                              "",
                                              kUnlimited,
                                              leaf,
                                              "/sys/fs/cgroup/memory" + leaf,
                                              {}});
}

TEST(CgroupV1, ParentLimitBindsWhenChildSetsNone) {
  FakeSystem system = Host("v1-nested-parent-limit");
  ExpectMemory(DiscoverCgroupMemory(system),
               {CgroupVersion::kV1,
                kGiB,
                "/sys/fs/cgroup/memory/rlimit-nested/memory.limit_in_bytes",
                kUnlimited,
                "",
                kUnlimited,
                "/rlimit-nested/job",
                "/sys/fs/cgroup/memory/rlimit-nested/job",
                {}});
}

TEST(CgroupV1, LeafLimitBindsAndMemswIsSwapMax) {
  FakeSystem system = Host("v1-leaf-limit");
  ExpectMemory(DiscoverCgroupMemory(system),
               {CgroupVersion::kV1,
                512 * 1024 * 1024,
                "/sys/fs/cgroup/memory/rlimit-leaf/job/memory.limit_in_bytes",
                kUnlimited,
                "",
                kGiB,
                "/rlimit-leaf/job",
                "/sys/fs/cgroup/memory/rlimit-leaf/job",
                {}});
}

TEST(CgroupV1, HierarchicalLimitFromInvisibleAncestorBinds) {
  FakeSystem system = Host("v1-container");
  ExpectMemory(DiscoverCgroupMemory(system),
               {CgroupVersion::kV1,
                kGiB,
                "/sys/fs/cgroup/memory/memory.stat hierarchical_memory_limit",
                kUnlimited,
                "",
                kUnlimited,
                std::string("/batch/") + kContainerId,
                "/sys/fs/cgroup/memory",
                {AncestorLimitNote{}}});
}

TEST(CgroupV1, SentinelOf64KiBPagesMeansNoLimit) {
  for (std::uint64_t page_size : {65536u, 4096u}) {
    SCOPED_TRACE(page_size);
    FakeSystem system = Host("v1-arm64-64k-pages", page_size);
    ExpectMemory(DiscoverCgroupMemory(system), {CgroupVersion::kV1,
                                                kUnlimited,
                                                "",
                                                kUnlimited,
                                                "",
                                                kUnlimited,
                                                "/user.slice",
                                                "/sys/fs/cgroup/memory/user.slice",
                                                {}});
  }
}

TEST(CgroupV1, UnreadableLimitFileIsNotedAndMemoryStatStillBinds) {
  FakeSystem system = Host("v1-leaf-limit");
  system.host_errors["/sys/fs/cgroup/memory/rlimit-leaf/job/memory.limit_in_bytes"] = EACCES;
  const CgroupMemory memory = DiscoverCgroupMemory(system);
  EXPECT_EQ(memory.limit, 512u * 1024 * 1024);
  EXPECT_EQ(memory.limit_source,
            "/sys/fs/cgroup/memory/rlimit-leaf/job/memory.stat hierarchical_memory_limit");
  EXPECT_TRUE(memory.limit_from_hierarchy_stat);
  // Not "above the visible hierarchy": the unreadable file may be the one that binds.
  EXPECT_EQ(memory.notes,
            (Notes{UnreadableNote{"/sys/fs/cgroup/memory/rlimit-leaf/job/memory.limit_in_bytes",
                                  EACCES}}));
}

TEST(CgroupV1, UnreadableLimitFileWithoutMemoryStatMakesTheLimitUnknown) {
  FakeSystem system = Host("v1-leaf-limit");
  system.host_errors["/sys/fs/cgroup/memory/rlimit-leaf/job/memory.limit_in_bytes"] = EACCES;
  system.host_files.erase("/sys/fs/cgroup/memory/rlimit-leaf/job/memory.stat");
  const CgroupMemory memory = DiscoverCgroupMemory(system);
  EXPECT_EQ(memory.unknown,
            (CgroupNote{UnreadableNote{
                "/sys/fs/cgroup/memory/rlimit-leaf/job/memory.limit_in_bytes", EACCES}}));
  EXPECT_EQ(memory.notes,
            (Notes{UnreadableNote{"/sys/fs/cgroup/memory/rlimit-leaf/job/memory.stat", ENOENT}}));
}

TEST(CgroupV1, GarbageInLimitFileIsNoted) {
  FakeSystem system = Host("v1-nested-parent-limit");
  system.host_files["/sys/fs/cgroup/memory/rlimit-nested/memory.limit_in_bytes"] = "lots\n";
  const CgroupMemory memory = DiscoverCgroupMemory(system);
  EXPECT_EQ(memory.limit, kGiB);
  EXPECT_EQ(memory.limit_source,
            "/sys/fs/cgroup/memory/rlimit-nested/job/memory.stat hierarchical_memory_limit");
  EXPECT_EQ(memory.notes,
            (Notes{UnparsableNote{"/sys/fs/cgroup/memory/rlimit-nested/memory.limit_in_bytes", "",
                                  "lots"}}));
}

TEST(CgroupV1, MissingMemoryStatIsNotedAndVisibleLimitsStillBind) {
  FakeSystem system = Host("v1-nested-parent-limit");
  system.host_files.erase("/sys/fs/cgroup/memory/rlimit-nested/job/memory.stat");
  const CgroupMemory memory = DiscoverCgroupMemory(system);
  EXPECT_EQ(memory.limit, kGiB);
  EXPECT_EQ(memory.limit_source, "/sys/fs/cgroup/memory/rlimit-nested/memory.limit_in_bytes");
  EXPECT_EQ(memory.notes,
            (Notes{UnreadableNote{"/sys/fs/cgroup/memory/rlimit-nested/job/memory.stat", ENOENT}}));
}

TEST(CgroupV1, ParentWithoutUseHierarchyDoesNotBind) {
  // What a kernel before 5.11 shows when the parent has memory.use_hierarchy 0.
  FakeSystem system = Host("v1-nested-parent-limit");
  system.host_files["/sys/fs/cgroup/memory/rlimit-nested/memory.use_hierarchy"] = "0\n";
  std::string& stat = system.host_files["/sys/fs/cgroup/memory/rlimit-nested/job/memory.stat"];
  const std::string line = "hierarchical_memory_limit 1073741824\n";
  ASSERT_NE(stat.find(line), std::string::npos);
  stat.replace(stat.find(line), line.size(), "hierarchical_memory_limit 9223372036854771712\n");
  const CgroupMemory memory = DiscoverCgroupMemory(system);
  EXPECT_EQ(memory.limit, kUnlimited);
  EXPECT_EQ(memory.limit_source, "");
  EXPECT_EQ(memory.notes,
            (Notes{NoUseHierarchyNote{"/sys/fs/cgroup/memory/rlimit-nested/memory.use_hierarchy",
                                      "/sys/fs/cgroup/memory/rlimit-nested"}}));
}

TEST(CgroupV1, CgroupOutsideMountRootIsUnknown) {
  FakeSystem system = Host("v1-container");
  system.host_files["/proc/self/cgroup"] = "10:memory:/batch/other\n";
  ExpectMemory(DiscoverCgroupMemory(system),
               {CgroupVersion::kV1,
                kUnlimited,
                "",
                kUnlimited,
                "",
                kUnlimited,
                "/batch/other",
                "",
                {},
                OutsideMountNote{"/batch/other", std::string("/batch/") + kContainerId,
                                 "/sys/fs/cgroup/memory"}});
}

TEST(CgroupHybrid, UsesV1MemoryControllerBesideCgroup2Tree) {
  FakeSystem system = Host("hybrid-without-v2-memory");
  ExpectMemory(DiscoverCgroupMemory(system),
               {CgroupVersion::kV1,
                2 * kGiB,
                "/sys/fs/cgroup/memory/system.slice/train.service/memory.limit_in_bytes",
                kUnlimited,
                "",
                kUnlimited,
                "/system.slice/train.service",
                "/sys/fs/cgroup/memory/system.slice/train.service",
                {}});
}

// ---- cgroup v2 ----

TEST(CgroupV2, LeafLimitBindsAndSwapMaxIsRead) {
  FakeSystem system = Host("v2-systemd-service");
  ExpectMemory(DiscoverCgroupMemory(system),
               {CgroupVersion::kV2,
                kGiB,
                "/sys/fs/cgroup/system.slice/train.service/memory.max",
                kUnlimited,
                "",
                0,
                "/system.slice/train.service",
                "/sys/fs/cgroup/system.slice/train.service",
                {}});
}

TEST(CgroupV2, ParentLimitBindsWhenLeafSaysMax) {
  FakeSystem system = Host("v2-nested");
  ExpectMemory(DiscoverCgroupMemory(system),
               {CgroupVersion::kV2,
                4 * kGiB,
                "/sys/fs/cgroup/batch.slice/batch-nightly.slice/memory.max",
                3 * kGiB,
                "/sys/fs/cgroup/batch.slice/batch-nightly.slice/memory.high",
                kUnlimited,
                "/batch.slice/batch-nightly.slice/job-42.scope",
                "/sys/fs/cgroup/batch.slice/batch-nightly.slice/job-42.scope",
                {}});
}

TEST(CgroupV2, NamespaceRootWithLimitSaysAncestorsAreInvisible) {
  FakeSystem system = Host("v2-cgroupns-container");
  ExpectMemory(DiscoverCgroupMemory(system), {CgroupVersion::kV2,
                                              512 * 1024 * 1024,
                                              "/sys/fs/cgroup/memory.max",
                                              kUnlimited,
                                              "",
                                              512 * 1024 * 1024,
                                              "/",
                                              "/sys/fs/cgroup",
                                              {HiddenAncestorsNote{"/"}}});
}

TEST(CgroupV2, RootCgroupIsNotMistakenForNamespace) {
  FakeSystem system = Host("v2-systemd-service");
  system.host_files["/proc/self/cgroup"] = "0::/\n";
  ExpectMemory(DiscoverCgroupMemory(system), {CgroupVersion::kV2,
                                              kUnlimited,
                                              "",
                                              kUnlimited,
                                              "",
                                              kUnlimited,
                                              "/",
                                              "/sys/fs/cgroup",
                                              {NoMemoryMaxNote{"/sys/fs/cgroup"}}});
}

TEST(CgroupV2, EscapedMountPathWithOptionalFieldsIsDecoded) {
  FakeSystem system = Host("v2-escaped-mount-path");
  ExpectMemory(DiscoverCgroupMemory(system), {CgroupVersion::kV2,
                                              2 * kGiB,
                                              "/srv/cgroup view/memory.max",
                                              1536 * 1024 * 1024,
                                              "/srv/cgroup view/step 1/memory.high",
                                              kUnlimited,
                                              "/jobs/nightly build/step 1",
                                              "/srv/cgroup view/step 1",
                                              {HiddenAncestorsNote{"/jobs/nightly build"}}});
}

TEST(CgroupV2, PrefersTheMountThatShowsMostAncestors) {
  FakeSystem system = Host("v2-nested");
  system.host_files["/proc/self/mountinfo"] =
      "50 22 0:27 /batch.slice /mnt/batch rw,relatime - cgroup2 cgroup2 rw\n" +
      system.host_files["/proc/self/mountinfo"];
  const CgroupMemory memory = DiscoverCgroupMemory(system);
  EXPECT_EQ(memory.directory, "/sys/fs/cgroup/batch.slice/batch-nightly.slice/job-42.scope");
  EXPECT_EQ(memory.limit, 4 * kGiB);
  EXPECT_EQ(memory.notes, Notes{});
}

TEST(CgroupV2, DeletedCgroupIsStrippedAndNoted) {
  FakeSystem system = Host("v2-nested");
  const std::string leaf = "/batch.slice/batch-nightly.slice/job-42.scope";
  system.host_files["/proc/self/cgroup"] = "0::" + leaf + " (deleted)\n";
  for (const char* file : {"cgroup.controllers", "memory.max", "memory.high", "memory.swap.max"}) {
    system.host_files.erase("/sys/fs/cgroup" + leaf + "/" + file);
  }
  ExpectMemory(DiscoverCgroupMemory(system),
               {CgroupVersion::kV2,
                4 * kGiB,
                "/sys/fs/cgroup/batch.slice/batch-nightly.slice/memory.max",
                3 * kGiB,
                "/sys/fs/cgroup/batch.slice/batch-nightly.slice/memory.high",
                kUnlimited,
                leaf,
                "/sys/fs/cgroup" + leaf,
                {DeletedCgroupNote{leaf}}});
}

TEST(CgroupV2, CgroupOutsideNamespaceIsUnknown) {
  FakeSystem system = Host("v2-cgroupns-container");
  system.host_files["/proc/self/cgroup"] = "0::/../sibling\n";
  ExpectMemory(DiscoverCgroupMemory(system),
               {CgroupVersion::kV2,
                kUnlimited,
                "",
                kUnlimited,
                "",
                kUnlimited,
                "/../sibling",
                "",
                {},
                OutsideMountNote{"/../sibling", "/", "/sys/fs/cgroup"}});
}

TEST(CgroupV2, NoMemoryControllerIsNoted) {
  FakeSystem system = Host("v2-systemd-service");
  for (const char* dir :
       {"/sys/fs/cgroup/system.slice", "/sys/fs/cgroup/system.slice/train.service"}) {
    for (const char* file : {"/memory.max", "/memory.high", "/memory.swap.max"}) {
      system.host_files.erase(std::string(dir) + file);
    }
  }
  ExpectMemory(DiscoverCgroupMemory(system),
               {CgroupVersion::kV2,
                kUnlimited,
                "",
                kUnlimited,
                "",
                kUnlimited,
                "/system.slice/train.service",
                "/sys/fs/cgroup/system.slice/train.service",
                {NoMemoryMaxNote{"/sys/fs/cgroup/system.slice/train.service"}}});
}

TEST(CgroupV2, UnreadableMemoryMaxMakesTheLimitUnknown) {
  // Not taken for a missing controller, nor for "max": it may be the limit that binds.
  FakeSystem system = Host("v2-systemd-service");
  system.host_errors["/sys/fs/cgroup/system.slice/train.service/memory.max"] = EACCES;
  const CgroupMemory memory = DiscoverCgroupMemory(system);
  EXPECT_EQ(
      memory.unknown,
      (CgroupNote{UnreadableNote{"/sys/fs/cgroup/system.slice/train.service/memory.max", EACCES}}));
  EXPECT_EQ(memory.notes, Notes{});
}

TEST(CgroupV2, GarbageMemoryMaxMakesTheLimitUnknown) {
  FakeSystem system = Host("v2-systemd-service");
  system.host_files["/sys/fs/cgroup/system.slice/memory.max"] = "lots\n";
  const CgroupMemory memory = DiscoverCgroupMemory(system);
  EXPECT_EQ(memory.unknown,
            (CgroupNote{UnparsableNote{"/sys/fs/cgroup/system.slice/memory.max", "", "lots"}}));
  EXPECT_EQ(memory.notes, Notes{});
}

// ---- no usable cgroup ----

TEST(CgroupNone, NoCgroupFilesystemIsUnknown) {
  // A container without /sys/fs/cgroup: its cgroup may well have a limit.
  FakeSystem system = Host("no-cgroup");
  ExpectMemory(DiscoverCgroupMemory(system), {CgroupVersion::kNone,
                                              kUnlimited,
                                              "",
                                              kUnlimited,
                                              "",
                                              kUnlimited,
                                              "",
                                              "",
                                              {},
                                              NoCgroupFilesystemNote{}});
}

TEST(CgroupNone, UnmountedV1MemoryControllerIsUnknown) {
  FakeSystem system = Host("v1-this-host");
  std::string& mountinfo = system.host_files["/proc/self/mountinfo"];
  const std::string line =
      "34 30 0:31 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n";
  ASSERT_NE(mountinfo.find(line), std::string::npos);
  mountinfo.erase(mountinfo.find(line), line.size());
  const CgroupMemory memory = DiscoverCgroupMemory(system);
  EXPECT_EQ(memory.version, CgroupVersion::kNone);
  EXPECT_EQ(memory.notes, Notes{});
  EXPECT_EQ(memory.unknown, (CgroupNote{V1NotMountedNote{false}}));
}

TEST(CgroupNone, HierarchiesWithoutMemoryControllerAreNoLimit) {
  FakeSystem system;
  system.host_files["/proc/self/cgroup"] = "1:cpu:/\n";
  system.host_files["/proc/self/mountinfo"] =
      "31 30 0:28 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n";
  const CgroupMemory memory = DiscoverCgroupMemory(system);
  EXPECT_EQ(memory.version, CgroupVersion::kNone);
  EXPECT_EQ(memory.notes, (Notes{NoMemoryControllerNote{}}));
  EXPECT_TRUE(memory.known());
  EXPECT_EQ(memory.limit, kUnlimited);
}

TEST(CgroupNone, UnreadableProcFilesAreUnknown) {
  FakeSystem missing;
  const CgroupMemory no_proc = DiscoverCgroupMemory(missing);
  EXPECT_EQ(no_proc.unknown, (CgroupNote{UnreadableNote{"/proc/self/cgroup", ENOENT}}));
  EXPECT_EQ(no_proc.notes, Notes{});
  FakeSystem denied = Host("v1-this-host");
  denied.host_errors["/proc/self/mountinfo"] = EACCES;
  const CgroupMemory memory = DiscoverCgroupMemory(denied);
  EXPECT_EQ(memory.version, CgroupVersion::kNone);
  EXPECT_EQ(memory.unknown, (CgroupNote{UnreadableNote{"/proc/self/mountinfo", EACCES}}));
  EXPECT_EQ(memory.notes, Notes{});
}

}  // namespace
}  // namespace rlimit_init

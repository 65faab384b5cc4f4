// SPDX-License-Identifier: Apache-2.0
// The words of each cgroup note kind, written once in report/cgroup_note_text.cc. cgroup_test.cc
// holds what discovery finds (the kinds and their values); these hold the sentences, many of
// which no golden file reaches (a cut mountinfo, a cgroup past PATH_MAX, use_hierarchy 0 ...).
#include "report/cgroup_note_text.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <string>
#include <variant>
#include <vector>

namespace rlimit_init {
namespace {

struct Case {
  const char* name;
  CgroupNote note;
  std::string text;
};

const Case kCases[] = {
    {"Unreadable", UnreadableNote{"/sys/fs/cgroup/memory.max", EACCES},
     "cannot read /sys/fs/cgroup/memory.max: permission denied"},
    {"Unparsable", UnparsableNote{"/sys/fs/cgroup/memory.max", "", "lots"},
     "cannot parse /sys/fs/cgroup/memory.max: \"lots\""},
    {"UnparsableField",
     UnparsableNote{"/sys/fs/cgroup/memory/memory.stat", "hierarchical_memory_limit", "-1"},
     "cannot parse /sys/fs/cgroup/memory/memory.stat hierarchical_memory_limit: \"-1\""},
    {"CutFile", CutFileNote{"/proc/self/mountinfo", 16 << 20},
     "/proc/self/mountinfo is larger than 16 MiB: only its start was read, so what it says "
     "further on is not seen"},
    {"DeletedCgroup", DeletedCgroupNote{"/batch/job-1"}, "cgroup /batch/job-1 has been deleted"},
    {"OutsideMount", OutsideMountNote{"/a/b", "/a/c", "/sys/fs/cgroup"},
     "cgroup /a/b is not below the root /a/c of the cgroup mount at /sys/fs/cgroup"},
    {"NoUseHierarchy",
     NoUseHierarchyNote{"/sys/fs/cgroup/memory/a/memory.use_hierarchy", "/sys/fs/cgroup/memory/a"},
     "/sys/fs/cgroup/memory/a/memory.use_hierarchy is 0, so limits on /sys/fs/cgroup/memory/a and "
     "above do not apply"},
    {"NoHierarchicalLimit", NoHierarchicalLimitNote{"/sys/fs/cgroup/memory/memory.stat"},
     "no hierarchical_memory_limit in /sys/fs/cgroup/memory/memory.stat"},
    {"AncestorLimit", AncestorLimitNote{},
     "the binding limit is set on an ancestor cgroup above the visible hierarchy"},
    {"HiddenAncestorsOfANamespace", HiddenAncestorsNote{"/"},
     "cgroup namespace: limits set on ancestors above / are not visible"},
    {"HiddenAncestorsOfAMount", HiddenAncestorsNote{"/jobs"},
     "cgroup mount shows only /jobs and below: limits set on its ancestors are not visible"},
    {"NoMemoryMax", NoMemoryMaxNote{"/sys/fs/cgroup/a"},
     "no memory.max file in /sys/fs/cgroup/a or any visible ancestor"},
    {"V1NotMounted", V1NotMountedNote{false},
     "the cgroup v1 memory controller is in use but not mounted"},
    {"V1NotMountedInTheCutPart", V1NotMountedNote{true},
     "the cgroup v1 memory controller is in use but its mount is not in the part of "
     "/proc/self/mountinfo that was read"},
    {"NoMemoryMount", NoMemoryMountNote{},
     "no cgroup mount with the memory controller in the part of /proc/self/mountinfo that was "
     "read"},
    {"NoMemoryController", NoMemoryControllerNote{},
     "no mounted cgroup hierarchy has the memory controller"},
    {"NoCgroupFilesystem", NoCgroupFilesystemNote{}, "no cgroup filesystem is mounted"},
    {"PastPathMax", PastPathMaxNote{4200, 4096},
     "the cgroup directory is 4200 bytes long: the files of its levels past PATH_MAX (4096 "
     "bytes) were not read, so their limits are not known"},
    {"MoreNotes", MoreNotesNote{3}, "and 3 more problems like these"},
};

TEST(CgroupNoteText, WordsEachKind) {
  for (const Case& c : kCases) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(CgroupNoteText(c.note), c.text);
  }
}

TEST(CgroupNoteText, EveryKindHasACase) {
  std::vector<bool> seen(std::variant_size_v<CgroupNote>);
  for (const Case& c : kCases) seen[c.note.index()] = true;
  for (std::size_t i = 0; i < seen.size(); ++i) EXPECT_TRUE(seen[i]) << "kind " << i;
}

// A path and a content are what the host wrote: a newline or an ESC in them cannot forge a line
// or drive the terminal, and a long content is quoted in part.
TEST(CgroupNoteText, EscapesWhatItQuotes) {
  EXPECT_EQ(CgroupNoteText(DeletedCgroupNote{"/a\nrlimit-init: b\x1b[2J"}),
            "cgroup /a\\nrlimit-init: b\\x1b[2J has been deleted");
  EXPECT_EQ(CgroupNoteText(UnparsableNote{"/m/memory.max", "", std::string(100, '9') + "x"}),
            "cannot parse /m/memory.max: \"" + std::string(64, '9') + "... (101 bytes)\"");
}

TEST(CgroupNoteText, JsonListsTheTexts) {
  EXPECT_EQ(CgroupNotesJson({AncestorLimitNote{}, MoreNotesNote{2}}).dump(),
            "[\"the binding limit is set on an ancestor cgroup above the visible hierarchy\","
            "\"and 2 more problems like these\"]");
  EXPECT_EQ(CgroupNotesJson({}).dump(), "[]");
}

}  // namespace
}  // namespace rlimit_init

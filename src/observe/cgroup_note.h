// SPDX-License-Identifier: Apache-2.0
// What cgroup discovery (cgroup.h) found wrong, or why the memory limit is unknown, as data: one
// struct per kind with what it found (the file, the errno value, the content). The words are
// report/cgroup_note_text.cc's, written once there; paths and contents are kept as read and
// escaped where they are worded.
#pragma once

#include <cstddef>
#include <string>
#include <variant>

namespace rlimit_init {

/// A file could not be read: open or read failed with `error`, an errno value.
struct UnreadableNote {
  std::string path;
  int error = 0;
  bool operator==(const UnreadableNote&) const = default;
};

/// A limit file, or `field` of memory.stat, holds no limit: `content`, without the whitespace
/// around it.
struct UnparsableNote {
  std::string path;
  std::string field;  // "" for a file that is one value
  std::string content;
  bool operator==(const UnparsableNote&) const = default;
};

/// A file that grows with the host (mountinfo) is longer than `max_bytes`: only its start was
/// read.
struct CutFileNote {
  std::string path;
  std::size_t max_bytes = 0;
  bool operator==(const CutFileNote&) const = default;
};

/// /proc/self/cgroup says the cgroup has been deleted.
struct DeletedCgroupNote {
  std::string cgroup_path;
  bool operator==(const DeletedCgroupNote&) const = default;
};

/// The cgroup is not below the root of the mount that has its controller (automaxprocs calls
/// this "untranslatable"): its limit, or an ancestor's, may bind unseen.
struct OutsideMountNote {
  std::string cgroup_path;
  std::string root;
  std::string mount_point;
  bool operator==(const OutsideMountNote&) const = default;
};

/// cgroup v1 memory.use_hierarchy (at `path`) is 0 on `directory`: limits there and above do
/// not apply.
struct NoUseHierarchyNote {
  std::string path;
  std::string directory;
  bool operator==(const NoUseHierarchyNote&) const = default;
};

/// cgroup v1 memory.stat at `path` has no hierarchical_memory_limit.
struct NoHierarchicalLimitNote {
  std::string path;
  bool operator==(const NoHierarchicalLimitNote&) const = default;
};

/// Every visible limit file was read, and memory.stat's hierarchical_memory_limit is lower:
/// the binding limit is set on an ancestor above the visible hierarchy.
struct AncestorLimitNote {
  bool operator==(const AncestorLimitNote&) const = default;
};

/// The topmost visible cgroup v2 directory has memory.max, so the mount shows part of the tree
/// from `root` down ("/": a cgroup namespace): limits further up cannot be read.
struct HiddenAncestorsNote {
  std::string root;
  bool operator==(const HiddenAncestorsNote&) const = default;
};

/// No memory.max in `directory` or any visible ancestor (the controller is not enabled).
struct NoMemoryMaxNote {
  std::string directory;
  bool operator==(const NoMemoryMaxNote&) const = default;
};

/// /proc/self/cgroup has a cgroup v1 memory line but no mount has the controller, or none in
/// the part of mountinfo that was read (`mountinfo_cut`).
struct V1NotMountedNote {
  bool mountinfo_cut = false;
  bool operator==(const V1NotMountedNote&) const = default;
};

/// mountinfo was cut and its part that was read has no mount with the memory controller.
struct NoMemoryMountNote {
  bool operator==(const NoMemoryMountNote&) const = default;
};

/// cgroup hierarchies are mounted and none has the memory controller: no limit.
struct NoMemoryControllerNote {
  bool operator==(const NoMemoryControllerNote&) const = default;
};

/// No cgroup or cgroup2 filesystem is mounted (a container without /sys/fs/cgroup).
struct NoCgroupFilesystemNote {
  bool operator==(const NoCgroupFilesystemNote&) const = default;
};

/// The cgroup directory is `directory_bytes` long: the files of its levels past `path_max`
/// bytes could not be opened by name, so their limits are not known.
struct PastPathMaxNote {
  std::size_t directory_bytes = 0;
  std::size_t path_max = 0;
  bool operator==(const PastPathMaxNote&) const = default;
};

/// `count` more notes were found and left out.
struct MoreNotesNote {
  std::size_t count = 0;
  bool operator==(const MoreNotesNote&) const = default;
};

/// One note. The alternative says the kind; its members what was found.
using CgroupNote =
    std::variant<UnreadableNote, UnparsableNote, CutFileNote, DeletedCgroupNote, OutsideMountNote,
                 NoUseHierarchyNote, NoHierarchicalLimitNote, AncestorLimitNote,
                 HiddenAncestorsNote, NoMemoryMaxNote, V1NotMountedNote, NoMemoryMountNote,
                 NoMemoryControllerNote, NoCgroupFilesystemNote, PastPathMaxNote, MoreNotesNote>;

}  // namespace rlimit_init

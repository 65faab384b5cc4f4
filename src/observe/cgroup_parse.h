// SPDX-License-Identifier: Apache-2.0
// The pure parsers of cgroup and mountinfo text; discovery (file reads) is cgroup.h's.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rlimit_init {

/// One line of /proc/self/cgroup: "hierarchy-ID:controller-list:cgroup-path".
struct ProcCgroupEntry {
  int hierarchy_id = 0;
  std::vector<std::string> controllers;  // empty for the v2 line "0::/..."
  std::string path;                      // " (deleted)" suffix removed, see `deleted`
  bool deleted = false;
};

/// One line of /proc/self/mountinfo, with octal escapes (\040 etc.) decoded.
struct MountInfo {
  std::string root;                        // field 4: root of the mount within the filesystem
  std::string mount_point;                 // field 5
  std::string fs_type;                     // after the " - " separator
  std::vector<std::string> super_options;  // last field, split on ','
};

/// `text` without leading and trailing whitespace.
std::string_view TrimWhitespace(std::string_view text);

/// Parses /proc/self/cgroup text. Malformed lines are skipped.
std::vector<ProcCgroupEntry> ParseProcCgroup(std::string_view text);

/// Parses /proc/self/mountinfo text. Malformed lines are skipped.
std::vector<MountInfo> ParseMountInfo(std::string_view text);

/// The mounts cgroup discovery can use, in mountinfo order.
struct CgroupMounts {
  std::vector<MountInfo> v1_memory;  // fs type "cgroup" with the memory controller
  std::vector<MountInfo> v2;         // fs type "cgroup2"
  bool any = false;                  // whether any cgroup or cgroup2 filesystem is mounted
};

/// mountinfo has a line per mount; hosts with tens of thousands of mounts exist (12,000 mounts
/// are about 1.5 MiB). Past this it is cut, and the report says so.
inline constexpr std::size_t kMaxMountInfoBytes = 16 << 20;

/// Parses /proc/self/mountinfo text as ParseMountInfo does, keeping only the mounts above: a
/// host has dozens of others, and skipping them without copying their fields is most of what
/// reading mountinfo costs.
CgroupMounts ParseCgroupMounts(std::string_view text);

/// Parses a cgroup limit file value: "max" (v2) or a decimal byte count (v1). cgroup v1 reports
/// "no limit" as PAGE_COUNTER_MAX * page size, which depends on the page size; that sentinel
/// (and anything above it) returns kUnlimited. Garbage returns nullopt.
std::optional<std::uint64_t> ParseCgroupLimit(std::string_view text, std::uint64_t page_size);

/// cgroup v1's "no limit" value for `page_size`: PAGE_COUNTER_MAX (LONG_MAX / page size) pages.
/// 9223372036854771712 for 4 KiB pages, 9223372036854710272 for 64 KiB pages.
std::uint64_t CgroupV1NoLimit(std::uint64_t page_size);

/// The value of `key` in a flat-keyed file such as memory.stat ("key value" per line), or
/// nullopt when the key is absent.
std::optional<std::string_view> FindFlatKeyedValue(std::string_view text, std::string_view key);

/// Where `cgroup_path` lies below a mount's `root`: "" for the root itself, "/a/b" for a
/// descendant, nullopt when it is not below root (including paths that climb out with "..",
/// as a cgroup namespace shows cgroups outside it).
std::optional<std::string> CgroupPathBelowRoot(std::string_view cgroup_path, std::string_view root);

/// Whether a cgroup path has a ".." component (a cgroup namespace shows cgroups outside it so).
bool ClimbsOut(std::string_view cgroup_path);

/// Whether `cgroup_path` is `root` or below it, by its components; ignores "..", see ClimbsOut.
/// Costs the length of `root`, not of the path, so it can be asked of every mount.
bool IsAtOrBelowRoot(std::string_view cgroup_path, std::string_view root);

/// Of the mounts of one hierarchy, the one whose root lies above the cgroup and is shortest, so
/// that the most ancestors are visible. Falls back to the first mount, to say why it fails;
/// nullptr when there is none. Linear in the size of mountinfo: the cgroup path is scanned
/// once, not once per mount.
const MountInfo* ChooseMount(const std::vector<MountInfo>& mounts, const ProcCgroupEntry& entry);

/// The directory of a cgroup `below` the root of `mount` (CgroupPathBelowRoot's answer).
std::string MountedDirectory(const MountInfo& mount, std::string_view below);

enum class CgroupVersion { kNone, kV1, kV2 };

/// "none", "v1" or "v2", as reports and JSON show it.
const char* CgroupVersionName(CgroupVersion version);

}  // namespace rlimit_init

// SPDX-License-Identifier: Apache-2.0
// Finds the effective cgroup memory limit of this process: /proc/self/cgroup names the cgroup,
// /proc/self/mountinfo says where each hierarchy is mounted and from which root, and the limit
// is the tightest one over the cgroup and every ancestor that is visible.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/limit.h"
#include "observe/cgroup_note.h"
#include "observe/cgroup_parse.h"

namespace rlimit_init {

class System;

struct CgroupMemory {
  CgroupVersion version = CgroupVersion::kNone;
  /// Effective limit: the minimum over the process's cgroup and its visible ancestors (v1 also
  /// memory.stat hierarchical_memory_limit). kUnlimited when nothing limits.
  std::uint64_t limit = kUnlimited;
  /// The host path of the file the binding limit was read from, e.g.
  /// "/sys/fs/cgroup/memory/job/memory.limit_in_bytes"; empty when unlimited. When cgroup v1's
  /// memory.stat is lower than every visible limit file, the path and the field:
  /// "/sys/fs/cgroup/memory/memory.stat hierarchical_memory_limit".
  std::string limit_source;
  /// Whether limit_source is v1 memory.stat's hierarchical_memory_limit: the limit is set on
  /// an ancestor the mount does not show (or in a limit file that could not be read), so no
  /// file under the mount can be written to change it.
  bool limit_from_hierarchy_stat = false;
  /// cgroup v2 memory.high (minimum over the visible hierarchy); kUnlimited when none or v1.
  std::uint64_t high = kUnlimited;
  std::string high_source;
  /// v2 memory.swap.max of the leaf, v1 memory.memsw.limit_in_bytes; kUnlimited when none.
  /// On v1 this bounds memory plus swap together (minimum over the visible hierarchy and
  /// memory.stat's hierarchical_memsw_limit); on v2 it bounds swap alone.
  std::uint64_t swap_max = kUnlimited;
  /// The cgroup path from /proc/self/cgroup, and the directory it was translated to.
  std::string cgroup_path;
  std::string directory;
  /// The memory controller's cgroup path in /proc/self/cgroup (the v1 memory line, else the
  /// v2 line), whether or not a mount shows it: the layer is read from it, and a container
  /// without /sys/fs/cgroup still says kubepods and its runtime there.
  std::string proc_path;
  /// /proc/self/cgroup as read, empty when it could not be: the address-space budget reads
  /// the CPU quota from the same lines (ObserveBudgetHost).
  std::vector<ProcCgroupEntry> proc_cgroup;
  /// Why the limit is not known (a file, cgroup or mount), e.g. OutsideMountNote; nullopt when
  /// it is known. A limit may be set that rlimit-init cannot see: /proc/self/cgroup or
  /// mountinfo unreadable, a cgroup the mounts do not show, a controller in use but not
  /// mounted. `limit` is then kUnlimited and means nothing. A host where the memory controller
  /// is not in use (no hierarchy has it) has no limit, not an unknown one.
  std::optional<CgroupNote> unknown;
  bool known() const { return !unknown; }
  /// Facts the report must pass on, e.g. HiddenAncestorsNote{"/"} (a cgroup namespace).
  std::vector<CgroupNote> notes;
};

/// Reads /proc/self/cgroup, /proc/self/mountinfo and the cgroup files through `system`.
/// Never fails: what makes the limit unknown is `unknown`, other problems become notes.
CgroupMemory DiscoverCgroupMemory(System& system);

}  // namespace rlimit_init

// SPDX-License-Identifier: Apache-2.0
#include "observe/cgroup_peak.h"

#include <climits>
#include <string>
#include <string_view>
#include <utility>

#include "os/system.h"

namespace rlimit_init {
namespace {

const char* PeakFile(CgroupVersion version) {
  return version == CgroupVersion::kV2 ? "memory.peak" : "memory.max_usage_in_bytes";
}

// CgroupPeak or TasksPeak, saying why there is no peak.
template <typename Peak>
Peak Missing(CgroupPeakMissing why, std::string path, int others = 0) {
  Peak peak;
  peak.missing = why;
  peak.path = std::move(path);
  peak.others = others;
  return peak;
}

// Whether `directory`'s cgroup.procs lists no process but `own_pid`.
template <typename Peak>
Peak AloneIn(System& system, const std::string& directory, int own_pid) {
  if (directory.empty()) return Missing<Peak>(CgroupPeakMissing::kNoDirectory, "");
  const std::string procs_path = directory + "/cgroup.procs";
  ReadResult procs = system.ReadHostFile(procs_path);
  if (!procs.ok) return Missing<Peak>(CgroupPeakMissing::kUnreadable, procs_path);
  int others = 0;
  std::string_view rest = procs.data;
  const std::string own = std::to_string(own_pid);
  while (!rest.empty()) {
    const std::size_t newline = rest.find('\n');
    std::string_view line = TrimWhitespace(rest.substr(0, newline));
    rest = newline == rest.npos ? "" : rest.substr(newline + 1);
    if (!line.empty() && line != own) ++others;
  }
  if (others == 0) return {};
  return Missing<Peak>(CgroupPeakMissing::kShared, directory, others);
}

}  // namespace

CgroupPeak CgroupAlone(System& system, const CgroupMemory& memory, int own_pid) {
  if (memory.version == CgroupVersion::kNone) {
    return Missing<CgroupPeak>(CgroupPeakMissing::kNoDirectory, "");
  }
  return AloneIn<CgroupPeak>(system, memory.directory, own_pid);
}

CgroupPeak ReadCgroupPeak(System& system, const CgroupMemory& memory, const CgroupPeak& alone) {
  if (alone.missing != CgroupPeakMissing::kNone) return alone;
  const std::string path = memory.directory + "/" + PeakFile(memory.version);
  ReadResult file = system.ReadHostFile(path);
  std::optional<std::uint64_t> bytes;
  if (file.ok) bytes = ParseCgroupLimit(file.data, system.PageSize());
  if (!bytes || *bytes == kUnlimited) {
    return Missing<CgroupPeak>(CgroupPeakMissing::kUnreadable, path);
  }
  CgroupPeak peak;
  peak.bytes = bytes;
  peak.source = path;
  return peak;
}

CgroupPids FindCgroupPids(System& system, const std::vector<ProcCgroupEntry>& proc_cgroup) {
  const ProcCgroupEntry* v1_entry = nullptr;
  const ProcCgroupEntry* v2_entry = nullptr;
  for (const ProcCgroupEntry& entry : proc_cgroup) {
    for (const std::string& controller : entry.controllers) {
      if (controller == "pids") v1_entry = &entry;
    }
    if (entry.hierarchy_id == 0 && entry.controllers.empty()) v2_entry = &entry;
  }
  if (v1_entry == nullptr && v2_entry == nullptr) return {};
  // mountinfo is parsed whole here, by the parser cgroup discovery's own is built on: measure
  // reads it once, and a run (which must stay cheap) never does.
  ReadResult mountinfo = system.ReadHostFileUpTo("/proc/self/mountinfo", kMaxMountInfoBytes);
  if (!mountinfo.ok) return {};
  std::vector<MountInfo> mounts;
  // As for memory, a controller is bound to one hierarchy at a time: where v1 has pids, the
  // cgroup2 tree beside it has none, so v1 decides.
  const ProcCgroupEntry& entry = v1_entry != nullptr ? *v1_entry : *v2_entry;
  for (MountInfo& mount : ParseMountInfo(mountinfo.data)) {
    bool fits = false;
    if (v1_entry != nullptr) {
      if (mount.fs_type != "cgroup") continue;
      for (const std::string& option : mount.super_options) fits = fits || option == "pids";
    } else {
      fits = mount.fs_type == "cgroup2";
    }
    if (fits) mounts.push_back(std::move(mount));
  }
  const MountInfo* mount = ChooseMount(mounts, entry);
  if (mount == nullptr) return {};
  const std::optional<std::string> below = CgroupPathBelowRoot(entry.path, mount->root);
  if (!below) return {};
  return {v1_entry != nullptr ? CgroupVersion::kV1 : CgroupVersion::kV2,
          MountedDirectory(*mount, *below)};
}

TasksPeak PidsAlone(System& system, const CgroupPids& pids, int own_pid) {
  TasksPeak alone = AloneIn<TasksPeak>(system, pids.directory, own_pid);
  if (alone.missing != CgroupPeakMissing::kNone) return alone;
  // pids.peak counts the tasks of the cgroups below this one too, which its cgroup.procs does
  // not list; pids.current counts them all, and must be rlimit-init's one task. Where it
  // cannot be read, neither can pids.peak, and reading that says so.
  ReadResult current = system.ReadHostFile(pids.directory + "/pids.current");
  std::optional<std::uint64_t> tasks;
  if (current.ok) tasks = ParseCgroupLimit(current.data, system.PageSize());
  if (tasks && *tasks > 1 && *tasks <= static_cast<std::uint64_t>(INT_MAX)) {
    return Missing<TasksPeak>(CgroupPeakMissing::kOtherTasks, pids.directory,
                              static_cast<int>(*tasks - 1));
  }
  return alone;
}

TasksPeak ReadPidsPeak(System& system, const CgroupPids& pids, const TasksPeak& alone) {
  if (alone.missing != CgroupPeakMissing::kNone) return alone;
  const std::string path = pids.directory + "/pids.peak";
  ReadResult file = system.ReadHostFile(path);
  std::optional<std::uint64_t> peak;
  if (file.ok) peak = ParseCgroupLimit(file.data, system.PageSize());
  // rlimit-init's own task was in the cgroup all along, so the peak is at least 1. It has one
  // task: nothing in rlimit-init starts a thread (measure waits for the job in one loop, and
  // its only fork is the workload's), so one task, no more, is taken off.
  if (!peak || *peak < 1 || *peak > static_cast<std::uint64_t>(INT_MAX)) {
    return Missing<TasksPeak>(CgroupPeakMissing::kUnreadable, path);
  }
  TasksPeak tasks;
  tasks.tasks = static_cast<int>(*peak - 1);
  tasks.source = path;
  return tasks;
}

}  // namespace rlimit_init

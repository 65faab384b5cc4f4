// SPDX-License-Identifier: Apache-2.0
// The job's own cgroup peaks for `measure`, of memory and of tasks: only a cgroup that holds the
// job alone says what the job used, so a peak is read only when rlimit-init is the one process
// in its cgroup as the job starts (a container's entrypoint, a unit or a Slurm step of its own).
// rlimit-init makes no cgroup of its own for it: it writes nothing outside the files it is
// given. A peak is the cgroup's over its whole life, so one set before rlimit-init started (by
// an entrypoint that ran something else first) stands in it: it can only be above the job's,
// which errs on the side of the job. Data only: the report words why a peak was not read
// (report/measure_report.cc).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "observe/cgroup.h"
#include "observe/cgroup_parse.h"

namespace rlimit_init {

class System;

/// Why the cgroup gives no peak of the job's own.
enum class CgroupPeakMissing {
  kNone,         // it gives one (or, before the job, nothing stands in the way)
  kNoDirectory,  // no directory of the controller (memory, pids) was found for this process
  kUnreadable,   // `path`: cgroup.procs, or the peak file (memory.peak came with Linux 5.19,
                 // pids.peak with 6.1; on v2 pids.peak exists only where the parent enables
                 // the pids controller, never in the root cgroup)
  kShared,       // the cgroup `path` held `others` other processes when the job started
  kOtherTasks,   // pids only: the cgroup `path` and those below it held `others` other tasks
};

/// The cgroup's own peak, or why there is none.
struct CgroupPeak {
  std::optional<std::uint64_t> bytes;
  std::string source;  // the file it was read from
  CgroupPeakMissing missing = CgroupPeakMissing::kNone;
  std::string path;  // kUnreadable: the file; kShared: the cgroup's directory
  int others = 0;    // kShared: how many other processes it held
};

/// Whether the cgroup this process is in can give the job's own peak (`missing` kNone when it
/// can: no other process is in it). Read before the workload starts.
CgroupPeak CgroupAlone(System& system, const CgroupMemory& memory, int own_pid);

/// The job's cgroup peak (v2 memory.peak, v1 memory.max_usage_in_bytes) when `alone` says the
/// cgroup held the job alone, else `alone`.
CgroupPeak ReadCgroupPeak(System& system, const CgroupMemory& memory, const CgroupPeak& alone);

/// The pids controller's cgroup of this process: the v1 hierarchy with the pids controller,
/// else the unified (v2) one. `directory` is empty when none was found.
struct CgroupPids {
  CgroupVersion version = CgroupVersion::kNone;
  std::string directory;
};

/// Finds it from /proc/self/cgroup as cgroup discovery parsed it (CgroupMemory::proc_cgroup)
/// and /proc/self/mountinfo, choosing the mount as discovery does for the memory controller.
/// For measure only: a run never reads it.
CgroupPids FindCgroupPids(System& system, const std::vector<ProcCgroupEntry>& proc_cgroup);

/// The most tasks (processes and threads) the job had alive at once, from its own pids cgroup,
/// or why there is none (`missing`, `path`, `others` as CgroupPeak's).
struct TasksPeak {
  std::optional<int> tasks;  // pids.peak less rlimit-init's own task
  std::string source;        // the pids.peak file
  CgroupPeakMissing missing = CgroupPeakMissing::kNone;
  std::string path;
  int others = 0;
};

/// CgroupAlone for the pids controller's cgroup, which must also count no task but
/// rlimit-init's own in pids.current (its cgroup.procs does not list the tasks of the cgroups
/// below it). Read before the workload starts.
TasksPeak PidsAlone(System& system, const CgroupPids& pids, int own_pid);

/// The job's most tasks at once when `alone` says the pids cgroup held the job alone (v1 and
/// v2 pids.peak: the most tasks the cgroup and its descendants held at once), else `alone`.
TasksPeak ReadPidsPeak(System& system, const CgroupPids& pids, const TasksPeak& alone);

}  // namespace rlimit_init

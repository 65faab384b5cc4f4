// SPDX-License-Identifier: Apache-2.0
// The job's own cgroup peak for `measure`: only a cgroup that holds the job alone says what the
// job used, so the peak is read only when rlimit-init is the one process in its cgroup as the
// job starts (a container's entrypoint, a unit or a Slurm step of its own). rlimit-init makes no
// cgroup of its own for it: it writes nothing outside the files it is given. Data only: the
// report words why a peak was not read (report/measure_report.cc).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "observe/cgroup.h"

namespace rlimit_init {

class System;

/// Why the cgroup gives no peak of the job's own.
enum class CgroupPeakMissing {
  kNone,         // it gives one (or, before the job, nothing stands in the way)
  kNoDirectory,  // no cgroup memory controller directory was found for this process
  kUnreadable,   // `path` (cgroup.procs, or the peak file: memory.peak came with Linux 5.19)
  kShared,       // the cgroup `path` held `others` other processes when the job started
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

}  // namespace rlimit_init

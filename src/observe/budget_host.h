// SPDX-License-Identifier: Apache-2.0
// Observes what the address-space budget needs, through the System seam: the affinity mask,
// the cgroup CPU quota, GPU device nodes and the runtime variables the workload inherits.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "observe/cgroup.h"

namespace rlimit_init {

class System;

/// The environment variables the budget reads, as the workload will see them.
inline constexpr std::string_view kBudgetVariables[] = {
    "MALLOC_ARENA_MAX", "GLIBC_TUNABLES", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS"};

/// What budget_host.cc observes, the inputs the estimate needs besides the limits.
struct BudgetHost {
  /// CPUs in the affinity mask (sched_getaffinity); 0 when it could not be read. glibc
  /// (__get_nprocs_sched, 2.35 and later) and OpenBLAS (get_num_procs) count these.
  unsigned affinity_cpus = 0;
  /// The CPU quota in whole CPUs, rounded up, the tightest over the cgroup and its visible
  /// ancestors (v1 cpu.cfs_quota_us / cpu.cfs_period_us, v2 cpu.max); nullopt when none.
  std::optional<unsigned> quota_cpus;
  std::string quota_source;  // the file the binding quota was read from
  /// GPU device nodes found in /dev ("/dev/nvidia0"), the lowest name first.
  std::vector<std::string> gpu_devices;
  /// The inherited values of kBudgetVariables, in that order; nullopt when unset.
  std::optional<std::string> inherited[std::size(kBudgetVariables)];
};

/// Parses a cgroup v1 cpu.cfs_quota_us and cpu.cfs_period_us pair, or a v2 cpu.max line
/// ("max 100000", "150000 100000"), into whole CPUs rounded up; nullopt for no quota or garbage.
std::optional<unsigned> QuotaCpus(std::string_view quota, std::string_view period);
std::optional<unsigned> CpuMaxCpus(std::string_view cpu_max);

/// Never fails: what cannot be read stays unknown (0 CPUs, no quota, no devices).
BudgetHost ObserveBudgetHost(System& system);

/// The same with /proc/self/cgroup as cgroup discovery parsed it (CgroupMemory::proc_cgroup),
/// which Observe passes on rather than read and parse the file twice.
BudgetHost ObserveBudgetHost(System& system, const std::vector<ProcCgroupEntry>& proc_cgroup);

}  // namespace rlimit_init

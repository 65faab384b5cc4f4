// SPDX-License-Identifier: Apache-2.0
// What the run had that sets how much memory a job's threads take, read before it starts.
#pragma once

#include <optional>
#include <string>

namespace rlimit_init {

class System;

/// What the run had that sets how much memory a job's threads take: the CPUs glibc, OpenMP and
/// OpenBLAS size themselves by, and the variables that override them (nullopt: not set).
struct RunSettings {
  unsigned online_cpus = 0;    // /sys/devices/system/cpu/online: glibc 2.36 makes up to 8
                               // malloc arenas per CPU counted there
  unsigned affinity_cpus = 0;  // the affinity mask: OpenMP and OpenBLAS start a thread per CPU
  std::optional<std::string> malloc_arena_max, glibc_tunables, omp_num_threads,
      openblas_num_threads;
};

/// Reads the run's settings (before the workload starts, with the policy's env: applied).
RunSettings ObserveRunSettings(System& system);

}  // namespace rlimit_init

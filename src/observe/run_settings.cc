// SPDX-License-Identifier: Apache-2.0
// What the run had that the job's threads and arenas follow, read the way the job will see it.
#include "observe/run_settings.h"

#include <utility>

#include "observe/proc_text.h"
#include "os/system.h"

namespace rlimit_init {

RunSettings ObserveRunSettings(System& system) {
  RunSettings settings;
  ReadResult online = system.ReadHostFile("/sys/devices/system/cpu/online");
  if (online.ok) settings.online_cpus = CountCpuList(online.data).value_or(0);
  settings.affinity_cpus = system.AffinityCpuCount();
  const std::pair<const char*, std::optional<std::string>*> variables[] = {
      {"MALLOC_ARENA_MAX", &settings.malloc_arena_max},
      {"GLIBC_TUNABLES", &settings.glibc_tunables},
      {"OMP_NUM_THREADS", &settings.omp_num_threads},
      {"OPENBLAS_NUM_THREADS", &settings.openblas_num_threads}};
  for (const auto& [name, value] : variables) {
    if (const char* set = system.GetEnv(name)) *value = set;
  }
  return settings;
}

}  // namespace rlimit_init

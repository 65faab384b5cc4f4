// SPDX-License-Identifier: Apache-2.0
// The job's own cgroup peak for `measure`: only a cgroup that holds the job alone says what the
// job used, so the peak is read only when rlimit-init is the one process in its cgroup as the
// job starts (a container's entrypoint, a unit or a Slurm step of its own). rlimit-init makes no
// cgroup of its own for it: it writes nothing outside the files it is given. Also what the run
// had that the job's threads and arenas follow (ObserveRunSettings), read the same way.
#include <string>

#include "run/measure.h"
#include "os/system.h"

namespace rlimit_init {
namespace {

const char* PeakFile(CgroupVersion version) {
  return version == CgroupVersion::kV2 ? "memory.peak" : "memory.max_usage_in_bytes";
}

}  // namespace

std::string CgroupSharedNote(System& system, const CgroupMemory& memory, int own_pid) {
  if (memory.version == CgroupVersion::kNone || memory.directory.empty()) {
    return "no cgroup memory controller directory was found for this process";
  }
  const std::string procs_path = memory.directory + "/cgroup.procs";
  ReadResult procs = system.ReadHostFile(procs_path);
  if (!procs.ok) return "cannot read " + procs_path;
  int others = 0;
  std::string_view rest = procs.data;
  const std::string own = std::to_string(own_pid);
  while (!rest.empty()) {
    const std::size_t newline = rest.find('\n');
    std::string_view line = TrimWhitespace(rest.substr(0, newline));
    rest = newline == rest.npos ? "" : rest.substr(newline + 1);
    if (!line.empty() && line != own) ++others;
  }
  if (others == 0) return "";
  return "the cgroup " + memory.directory + " held " + std::to_string(others) +
         (others == 1 ? " other process" : " other processes") +
         " when the job started, so its peak is not the job's (run measure as the only process "
         "of a cgroup, such as a container's entrypoint, to get it)";
}

CgroupPeak ReadCgroupPeak(System& system, const CgroupMemory& memory,
                          const std::string& shared_note) {
  CgroupPeak peak;
  if (!shared_note.empty()) {
    peak.note = shared_note;
    return peak;
  }
  const std::string path = memory.directory + "/" + PeakFile(memory.version);
  ReadResult file = system.ReadHostFile(path);
  std::optional<std::uint64_t> bytes;
  if (file.ok) bytes = ParseCgroupLimit(file.data, system.PageSize());
  if (!bytes || *bytes == kUnlimited) {
    // memory.peak came with Linux 5.19.
    peak.note = "cannot read " + path;
    return peak;
  }
  peak.bytes = bytes;
  peak.source = path;
  return peak;
}

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

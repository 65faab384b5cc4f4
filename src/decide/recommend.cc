// SPDX-License-Identifier: Apache-2.0
#include "decide/recommend.h"

#include "base/limit.h"

namespace rlimit_init {
namespace {

constexpr std::uint64_t kMiB = 1ull << 20;

std::uint64_t RoundUp(std::uint64_t value, std::uint64_t step) {
  return (value + step - 1) / step * step;
}

std::uint64_t WithHeadroom(std::uint64_t value) {
  return value + (value * kHeadroomPercent + 99) / 100;
}

}  // namespace

std::optional<Recommendation> Recommend(const Usage& usage,
                                        std::optional<std::uint64_t> cgroup_peak,
                                        const RunSettings& settings) {
  if (usage.processes == 0) return std::nullopt;
  Recommendation r;
  r.request = RoundUp(WithHeadroom(usage.vm_peak.value), kRequestStep);
  // A sanitizer's shadow memory is a fixed reservation (AddressSanitizer's: 20 TiB + 35 MiB
  // least, docs/runtimes.md): the peak + 25% is no grant it is ever meant to run under.
  if (usage.runtime && usage.runtime->runtime.sanitizer()) r.request = kUnlimited;
  r.minimum = RoundUp(usage.vm_peak.value, kMiB);
  r.require_from_cgroup = cgroup_peak.has_value();
  r.require = RoundUp(cgroup_peak.value_or(usage.vm_hwm.value), kMiB);
  // Counts never below one step: a minimum of 0 descriptors would be no use to anyone.
  r.nofile = RoundUp(WithHeadroom(usage.fds.value) | 1, kCountStep);
  r.nproc = RoundUp(WithHeadroom(static_cast<std::uint64_t>(usage.tasks_at_once)) | 1,
                    kCountStep);
  // The peaks hold where as many arenas and threads are made as here. glibc's cap is 8 arenas
  // per online CPU on 64-bit unless MALLOC_ARENA_MAX (or glibc.malloc.arena_max, which wins)
  // says otherwise; OpenMP starts a thread per CPU of the affinity mask unless OMP_NUM_THREADS
  // says, and OpenBLAS reads OPENBLAS_NUM_THREADS, then OMP_NUM_THREADS.
  const std::string affinity = std::to_string(settings.affinity_cpus);
  if (settings.glibc_tunables) {
    r.env.push_back({"GLIBC_TUNABLES", *settings.glibc_tunables, PinReason::kAsRun});
  }
  if (settings.malloc_arena_max) {
    r.env.push_back({"MALLOC_ARENA_MAX", *settings.malloc_arena_max, PinReason::kAsRun});
  } else if (settings.online_cpus > 0) {
    r.env.push_back({"MALLOC_ARENA_MAX", std::to_string(8 * settings.online_cpus),
                     PinReason::kArenaCap, settings.online_cpus});
  }
  if (settings.omp_num_threads) {
    r.env.push_back({"OMP_NUM_THREADS", *settings.omp_num_threads, PinReason::kAsRun});
  } else if (settings.affinity_cpus > 0) {
    r.env.push_back({"OMP_NUM_THREADS", affinity, PinReason::kOpenMpAffinity});
  }
  if (settings.openblas_num_threads) {
    r.env.push_back({"OPENBLAS_NUM_THREADS", *settings.openblas_num_threads, PinReason::kAsRun});
  } else if (settings.omp_num_threads) {
    r.env.push_back({"OPENBLAS_NUM_THREADS", *settings.omp_num_threads,
                     PinReason::kOpenBlasFromOpenMp});
  } else if (settings.affinity_cpus > 0) {
    r.env.push_back({"OPENBLAS_NUM_THREADS", affinity, PinReason::kOpenBlasAffinity});
  }
  return r;
}

}  // namespace rlimit_init

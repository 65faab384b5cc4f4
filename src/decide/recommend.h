// SPDX-License-Identifier: Apache-2.0
// The policy a `measure` run recommends, from its usage and settings. Pure; worded by
// report/measure_report.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "decide/usage.h"
#include "observe/run_settings.h"

namespace rlimit_init {

/// The headroom added to the largest peak for addressSpace.request, and the step it is rounded
/// up to: both stated in the report and in the recommended policy.
inline constexpr unsigned kHeadroomPercent = 25;
inline constexpr std::uint64_t kRequestStep = 64ull << 20;
inline constexpr std::uint64_t kCountStep = 64;

/// Why a pinned variable has its value (worded by report/measure_report.cc).
enum class PinReason {
  kAsRun,               // the run had it set so
  kArenaCap,            // glibc's cap: 8 arenas x `cpus` online CPUs
  kOpenMpAffinity,      // OpenMP's threads: one per CPU of the affinity mask
  kOpenBlasFromOpenMp,  // OpenBLAS's threads: OMP_NUM_THREADS
  kOpenBlasAffinity,    // OpenBLAS's threads: one per CPU of the affinity mask
};

/// A variable the recommended policy pins in env:, and why it has that value.
struct PinnedVariable {
  std::string name;
  std::string value;
  PinReason reason = PinReason::kAsRun;
  unsigned cpus = 0;  // kArenaCap: the online CPUs
};

/// The policy a run recommends.
struct Recommendation {
  std::uint64_t request = 0;  // addressSpace.request; kUnlimited for a sanitizer build
  std::uint64_t minimum = 0;  // addressSpace.minimum: the peak, to the MiB
  std::uint64_t require = 0;  // memory.require: the resident peak, to the MiB
  bool require_from_cgroup = false;
  // limits.nofile and limits.nproc: what the run needed with the headroom, as both the request
  // and the minimum: a soft limit at or above it is kept without a word, a hard limit below it
  // refuses the job before it starts. Never this machine's own limits.
  std::uint64_t nofile = 0;
  std::uint64_t nproc = 0;
  // env: the run's thread and arena settings, pinned so that the peaks hold on a node with more
  // CPUs than the one measured on.
  std::vector<PinnedVariable> env;
};

/// Nothing when no process was measured. `cgroup_peak` is the job's own cgroup's peak, which
/// memory.require then comes from.
std::optional<Recommendation> Recommend(const Usage& usage,
                                        std::optional<std::uint64_t> cgroup_peak,
                                        const RunSettings& settings);

}  // namespace rlimit_init

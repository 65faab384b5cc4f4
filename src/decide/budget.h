// SPDX-License-Identifier: Apache-2.0
// The address-space budget: under a finite RLIMIT_AS, what a threaded runtime reserves before
// the job stores any data. Pure: it is fed what budget_host.cc observed and the policy's env.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "observe/budget_host.h"
#include "policy/policy.h"

namespace rlimit_init {

/// What glibc reserves per malloc arena other than the main one: HEAP_MAX_SIZE, which is
/// 2 * DEFAULT_MMAP_THRESHOLD_MAX = 2 * 4 MiB * sizeof(long) on 64-bit (glibc malloc/arena.c).
inline constexpr std::uint64_t kArenaReservation = 64ULL << 20;
/// glibc's thread stack size when RLIMIT_STACK is unlimited: ARCH_STACK_DEFAULT_SIZE, 2 MiB on
/// x86-64 and aarch64 (sysdeps/.../nptl/pthreaddef.h, read in __pthread_early_init).
inline constexpr std::uint64_t kDefaultThreadStack = 2ULL << 20;

/// What OpenBLAS maps per worker thread at start (blas_thread_server's blas_memory_alloc):
/// BUFFER_SIZE, 128 MiB in Debian bookworm's libopenblas0-pthread 0.3.21 (measured: a 128 MiB
/// anonymous mapping per thread after `import numpy`; OpenBLAS's own x86-64 default is 32 MiB).
inline constexpr std::uint64_t kBlasBuffer = 128ULL << 20;

/// The estimate, every number the warning quotes.
struct Budget {
  unsigned cpus = 0;           // the CPUs the runtimes count (the affinity mask)
  unsigned usable_cpus = 0;    // the lower of that and the quota: what the job can use
  unsigned threads = 0;        // a thread per CPU, or OPENBLAS_NUM_THREADS / OMP_NUM_THREADS
  /// The variable that set `threads` (an index into kBudgetVariables) and its value as the
  /// workload sees it; nullopt: one thread per CPU of the affinity mask.
  std::optional<std::size_t> threads_variable;
  std::string threads_value;
  unsigned arena_limit = 0;    // MALLOC_ARENA_MAX or glibc.malloc.arena_max, else 8 x cpus
  /// What set `arena_limit`: 0 MALLOC_ARENA_MAX (with its value as written in arenas_value),
  /// 1 GLIBC_TUNABLES' glibc.malloc.arena_max; nullopt: glibc's 8 arenas per CPU.
  std::optional<std::size_t> arenas_variable;
  std::string arenas_value;
  std::uint64_t stack = 0;     // each thread's stack reservation
  std::uint64_t reserved = 0;  // stacks and BLAS buffers of the threads but the first
  unsigned fitting_threads = 0;  // the most threads whose reservation is under half the grant
  bool operator==(const Budget&) const = default;
};

/// The threads' reservations take more than half of a finite grant.
struct ThreadsWarning {
  Budget budget;
  std::uint64_t grant = 0;
  bool stack_unlimited = false;  // budget.stack is glibc's default under an unlimited RLIMIT_STACK
  bool set_arenas = false;       // the fix sets MALLOC_ARENA_MAX to 2
  unsigned set_threads = 1;      // and OPENBLAS_NUM_THREADS to this
  std::uint64_t least_grant = 0;  // or the grant that holds the reservation twice
  bool operator==(const ThreadsWarning&) const = default;
};

/// A GPU device node (BudgetHost::gpu_devices' first) under a finite grant: CUDA fails.
struct GpuWarning {
  std::uint64_t grant = 0;
  bool operator==(const GpuWarning&) const = default;
};

/// Pure. The workload's malloc arena limit, MALLOC_ARENA_MAX or glibc.malloc.arena_max (the
/// larger when both are set); 0 when neither is.
unsigned ArenaMax(const BudgetHost& host, const EnvSettings& env);

/// Pure. The reservations of a runtime that starts a thread per CPU, as the workload's
/// environment (the inherited one with `env` over it) and `stack_soft` (RLIMIT_STACK as the
/// workload gets it) set them.
Budget EstimateBudget(const BudgetHost& host, const EnvSettings& env, std::uint64_t stack_soft,
                      std::uint64_t grant);

/// Pure. The threads' warning for a grant of `grant` bytes of address space: nullopt when it is
/// unlimited or the threads' reservations take at most half of it.
std::optional<ThreadsWarning> WarnThreads(const BudgetHost& host, const EnvSettings& env,
                                          std::uint64_t stack_soft, std::uint64_t grant);

/// Pure. The GPU warning: nullopt under an unlimited grant or without a GPU device node.
std::optional<GpuWarning> WarnGpu(const BudgetHost& host, std::uint64_t grant);

}  // namespace rlimit_init

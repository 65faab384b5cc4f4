// SPDX-License-Identifier: Apache-2.0
#include "decide/budget.h"

#include <algorithm>
#include <charconv>

#include "base/limit.h"

namespace rlimit_init {
namespace {

// The leading decimal digits of `text` as a count above 0, as atoi reads OPENBLAS_NUM_THREADS
// and OMP_NUM_THREADS ("4,2" is 4); nullopt for none, 0 or an overflow.
std::optional<unsigned> LeadingCount(std::string_view text) {
  unsigned value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || value == 0) return std::nullopt;
  return value;
}

// The workload's value of kBudgetVariables[index]: the policy's when it sets one.
std::optional<std::string> Variable(const BudgetHost& host, const EnvSettings& env,
                                    std::size_t index) {
  for (const auto& [name, value] : env) {
    if (name == kBudgetVariables[index]) return value;
  }
  return host.inherited[index];
}

// glibc.malloc.arena_max in GLIBC_TUNABLES ("glibc.malloc.arena_max=2:glibc.x.y=z").
std::optional<unsigned> TunableArenaMax(std::string_view tunables) {
  constexpr std::string_view kKey = "glibc.malloc.arena_max=";
  while (!tunables.empty()) {
    std::size_t colon = tunables.find(':');
    std::string_view item = tunables.substr(0, colon);
    if (item.substr(0, kKey.size()) == kKey) return LeadingCount(item.substr(kKey.size()));
    if (colon == std::string_view::npos) break;
    tunables.remove_prefix(colon + 1);
  }
  return std::nullopt;
}

}  // namespace

unsigned ArenaMax(const BudgetHost& host, const EnvSettings& env) {
  std::optional<std::string> alias = Variable(host, env, 0);
  std::optional<std::string> tunables = Variable(host, env, 1);
  return std::max(alias ? LeadingCount(*alias).value_or(0) : 0U,
                  tunables ? TunableArenaMax(*tunables).value_or(0) : 0U);
}

Budget EstimateBudget(const BudgetHost& host, const EnvSettings& env, std::uint64_t stack_soft,
                      std::uint64_t grant) {
  Budget b;
  b.cpus = host.affinity_cpus;
  b.usable_cpus = host.quota_cpus ? std::min(b.cpus, *host.quota_cpus) : b.cpus;
  // OpenBLAS reads OPENBLAS_NUM_THREADS, then OMP_NUM_THREADS, and never starts more threads
  // than get_num_procs() counts (driver/others/blas_server.c, memory.c).
  b.threads = b.cpus;
  for (std::size_t index : {std::size_t{2}, std::size_t{3}}) {
    std::optional<std::string> value = Variable(host, env, index);
    if (std::optional<unsigned> count = value ? LeadingCount(*value) : std::nullopt) {
      b.threads = std::min(*count, b.cpus);
      b.threads_variable = index;
      b.threads_value = std::move(*value);
      break;
    }
  }
  // glibc's arena_get2: arena_max when set, else 8 arenas per CPU of the affinity mask on
  // 64-bit. When both spellings are set the larger is taken: which wins depends on their
  // order in the environment.
  std::optional<std::string> alias = Variable(host, env, 0);
  std::optional<std::string> tunables = Variable(host, env, 1);
  const unsigned from_alias = alias ? LeadingCount(*alias).value_or(0) : 0;  // 0: not set
  const unsigned from_tunable = tunables ? TunableArenaMax(*tunables).value_or(0) : 0;
  if (from_alias != 0 && from_alias >= from_tunable) {
    b.arena_limit = from_alias;
    b.arenas_variable = 0;
    b.arenas_value = std::move(*alias);
  } else if (from_tunable != 0) {
    b.arena_limit = from_tunable;
    b.arenas_variable = 1;
  } else {
    b.arena_limit = 8 * b.cpus;
  }
  b.stack = stack_soft == kUnlimited ? kDefaultThreadStack : stack_soft;
  // The first thread has the main stack (and its buffer is mapped only at the first BLAS
  // call); each other thread maps a stack and a buffer when it starts. Arenas are left out:
  // only a thread that calls malloc makes one, and OpenBLAS's workers do not (MALLOC_ARENA_MAX
  // did not move the least grant `import numpy` needs here).
  const std::uint64_t per_thread = b.stack + kBlasBuffer;
  b.reserved = (b.threads > 0 ? b.threads - 1 : 0) * per_thread;
  b.fitting_threads = grant == kUnlimited ? b.threads
                                          : static_cast<unsigned>(std::min<std::uint64_t>(
                                                b.threads, grant / 2 / per_thread + 1));
  return b;
}

std::optional<ThreadsWarning> WarnThreads(const BudgetHost& host, const EnvSettings& env,
                                          std::uint64_t stack_soft, std::uint64_t grant) {
  if (grant == kUnlimited) return std::nullopt;
  ThreadsWarning w;
  w.budget = EstimateBudget(host, env, stack_soft, grant);
  const Budget& b = w.budget;
  // Tight: the threads' reservations alone take more than half the grant, leaving the
  // interpreter, its libraries and the data less than the other half. `import numpy` needs 82
  // MiB here with one thread, 214 MiB with two (README, "The address-space budget").
  if (b.reserved <= grant / 2) return std::nullopt;
  w.grant = grant;
  w.stack_unlimited = stack_soft == kUnlimited;
  w.set_arenas = b.arena_limit > 2;
  w.set_threads = std::max(std::min(b.fitting_threads, b.usable_cpus), 1U);
  w.least_grant = 2 * b.reserved;
  return w;
}

std::optional<GpuWarning> WarnGpu(const BudgetHost& host, std::uint64_t grant) {
  if (grant == kUnlimited || host.gpu_devices.empty()) return std::nullopt;
  return GpuWarning{grant};
}

}  // namespace rlimit_init

// SPDX-License-Identifier: Apache-2.0
#include "decide/runtime_budget.h"

#include <algorithm>

#include "base/limit.h"

namespace rlimit_init {
namespace {

constexpr std::uint64_t kMiB = 1ULL << 20;
constexpr std::uint64_t kGiB = 1ULL << 30;

// The JVM's heap reservation with what sizes it with the heap (card table, remembered sets):
// 1.04 x the heap, from the two measured heaps.
std::uint64_t HeapReservation(std::uint64_t heap) { return heap + heap / 25; }

// A grant to advise, rounded up to what HumanBytes prints exactly: whole MiB below 1 GiB,
// quarters of a GiB above (HumanBytes truncates, and advice must not print less than needed).
std::uint64_t RoundedUp(std::uint64_t bytes) {
  const std::uint64_t step = bytes < kGiB ? kMiB : kGiB / 4;
  return (bytes + step - 1) / step * step;
}

// A grant needs a margin over the least measured: the figures vary by a few MiB run to run.
std::uint64_t WithMargin(std::uint64_t bytes) { return RoundedUp(bytes + bytes / 20); }

std::optional<RuntimeWarning> JavaWarning(const WorkloadRuntime& runtime, unsigned arena_max,
                                          std::uint64_t grant,
                                          std::optional<std::uint64_t> memory) {
  JvmWarning w;
  w.grant = grant;
  w.estimate = EstimateJvm(runtime.java, arena_max, grant, memory);
  const JvmEstimate& e = w.estimate;
  if (e.total <= grant) return std::nullopt;
  // The fix: what JAVA_TOOL_OPTIONS can still lower (the command line and _JAVA_OPTIONS win
  // over it), and two malloc arenas.
  JavaSizes fix = runtime.java;
  if (!runtime.java_fixed.class_space && e.class_space > kJvmFixClassSpace) {
    fix.class_space = w.class_space = kJvmFixClassSpace;
    fix.metaspace.reset();
  }
  if (!runtime.java_fixed.code_cache && e.code_cache > kJvmFixCodeCache) {
    fix.code_cache = w.code_cache = kJvmFixCodeCache;
  }
  const JvmEstimate without_heap = EstimateJvm({0, fix.class_space, fix.metaspace,
                                                fix.code_cache}, 2, grant, memory);
  const std::uint64_t fixed_part = without_heap.total - HeapReservation(0);
  const std::uint64_t usable = grant - grant / 20;  // the margin of WithMargin
  if (!runtime.java_fixed.max_heap) {
    std::uint64_t heap = usable > fixed_part ? (usable - fixed_part) / 26 * 25 : 0;
    heap = std::min(heap / kMiB * kMiB, e.heap);
    fix.max_heap = std::max(heap, kJvmLeastHeap);
    if (!runtime.java.max_heap || *fix.max_heap < *runtime.java.max_heap) {
      w.max_heap = fix.max_heap;
    }
  }
  const JvmEstimate fixed = EstimateJvm(fix, 2, grant, memory);
  w.arenas = arena_max == 0 || arena_max > 2;
  w.fix_fits = fixed.total <= usable;
  w.least_grant_fixed = WithMargin(fixed.total);
  // Without the fix the grant must hold the estimate; with no -Xmx the heap grows with the
  // grant (half of it), so the least grant is where the rest fits in the other half.
  std::uint64_t needed = e.total;
  if (!runtime.java.max_heap) {
    const std::uint64_t others = e.class_space + e.code_cache + e.rest;
    needed = others * 25 / 12;
    if (memory && *memory / 4 < needed / 2) needed = HeapReservation(*memory / 4) + others;
  }
  w.least_grant = WithMargin(needed);
  return w;
}

std::optional<RuntimeWarning> NodeWarningFor(const WorkloadRuntime& runtime,
                                             std::uint64_t grant) {
  if (runtime.wasm_trap_handler_off ? grant >= kNodeStart
                                    : grant >= kNodeStart + kNodeWasmMemory) {
    return std::nullopt;
  }
  NodeWarning w;
  w.grant = grant;
  w.trap_handler_off = runtime.wasm_trap_handler_off;
  w.least_grant = WithMargin(kNodeStart);
  w.least_grant_wasm = WithMargin(kNodeStart + kNodeWasmMemory);
  return w;
}

}  // namespace

JvmEstimate EstimateJvm(const JavaSizes& sizes, unsigned arena_max, std::uint64_t grant,
                        std::optional<std::uint64_t> memory) {
  JvmEstimate e;
  if (sizes.max_heap) {
    e.heap = *sizes.max_heap;
    e.heap_from = HeapFrom::kXmx;
  } else {
    // HotSpot's default (Arguments::set_heap_size): a quarter of the memory, and no more than
    // half of a finite RLIMIT_AS (MaxVirtMemFraction).
    e.heap = grant == kUnlimited ? 0 : grant / 2;
    e.heap_from = HeapFrom::kHalfGrant;
    if (memory && *memory / 4 < e.heap) {
      e.heap = *memory / 4;
      e.heap_from = HeapFrom::kQuarterMemory;
      e.memory = *memory;
    }
  }
  e.class_space = sizes.class_space.value_or(kJvmClassSpace);
  // Metaspace::ergo_initialize: the class space takes at most 80% of MaxMetaspaceSize.
  if (sizes.metaspace) e.class_space = std::min(e.class_space, *sizes.metaspace / 5 * 4);
  e.code_cache = sizes.code_cache.value_or(kJvmCodeCache);
  e.rest = arena_max >= 1 && arena_max <= 2 ? kJvmRestTwoArenas : kJvmRest;
  e.total = HeapReservation(e.heap) + e.class_space + e.code_cache + e.rest;
  return e;
}

std::optional<RuntimeWarning> WarnRuntime(const WorkloadRuntime& runtime, unsigned arena_max,
                                          std::uint64_t grant,
                                          std::optional<std::uint64_t> memory) {
  if (grant == kUnlimited) return std::nullopt;
  switch (runtime.kind) {
    case RuntimeKind::kNone:
      break;
    case RuntimeKind::kJava:
      return JavaWarning(runtime, arena_max, grant, memory);
    case RuntimeKind::kNode:
      return NodeWarningFor(runtime, grant);
    case RuntimeKind::kGo:
      if (grant < kGoStart) return GoWarning{grant, kGoStart, WithMargin(kGoStart)};
      break;
    case RuntimeKind::kSanitizer:
      // Measured for AddressSanitizer; the others reserve their shadow as it does.
      return SanitizerWarning{grant, runtime.sanitizer == "AddressSanitizer"
                                         ? std::optional<std::uint64_t>(kSanitizerShadow)
                                         : std::nullopt};
  }
  return std::nullopt;
}

}  // namespace rlimit_init

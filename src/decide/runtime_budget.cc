// SPDX-License-Identifier: Apache-2.0
#include "decide/runtime_budget.h"

#include <algorithm>

#include "base/limit.h"
#include "base/quantity.h"

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

std::string JavaSize(std::uint64_t bytes) { return std::to_string(bytes / kMiB) + "m"; }

std::string Quoted(const std::string& value) { return "\"" + value + "\""; }

// One string from its parts: a chain of operator+ inlines a string's growth at every step,
// and this file's warnings have dozens of parts (the binary's size is budgeted).
std::string Cat(std::initializer_list<std::string_view> parts) {
  std::string out;
  for (std::string_view part : parts) out += part;
  return out;
}

std::string JavaWarning(const WorkloadRuntime& runtime, unsigned arena_max, std::uint64_t grant,
                        std::optional<std::uint64_t> memory) {
  const JvmEstimate e = EstimateJvm(runtime.java, arena_max, grant, memory);
  if (e.total <= grant) return "";
  std::string text = Cat({"address-space budget: ", runtime.program, " (a JVM, by ",
                          runtime.evidence, ") reserves about ", HumanBytes(e.total),
                          " when it starts, over the ", HumanBytes(grant), " grant: a heap of ",
                          HumanBytes(e.heap), " (", e.heap_from, "), ",
                          HumanBytes(e.class_space), " of compressed class space, ",
                          HumanBytes(e.code_cache), " of code cache and about ",
                          HumanBytes(e.rest), " of malloc arenas, thread stacks and libraries"});
  // The fix: what JAVA_TOOL_OPTIONS can still lower (the command line and _JAVA_OPTIONS win
  // over it), and two malloc arenas.
  JavaSizes fix = runtime.java;
  std::string options = runtime.java_tool_options;
  auto add = [&options](const std::string& option) {
    options += (options.empty() ? "" : " ") + option;
  };
  if (!runtime.java_fixed.class_space && e.class_space > kJvmFixClassSpace) {
    fix.class_space = kJvmFixClassSpace;
    fix.metaspace.reset();
    add("-XX:CompressedClassSpaceSize=" + JavaSize(kJvmFixClassSpace));
  }
  if (!runtime.java_fixed.code_cache && e.code_cache > kJvmFixCodeCache) {
    fix.code_cache = kJvmFixCodeCache;
    add("-XX:ReservedCodeCacheSize=" + JavaSize(kJvmFixCodeCache));
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
      add("-Xmx" + JavaSize(*fix.max_heap));
    }
  }
  const JvmEstimate fixed = EstimateJvm(fix, 2, grant, memory);
  std::string settings;
  if (options != runtime.java_tool_options) settings = "JAVA_TOOL_OPTIONS: " + Quoted(options);
  if (arena_max == 0 || arena_max > 2) {
    settings += std::string(settings.empty() ? "" : ", ") + "MALLOC_ARENA_MAX: \"2\"";
  }
  // Without the fix the grant must hold the estimate; with no -Xmx the heap grows with the
  // grant (half of it), so the least grant is where the rest fits in the other half.
  std::uint64_t needed = e.total;
  if (!runtime.java.max_heap) {
    const std::uint64_t others = e.class_space + e.code_cache + e.rest;
    needed = others * 25 / 12;
    if (memory && *memory / 4 < needed / 2) needed = HeapReservation(*memory / 4) + others;
  }
  if (settings.empty()) return Cat({text, "; grant at least ", HumanBytes(WithMargin(needed))});
  if (fixed.total <= usable) {
    return Cat({text, "; set env: {", settings, "} in the policy, or grant at least ",
                HumanBytes(WithMargin(needed))});
  }
  return Cat({text, "; grant at least ", HumanBytes(WithMargin(fixed.total)), " with env: {",
              settings, "} in the policy, or ", HumanBytes(WithMargin(needed)), " without"});
}

std::string NodeWarning(const WorkloadRuntime& runtime, std::uint64_t grant) {
  const std::string what = Cat({"address-space budget: ", runtime.program, " (Node.js, by ",
                                runtime.evidence, ") reserves about ", HumanBytes(kNodeStart),
                                " when it starts"});
  if (runtime.wasm_trap_handler_off) {
    if (grant >= kNodeStart) return "";
    return Cat({what, ", over the ", HumanBytes(grant), " grant; grant at least ",
                HumanBytes(WithMargin(kNodeStart))});
  }
  if (grant >= kNodeStart + kNodeWasmMemory) return "";
  const std::string start = grant < kNodeStart ? "grant at least " + HumanBytes(WithMargin(kNodeStart)) + " with " : "set ";
  return Cat({what, " and ", HumanBytes(kNodeWasmMemory),
              " more for each WebAssembly memory (V8's guard region; fetch() and many "
              "libraries use WebAssembly), so the ", HumanBytes(grant), " grant holds ",
              grant < kNodeStart ? "not even its start" : "none", "; ", start,
              "env: {NODE_OPTIONS: \"", runtime.node_options,
              runtime.node_options.empty() ? "" : " ", "--disable-wasm-trap-handler\"} in the "
              "policy (Node.js 20.15 and later; older versions have no such switch), or ",
              grant < kNodeStart ? "" : "grant at least ",
              HumanBytes(WithMargin(kNodeStart + kNodeWasmMemory)),
              " for one WebAssembly memory"});
}

}  // namespace

JvmEstimate EstimateJvm(const JavaSizes& sizes, unsigned arena_max, std::uint64_t grant,
                        std::optional<std::uint64_t> memory) {
  JvmEstimate e;
  if (sizes.max_heap) {
    e.heap = *sizes.max_heap;
    e.heap_from = "-Xmx" + JavaSize(e.heap);
  } else {
    // HotSpot's default (Arguments::set_heap_size): a quarter of the memory, and no more than
    // half of a finite RLIMIT_AS (MaxVirtMemFraction).
    e.heap = grant == kUnlimited ? 0 : grant / 2;
    e.heap_from = "no -Xmx: half the grant, as the JVM sizes it under RLIMIT_AS";
    if (memory && *memory / 4 < e.heap) {
      e.heap = *memory / 4;
      e.heap_from = "no -Xmx: a quarter of the " + HumanBytes(*memory) + " of memory";
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

std::vector<std::string> RuntimeWarnings(const WorkloadRuntime& runtime, unsigned arena_max,
                                         std::uint64_t grant,
                                         std::optional<std::uint64_t> memory) {
  std::vector<std::string> warnings;
  if (grant == kUnlimited) return warnings;
  std::string text;
  switch (runtime.kind) {
    case RuntimeKind::kNone:
      break;
    case RuntimeKind::kJava:
      text = JavaWarning(runtime, arena_max, grant, memory);
      break;
    case RuntimeKind::kNode:
      text = NodeWarning(runtime, grant);
      break;
    case RuntimeKind::kGo:
      if (grant < kGoStart) {
        text = Cat({"address-space budget: ", runtime.program, " (a Go program, by ",
                    runtime.evidence, ") reserves about ", HumanBytes(kGoStart),
                    " before main (its heap arena index and page summaries), over the ",
                    HumanBytes(grant), " grant, and its heap comes on top; GOMEMLIMIT does not "
                    "lower it: grant at least ", HumanBytes(WithMargin(kGoStart)),
                    " and what the heap needs"});
      }
      break;
    case RuntimeKind::kSanitizer:
      // Measured for AddressSanitizer; the others reserve their shadow as it does.
      text = Cat({"address-space budget: ", runtime.program, " is built with ",
                  runtime.sanitizer, " (", runtime.evidence, "): it reserves ",
                  runtime.sanitizer == "AddressSanitizer" ? "about " + HumanBytes(kSanitizerShadow)
                                                          : std::string("terabytes"),
                  " of shadow memory when it starts and fails under any finite RLIMIT_AS, "
                  "this ", HumanBytes(grant),
                  " grant included; request unlimited (addressSpace: {request: unlimited})"});
      break;
  }
  if (!text.empty()) warnings.push_back(std::move(text));
  return warnings;
}

}  // namespace rlimit_init

// SPDX-License-Identifier: Apache-2.0
// What the runtimes observe/runtime.h recognises reserve of a finite RLIMIT_AS grant, and the
// env: that lowers it. Every figure is the least soft RLIMIT_AS measured by
// tests/bench/runtimes.py on Debian bookworm's packages with 2 CPUs (docs/runtimes.md).
#pragma once

#include <cstdint>
#include <optional>
#include <variant>

#include "observe/runtime.h"

namespace rlimit_init {

// OpenJDK 17: least AS ~= 1.04 x heap + class space + code cache + the rest (2,199 MiB at
// -Xmx256m, 2,996 at -Xmx1g; 709 and 1,505 with the fix below).
inline constexpr std::uint64_t kJvmClassSpace = 1024ULL << 20;  // CompressedClassSpaceSize
inline constexpr std::uint64_t kJvmCodeCache = 240ULL << 20;    // ReservedCodeCacheSize, tiered
inline constexpr std::uint64_t kJvmRest = 669ULL << 20;         // arenas, stacks, libjvm ...
inline constexpr std::uint64_t kJvmRestTwoArenas = 347ULL << 20;  // ... with MALLOC_ARENA_MAX=2
// The class space and code cache the fix sets.
inline constexpr std::uint64_t kJvmFixClassSpace = 64ULL << 20;
inline constexpr std::uint64_t kJvmFixCodeCache = 32ULL << 20;
// The least heap a fix proposes: below it the grant is what must change.
inline constexpr std::uint64_t kJvmLeastHeap = 32ULL << 20;

// Node.js 20 (V8 11.3): `node -e 1`, and what each WebAssembly memory adds with V8's trap
// handler (its 8 GiB guard region and alignment): 10,951 MiB for one, 41,671 for four.
inline constexpr std::uint64_t kNodeStart = 711ULL << 20;
inline constexpr std::uint64_t kNodeWasmMemory = 10ULL << 30;

// Go 1.19: hello world (and as much with 64 goroutines), before main runs.
inline constexpr std::uint64_t kGoStart = 695ULL << 20;

// gcc 12's AddressSanitizer: its shadow memory (20 TiB and 35 MiB for hello world).
inline constexpr std::uint64_t kSanitizerShadow = 20ULL << 40;

/// What sized a JVM's heap.
enum class HeapFrom {
  kXmx,            // -Xmx (or -XX:MaxHeapSize=)
  kHalfGrant,      // no -Xmx: half the grant, as the JVM sizes it under RLIMIT_AS
  kQuarterMemory,  // no -Xmx: a quarter of the memory (JvmEstimate::memory)
};

/// What a JVM reserves, as WarnRuntime estimates it.
struct JvmEstimate {
  std::uint64_t heap = 0;  // -Xmx, or the JVM's default under this grant and memory
  HeapFrom heap_from = HeapFrom::kXmx;
  std::uint64_t memory = 0;  // the memory a quarter of which is the heap (kQuarterMemory)
  std::uint64_t class_space = 0;
  std::uint64_t code_cache = 0;
  std::uint64_t rest = 0;
  std::uint64_t total = 0;
  bool operator==(const JvmEstimate&) const = default;
};

/// A JVM (Observed::runtime) reserves more than the grant.
struct JvmWarning {
  std::uint64_t grant = 0;
  JvmEstimate estimate;
  /// The fix: options appended to the workload's JAVA_TOOL_OPTIONS (0 or nullopt: left
  /// alone), and MALLOC_ARENA_MAX: "2" with them when `arenas`.
  std::uint64_t class_space = 0;  // -XX:CompressedClassSpaceSize=
  std::uint64_t code_cache = 0;   // -XX:ReservedCodeCacheSize=
  std::optional<std::uint64_t> max_heap;  // -Xmx
  bool arenas = false;
  bool fix_fits = false;  // the grant holds the JVM with the fix
  std::uint64_t least_grant = 0;        // the grant that holds it without the fix
  std::uint64_t least_grant_fixed = 0;  // and with it
  bool operator==(const JvmWarning&) const = default;
};

/// Node.js (Observed::runtime) under a grant below its start, or without room for a
/// WebAssembly memory while V8's trap handler is on.
struct NodeWarning {
  std::uint64_t grant = 0;
  bool trap_handler_off = false;        // --disable-wasm-trap-handler is in NODE_OPTIONS
  std::uint64_t start = kNodeStart;     // what it reserves when it starts
  std::uint64_t wasm_memory = kNodeWasmMemory;  // and per WebAssembly memory
  std::uint64_t least_grant = 0;        // the grant that holds its start
  std::uint64_t least_grant_wasm = 0;   // and one WebAssembly memory
  bool operator==(const NodeWarning&) const = default;
};

/// A Go program (Observed::runtime) under a grant below what it reserves before main.
struct GoWarning {
  std::uint64_t grant = 0;
  std::uint64_t start = kGoStart;
  std::uint64_t least_grant = 0;
  bool operator==(const GoWarning&) const = default;
};

/// A sanitizer build (Observed::runtime) under any finite grant.
struct SanitizerWarning {
  std::uint64_t grant = 0;
  std::optional<std::uint64_t> shadow;  // measured for AddressSanitizer; nullopt: terabytes
  bool operator==(const SanitizerWarning&) const = default;
};

using RuntimeWarning = std::variant<JvmWarning, NodeWarning, GoWarning, SanitizerWarning>;

/// Pure. `arena_max` is the workload's MALLOC_ARENA_MAX (0 when unset); `memory` the memory
/// the JVM sizes a default heap from (the cgroup limit or MemTotal; nullopt when unknown).
JvmEstimate EstimateJvm(const JavaSizes& sizes, unsigned arena_max, std::uint64_t grant,
                        std::optional<std::uint64_t> memory);

/// Pure. The warning for `runtime` under a finite `grant` (nullopt when it fits or is
/// unlimited).
std::optional<RuntimeWarning> WarnRuntime(const WorkloadRuntime& runtime, unsigned arena_max,
                                          std::uint64_t grant,
                                          std::optional<std::uint64_t> memory);

}  // namespace rlimit_init

// SPDX-License-Identifier: Apache-2.0
// The runtime a process is, read from its /proc/PID/maps: what measure sees where a process ends,
// whatever started it (a JVM under Python is PySpark's). Pure. Kept apart from measure so that
// measure calls it without growing (docs/runtimes.md).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace rlimit_init {

/// The runtimes docs/runtimes.md lists, by what in the maps tells each; report/measure_report.cc
/// words them.
enum class MappedRuntimeKind {
  kAddressSanitizer,  // libasan.so mapped
  kThreadSanitizer,   // libtsan.so mapped
  kJvm,               // libjvm.so
  kNode,              // the node executable or libnode.so, and its WebAssembly guard regions
  kPyTorch,           // libtorch_cpu.so
  kGo,                // a heap arena at 0xc000000000
};

struct MappedRuntime {
  MappedRuntimeKind kind = MappedRuntimeKind::kJvm;
  std::string library;     // a sanitizer's: the file name as mapped, "libasan.so.8.0.0"
  int guard_regions = 0;   // kNode: anonymous regions of 8 GiB or more without access

  // No finite RLIMIT_AS fits a sanitizer build: recommend unlimited.
  bool sanitizer() const {
    return kind == MappedRuntimeKind::kAddressSanitizer ||
           kind == MappedRuntimeKind::kThreadSanitizer;
  }
  // Without -Xmx a JVM's heap, and so its peak, tracks the host's memory.
  bool jvm() const { return kind == MappedRuntimeKind::kJvm; }
};

/// Pure. nullopt when the maps show none of the runtimes of docs/runtimes.md.
std::optional<MappedRuntime> RuntimeFromMaps(std::string_view maps);

}  // namespace rlimit_init

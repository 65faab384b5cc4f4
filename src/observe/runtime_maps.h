// SPDX-License-Identifier: Apache-2.0
// The runtime a process is, read from its /proc/PID/maps: what measure sees at an exit stop,
// whatever started it (a JVM under Python is PySpark's). Pure. Kept apart from measure so that
// measure calls it without growing (docs/runtimes.md).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace rlimit_init {

struct MappedRuntime {
  std::string name;      // "a JVM", "Node.js", "a Go program", "AddressSanitizer", "PyTorch"
  std::string evidence;  // what in the maps said so: "libjvm.so", "2 WebAssembly guard regions"
  bool sanitizer = false;  // no finite RLIMIT_AS fits it: recommend unlimited
  bool jvm = false;        // without -Xmx its heap, and so its peak, tracks the host's memory
};

/// Pure. nullopt when the maps show none of the runtimes of docs/runtimes.md.
std::optional<MappedRuntime> RuntimeFromMaps(std::string_view maps);

}  // namespace rlimit_init

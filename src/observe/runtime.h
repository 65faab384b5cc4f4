// SPDX-License-Identifier: Apache-2.0
// The runtime a workload starts, recognised before exec without running it: a JVM, Node.js, a Go
// program or a sanitizer build, each of which reserves address space it may never touch. ObserveRuntime
// reads the executable's first bytes and ELF section headers through the System seam; the pure
// parsers of argv, option strings and a shebang line are runtime_parse.h's.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "observe/runtime_parse.h"

namespace rlimit_init {

class System;

enum class RuntimeKind { kNone, kJava, kNode, kGo, kSanitizer };

/// How the runtime was recognised; report/warning_text.cc words it.
enum class RuntimeEvidence {
  kName,            // the program's name (java, node)
  kShebang,         // its #! line runs `evidence_name`
  kElfSection,      // its ELF section `evidence_name` (.go.buildinfo)
  kNeededLibrary,   // DT_NEEDED `evidence_name` (libasan.so.8)
  kSymbol,          // the symbol `evidence_name` (__asan_init)
  kStrippedSymbol,  // the symbol `evidence_name` in .dynstr of a stripped file
};

struct WorkloadRuntime {
  RuntimeKind kind = RuntimeKind::kNone;
  std::string program;  // argv[0] as given, for the warning
  RuntimeEvidence evidence = RuntimeEvidence::kName;
  std::string evidence_name;  // the program, section, library or symbol the evidence names
  /// kJava: the sizes as the JVM will see them, and which of them the command line (or
  /// _JAVA_OPTIONS) fixes, where JAVA_TOOL_OPTIONS cannot lower them.
  JavaSizes java;
  JavaSizes java_fixed;
  std::string java_tool_options;  // the workload's JAVA_TOOL_OPTIONS, for a fix to extend
  /// kNode: --disable-wasm-trap-handler in argv or NODE_OPTIONS.
  bool wasm_trap_handler_off = false;
  std::string node_options;  // the workload's NODE_OPTIONS, for a fix to extend
  /// kSanitizer: "AddressSanitizer", "ThreadSanitizer", ...; "" when the file does not say
  /// which (kStrippedSymbol).
  std::string sanitizer;
};

/// The workload's environment: the policy's env: over the inherited one.
using WorkloadEnv = std::vector<std::pair<std::string, std::string>>;

/// What `command` will run, resolved through the workload's PATH as execvp resolves it. Reads
/// at most 256 bytes of a script and, of an ELF file, its header, section header table, section
/// names, .dynamic and .dynstr (each bounded). Never fails: what cannot be read is kNone.
WorkloadRuntime ObserveRuntime(System& system, const std::vector<std::string>& command,
                       const WorkloadEnv& env);

}  // namespace rlimit_init

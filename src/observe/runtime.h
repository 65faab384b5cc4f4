// SPDX-License-Identifier: Apache-2.0
// The runtime a workload starts, recognised before exec without running it: a JVM, Node.js, a Go
// program or a sanitizer build, each of which reserves address space it may never touch. The
// parsers here are pure (argv, option strings, a shebang line); ObserveRuntime reads the
// executable's first bytes and ELF section headers through the System seam.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace rlimit_init {

class System;

enum class RuntimeKind { kNone, kJava, kNode, kGo, kSanitizer };

/// The JVM options that size its up-front reservations; nullopt: the JVM's default.
struct JavaSizes {
  std::optional<std::uint64_t> max_heap;     // -Xmx, -XX:MaxHeapSize=
  std::optional<std::uint64_t> class_space;  // -XX:CompressedClassSpaceSize=
  std::optional<std::uint64_t> metaspace;    // -XX:MaxMetaspaceSize=
  std::optional<std::uint64_t> code_cache;   // -XX:ReservedCodeCacheSize=
};

struct WorkloadRuntime {
  RuntimeKind kind = RuntimeKind::kNone;
  std::string program;   // argv[0] as given, for the warning
  std::string evidence;  // how it was recognised: "its name", "DT_NEEDED libasan.so.8", ...
  /// kJava: the sizes as the JVM will see them, and which of them the command line (or
  /// _JAVA_OPTIONS) fixes, where JAVA_TOOL_OPTIONS cannot lower them.
  JavaSizes java;
  JavaSizes java_fixed;
  std::string java_tool_options;  // the workload's JAVA_TOOL_OPTIONS, for a fix to extend
  /// kNode: --disable-wasm-trap-handler in argv or NODE_OPTIONS.
  bool wasm_trap_handler_off = false;
  std::string node_options;  // the workload's NODE_OPTIONS, for a fix to extend
  std::string sanitizer;     // kSanitizer: "AddressSanitizer", "ThreadSanitizer", ...
};

/// A JVM size ("512m", "2G", "1048576"): digits, then k, m, g or t in either case; nullopt
/// for anything else or past 64 bits.
std::optional<std::uint64_t> ParseJavaSize(std::string_view text);

/// Splits an options variable (JAVA_TOOL_OPTIONS, NODE_OPTIONS) at whitespace, keeping what
/// single or double quotes enclose together, as the JVM and Node.js split them.
std::vector<std::string> SplitOptions(std::string_view text);

/// Applies one JVM option to `sizes` when it is one of JavaSizes's; later options win.
void ApplyJavaOption(std::string_view option, JavaSizes* sizes);

/// The launcher's own options in a java command line: those before the main class, -jar FILE,
/// -m MODULE or --module; the arguments of -cp and the like are skipped.
std::vector<std::string> JavaLauncherOptions(const std::vector<std::string>& argv);

/// Node.js's options in its argv: those before the script, -e/-p CODE or "-".
std::vector<std::string> NodeOptionsInArgv(const std::vector<std::string>& argv);

/// "#!/usr/bin/env node" -> "node"; "#!/usr/bin/node --flag" -> "node": the program a script's
/// shebang line runs (env's first operand when the interpreter is env). nullopt without "#!".
std::optional<std::string> ShebangProgram(std::string_view first_bytes);

/// The last component of a path ("/usr/bin/java" -> "java").
std::string_view BaseName(std::string_view path);

/// The workload's environment: the policy's env: over the inherited one.
using WorkloadEnv = std::vector<std::pair<std::string, std::string>>;

/// What `command` will run, resolved through the workload's PATH as execvp resolves it. Reads
/// at most 256 bytes of a script and, of an ELF file, its header, section header table, section
/// names, .dynamic and .dynstr (each bounded). Never fails: what cannot be read is kNone.
WorkloadRuntime ObserveRuntime(System& system, const std::vector<std::string>& command,
                       const WorkloadEnv& env);

}  // namespace rlimit_init

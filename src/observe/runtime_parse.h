// SPDX-License-Identifier: Apache-2.0
// Pure parsers of what names a workload's runtime and sizes its reservations: JVM sizes and
// options, options variables, Node.js's argv, a shebang line.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rlimit_init {

/// The JVM options that size its up-front reservations; nullopt: the JVM's default.
struct JavaSizes {
  std::optional<std::uint64_t> max_heap;     // -Xmx, -XX:MaxHeapSize=
  std::optional<std::uint64_t> class_space;  // -XX:CompressedClassSpaceSize=
  std::optional<std::uint64_t> metaspace;    // -XX:MaxMetaspaceSize=
  std::optional<std::uint64_t> code_cache;   // -XX:ReservedCodeCacheSize=
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

}  // namespace rlimit_init

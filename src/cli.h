// SPDX-License-Identifier: Apache-2.0
// The command line. The only file that includes Boost.Program_options is cli.cc.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "policy.h"
#include "result.h"

namespace rlimit_init {

enum class Mode { kRun, kCheck, kInspect, kInstall, kVersion, kHelp };

struct Invocation {
  Mode mode = Mode::kRun;
  std::optional<std::string> policy_path;  // -p/--policy
  std::optional<std::string> as;           // --as
  std::optional<OutputFormat> output;      // -o/--output
  bool quiet = false;
  bool verbose = false;
  std::optional<std::string> host_root;    // --host-root
  std::vector<std::string> command;        // the workload (kRun)
  std::string install_dir;                 // kInstall
};

/// Parses argv. A first word that is not a subcommand starts the workload, and "--" always
/// ends the options. Errors are worded for "rlimit-init: bad command line: <error>".
Result<Invocation> ParseCommandLine(int argc, const char* const* argv);

/// The --help text, with the exit-code table.
std::string HelpText();

}  // namespace rlimit_init

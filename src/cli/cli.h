// SPDX-License-Identifier: Apache-2.0
// The command line, read by Boost.Program_options from the option table in cli/options.h.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "cli/limit_override.h"
#include "cli/options.h"
#include "policy/policy.h"
#include "base/result.h"

namespace rlimit_init {

enum class Mode { kRun, kCheck, kInspect, kInstall, kVersion, kHelp, kMeasure };

/// The most runs `measure --runs` makes.
inline constexpr unsigned kMaxRuns = 100;

struct Invocation {
  Mode mode = Mode::kRun;
  std::optional<std::string> policy_path;  // -p/--policy
  std::optional<std::string> as;           // --as
  std::optional<OutputFormat> output;      // -o/--output
  bool quiet = false;
  bool verbose = false;
  std::optional<std::string> host_root;    // --host-root
  std::optional<InitMode> init;            // --init
  std::vector<LimitOverride> limits;       // --limit, in the order given, each name once
  std::optional<std::string> report_path;     // --report (kMeasure)
  std::optional<std::string> recommend_path;  // --recommend (kMeasure)
  std::optional<std::string> plot_path;       // --plot (kMeasure)
  std::optional<unsigned> runs;               // --runs (kMeasure): 1 to kMaxRuns
  std::vector<std::string> command;        // the workload (kRun, kMeasure; kCheck only reads it)
  std::string install_dir;                 // kInstall
};

/// Parses argv. A first word that is not a subcommand starts the workload, and "--" always
/// ends the options. Short options may be bundled ("-qp FILE", "-qpFILE"); every option may
/// be given at most once. Errors are worded for "rlimit-init: bad command line: <error>".
/// On an error, `*error_format` (when given) is set to the format a well-formed -o/--output
/// on the same command line asked for, so that the error can answer in it.
Result<Invocation> ParseCommandLine(int argc, const char* const* argv,
                                    OutputFormat* error_format = nullptr);

}  // namespace rlimit_init

// SPDX-License-Identifier: Apache-2.0
// rlimit-init's options as one table: Boost.Program_options reads the command line from it and
// --help prints it, so the two cannot drift apart.
#pragma once

#include <array>
#include <string>
#include <string_view>
#include <vector>


namespace boost::program_options {
class options_description;
}  // namespace boost::program_options

namespace rlimit_init {

enum class OptionId {
  kPolicy, kAs, kLimit, kOutput, kQuiet, kVerbose, kHostRoot, kInit, kReport, kRecommend, kPlot,
  kRuns, kHelp, kVersion
};

struct OptionSpec {
  OptionId id;
  std::string_view long_name;
  char short_name;              // '\0' for none
  std::string_view value_name;  // empty for a switch
  std::string_view help;        // lines after the first are indented under it
};

/// Every option, in the order --help lists them.
extern const std::array<OptionSpec, 14> kOptions;

/// The option named `long_name` ("policy"), or null.
const OptionSpec* FindLongOption(std::string_view long_name);

/// The option with the short name `name` ('p'), or null.
const OptionSpec* FindShortOption(char name);

/// The options of kOptions that `words` can name, as Boost.Program_options reads them: a switch
/// takes no value, every other option exactly one. An option no word can name is left out
/// (Boost 1.74 splits each option's names through an std::istringstream, some 3,000
/// instructions apiece); every option a word names is in, so what Boost reads is the same.
boost::program_options::options_description DescribeOptions(
    const std::vector<std::string>& words);

/// The --help text: usage, the options from kOptions, exit codes.
std::string HelpText();

/// "rlimit-init VERSION (commit HASH)\n", the commit being the one the binary was built from.
std::string VersionText();

}  // namespace rlimit_init

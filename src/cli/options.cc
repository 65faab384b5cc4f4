// SPDX-License-Identifier: Apache-2.0
#include "cli/options.h"

#include <algorithm>

#include <boost/program_options/options_description.hpp>
#include <boost/program_options/value_semantic.hpp>

#include "base/version.h"

namespace rlimit_init {

// A test holds the README's usage block to the --help text printed from this table.
const std::array<OptionSpec, 14> kOptions = {{
    {OptionId::kPolicy, "policy", 'p', "FILE",
     "YAML policy (default: $RLIMIT_INIT_POLICY, else none)"},
    {OptionId::kAs, "as", '\0', "QUANTITY",
     "address space to request: 6Gi, 75%, unlimited or hard; overrides\n"
     "addressSpace.request (env: RLIMIT_INIT_AS); default: hard"},
    {OptionId::kLimit, "limit", '\0', "NAME=VALUE",
     "set the soft limit NAME (prlimit's names: nofile, memlock, stack,\n"
     "core, nproc ...) to VALUE, raising or lowering it; VALUE:VALUE\n"
     "also raises the hard limit where allowed; repeatable; overrides\n"
     "limits.NAME (env: RLIMIT_INIT_LIMITS=\"nofile=65536,core=0\")"},
    {OptionId::kOutput, "output", 'o', "FORMAT",
     "text or json (a run reports on stderr, check on stdout)"},
    {OptionId::kQuiet, "quiet", 'q', "",
     "no line on success; warnings, refusals and errors still print"},
    {OptionId::kVerbose, "verbose", 'v', "", "also print what was observed"},
    {OptionId::kHostRoot, "host-root", '\0', "DIR",
     "read /proc, /sys, /.dockerenv and /run/.containerenv below DIR\n"
     "(env: RLIMIT_INIT_HOST_ROOT)"},
    {OptionId::kInit, "init", '\0', "MODE",
     "auto, exec, child or group: stay as the workload's parent, forward\n"
     "signals (to its process group with group) and reap zombies; auto\n"
     "does so when rlimit-init is PID 1 (env: RLIMIT_INIT_INIT; default:\n"
     "init in the policy, else auto)"},
    {OptionId::kReport, "report", '\0', "FILE", "measure: write the report to FILE, not stderr"},
    {OptionId::kRecommend, "recommend", '\0', "FILE",
     "measure: also write the recommended policy to FILE"},
    {OptionId::kPlot, "plot", '\0', "FILE",
     "measure: draw the timeline and the recommended request as SVG in FILE"},
    {OptionId::kRuns, "runs", '\0', "N",
     "measure: run COMMAND N times (1 to 100), recommend from the largest"},
    {OptionId::kHelp, "help", 'h', "", "print this text"},
    {OptionId::kVersion, "version", '\0', "", "print the version and the commit it was built from"},
}};

const OptionSpec* FindLongOption(std::string_view long_name) {
  for (const OptionSpec& o : kOptions) {
    if (o.long_name == long_name) return &o;
  }
  return nullptr;
}

const OptionSpec* FindShortOption(char name) {
  for (const OptionSpec& o : kOptions) {
    if (o.short_name != '\0' && o.short_name == name) return &o;
  }
  return nullptr;
}

namespace {

// Whether Boost could look `option` up while reading `word`: "--NAME" or "--NAME=...", or a
// word of short options ("-qpFILE") with its letter anywhere in it, a value's letters included.
bool CanName(std::string_view word, const OptionSpec& option) {
  if (word.starts_with("--")) {
    const std::string_view name = word.substr(2);
    return name.substr(0, name.find('=')) == option.long_name;
  }
  return word.size() > 1 && word.front() == '-' && option.short_name != '\0' &&
         word.find(option.short_name) != std::string_view::npos;
}

}  // namespace

boost::program_options::options_description DescribeOptions(
    const std::vector<std::string>& words) {
  namespace po = boost::program_options;
  po::options_description description;
  for (const OptionSpec& o : kOptions) {
    if (std::none_of(words.begin(), words.end(),
                     [&o](const std::string& word) { return CanName(word, o); })) {
      continue;
    }
    std::string names(o.long_name);
    if (o.short_name != '\0') names += std::string(",") + o.short_name;
    // untyped_value: the parser only splits words, and src/cli/cli.cc reads each value itself
    // (a typed value would bring lexical_cast and a second wording of each error).
    description.add_options()(names.c_str(),
                              new po::untyped_value(/*zero_tokens=*/o.value_name.empty()), "");
  }
  return description;
}

namespace {

// "  -p, --policy FILE      YAML policy ...": names in a column 25 wide, then the help.
std::string OptionLines() {
  constexpr std::size_t kColumn = 25;
  std::string out;
  for (const OptionSpec& o : kOptions) {
    std::string names = o.short_name != '\0' ? std::string("  -") + o.short_name + ", " : "      ";
    names += "--" + std::string(o.long_name);
    if (!o.value_name.empty()) names += " " + std::string(o.value_name);
    names.resize(std::max(kColumn, names.size() + 1), ' ');
    std::string_view help = o.help;
    for (bool first = true; !help.empty(); first = false) {
      const std::size_t newline = help.find('\n');
      out += (first ? names : std::string(kColumn, ' ')) + std::string(help.substr(0, newline)) +
             "\n";
      help = newline == help.npos ? "" : help.substr(newline + 1);
    }
  }
  return out;
}

}  // namespace

std::string HelpText() {
  return R"(usage: rlimit-init [OPTIONS] [--] COMMAND [ARG...]   apply the policy, then exec COMMAND
       rlimit-init check   [OPTIONS] [-- COMMAND]    decide and report, exec nothing
       rlimit-init measure [OPTIONS] -- COMMAND      run COMMAND, report its peaks and a policy
       rlimit-init inspect [--output text|json]      show every limit that applies here
       rlimit-init install DIR                       copy this binary to DIR/rlimit-init
       rlimit-init version | --version               print the version and the commit
       rlimit-init help | -h | --help                print this text

Raises the soft address-space limit (RLIMIT_AS, ulimit -v) to what the policy asks for, within
the hard limit and with the cgroup memory limit in view, then execs COMMAND. Where a cap set
by the orchestration layer blocks the request, it refuses and names the setting to change.

options:
)" + OptionLines() +
         R"(
exit codes:
  the workload's own   once it has been exec'd; in init mode 128+N after a death by signal N
  0                    check: the decision grants (raised, unchanged or partial)
  64                   bad command line
  70                   internal error (an unexpected syscall failure)
  73                   install: DIR/rlimit-init could not be written
  77                   refused by policy
  78                   policy file missing, unreadable or invalid
  126                  workload found but not executable
  127                  workload not found
)";
}

std::string VersionText() {
  return std::string("rlimit-init ") + kVersion + " (commit " + kCommit + ")\n";
}

}  // namespace rlimit_init

// SPDX-License-Identifier: Apache-2.0
#include "cli.h"

#include <boost/program_options.hpp>

#include <algorithm>
#include <array>
#include <string_view>

namespace rlimit_init {
namespace {

namespace po = boost::program_options;

constexpr std::array<std::string_view, 5> kSubcommands = {"check", "inspect", "install",
                                                          "version", "help"};

// Options that take their value as the next word when not written "--opt=value".
bool TakesValue(std::string_view arg) {
  return arg == "-p" || arg == "--policy" || arg == "--as" || arg == "-o" || arg == "--output" ||
         arg == "--host-root";
}

struct OptionSpec {
  const char* names;  // as Boost.PO takes them: "long,s"
  std::string_view long_name;
  char short_name;    // '\0' for none
  bool is_switch;     // a bool_switch, else one string value
};

constexpr std::array<OptionSpec, 8> kOptions = {{
    {"policy,p", "policy", 'p', false},
    {"as", "as", '\0', false},
    {"output,o", "output", 'o', false},
    {"quiet,q", "quiet", 'q', true},
    {"verbose,v", "verbose", 'v', true},
    {"host-root", "host-root", '\0', false},
    {"help,h", "help", 'h', true},
    {"version", "version", '\0', true},
}};

// Whether some option word could name `option`: "--NAME" or "--NAME=VALUE" exactly (guessing
// is off), or the short letter anywhere after a single dash, which covers stuck-together
// switches ("-qv") and values ("-pfile"). This errs towards yes.
bool Mentioned(const OptionSpec& option, const std::vector<std::string>& words) {
  for (std::string_view word : words) {
    if (word.starts_with("--")) {
      if (word.substr(2, word.find('=') - 2) == option.long_name) return true;
    } else if (word.starts_with("-") && option.short_name != '\0' &&
               word.find(option.short_name, 1) != std::string_view::npos) {
      return true;
    }
  }
  return false;
}

// Describes only the options the words can mention. Boost.PO 1.74 splits every option's
// "long,s" names through its own std::istringstream, about 3,000 instructions each, and all
// eight cost more than the rest of the command line. Leaving out options no word names changes
// no parse: without guessing, a word matches only the option it spells, and an option that is
// left out is one no word could have matched, so its errors and values stay as they were.
po::options_description Options(const std::vector<std::string>& words) {
  po::options_description options;
  for (const OptionSpec& option : kOptions) {
    if (!Mentioned(option, words)) continue;
    if (option.is_switch) {
      options.add_options()(option.names, po::bool_switch(), "");
    } else {
      options.add_options()(option.names, po::value<std::string>(), "");
    }
  }
  return options;
}

// A switch no word mentioned was not described, so it has no default in `values`.
bool Switch(const po::variables_map& values, const char* name) {
  return values.count(name) != 0 && values[name].as<bool>();
}

}  // namespace

Result<Invocation> ParseCommandLine(int argc, const char* const* argv) {
  Invocation invocation;
  // Split argv by hand first: Boost would otherwise try to read the workload's own options.
  std::vector<std::string> option_words;
  std::vector<std::string> positional;
  bool subcommand_seen = false;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--") {
      invocation.command.assign(argv + i + 1, argv + argc);
      if (invocation.command.empty()) return Error{"no workload after \"--\""};
      break;
    }
    if (arg.size() > 1 && arg.front() == '-') {
      option_words.emplace_back(arg);
      // "--" is never an option's value: it ends the options, so "-p --" lacks its argument.
      if (TakesValue(arg) && i + 1 < argc && std::string_view(argv[i + 1]) != "--") {
        option_words.emplace_back(argv[++i]);
      }
      continue;
    }
    bool is_subcommand = std::find(kSubcommands.begin(), kSubcommands.end(), arg) !=
                         kSubcommands.end();
    if (!subcommand_seen && positional.empty() && is_subcommand) {
      subcommand_seen = true;
      positional.emplace_back(arg);
      continue;
    }
    if (subcommand_seen) {
      positional.emplace_back(arg);
      continue;
    }
    invocation.command.assign(argv + i, argv + argc);  // the workload starts here
    break;
  }

  po::variables_map values;
  if (!option_words.empty()) {  // nothing for Boost to parse otherwise
    try {
      std::vector<const char*> words = {"rlimit-init"};
      for (const std::string& w : option_words) words.push_back(w.c_str());
      po::store(po::command_line_parser(static_cast<int>(words.size()), words.data())
                    .options(Options(option_words))
                    .style(po::command_line_style::default_style &
                           ~po::command_line_style::allow_guessing)
                    .run(),
                values);
      po::notify(values);
    } catch (const po::error& e) {
      return Error{e.what()};
    }
  }
  if (values.count("policy")) invocation.policy_path = values["policy"].as<std::string>();
  if (values.count("as")) invocation.as = values["as"].as<std::string>();
  if (values.count("host-root")) invocation.host_root = values["host-root"].as<std::string>();
  if (values.count("output")) {
    const std::string& output = values["output"].as<std::string>();
    if (output == "text") {
      invocation.output = OutputFormat::kText;
    } else if (output == "json") {
      invocation.output = OutputFormat::kJson;
    } else {
      return Error{"--output must be text or json, not \"" + output + "\""};
    }
  }
  invocation.quiet = Switch(values, "quiet");
  invocation.verbose = Switch(values, "verbose");
  if (Switch(values, "help")) {
    invocation.mode = Mode::kHelp;
    return invocation;
  }
  if (Switch(values, "version")) {
    invocation.mode = Mode::kVersion;
    return invocation;
  }

  if (positional.empty()) {
    if (invocation.command.empty()) {
      return Error{"no workload given; usage: rlimit-init [OPTIONS] [--] COMMAND [ARG...]"};
    }
    return invocation;
  }
  const std::string& sub = positional.front();
  std::size_t extra = positional.size() - 1;
  if (!invocation.command.empty() && sub != "help") {
    return Error{"\"" + sub + "\" takes no workload"};
  }
  if (sub == "install") {
    if (extra != 1) return Error{"usage: rlimit-init install DIR"};
    invocation.mode = Mode::kInstall;
    invocation.install_dir = positional[1];
    return invocation;
  }
  if (extra != 0) return Error{"unexpected argument \"" + positional[1] + "\" after " + sub};
  if (sub == "check") invocation.mode = Mode::kCheck;
  if (sub == "inspect") invocation.mode = Mode::kInspect;
  if (sub == "version") invocation.mode = Mode::kVersion;
  if (sub == "help") invocation.mode = Mode::kHelp;
  return invocation;
}

std::string HelpText() {
  return R"(usage: rlimit-init [OPTIONS] [--] COMMAND [ARG...]   apply the policy, then exec COMMAND
       rlimit-init check   [OPTIONS]                 decide and report, exec nothing
       rlimit-init inspect [--output text|json]      show every limit that applies here
       rlimit-init install DIR                       copy this binary to DIR/rlimit-init
       rlimit-init version | --version | --help

Raises the soft address-space limit (RLIMIT_AS, ulimit -v) to what the policy asks for, within
the hard limit and with the cgroup memory limit in view, then execs COMMAND. Where a cap set
by the orchestration layer blocks the request, it refuses and names the setting to change.

options:
  -p, --policy FILE      YAML policy (default: $RLIMIT_INIT_POLICY, else none)
      --as QUANTITY      address space to request: 6Gi, 75%, unlimited or hard; overrides
                         addressSpace.request (env: RLIMIT_INIT_AS); default: hard
  -o, --output FORMAT    text or json (a run reports on stderr, check on stdout)
  -q, --quiet            no line on success; warnings, refusals and errors still print
  -v, --verbose          also print what was observed
      --host-root DIR    read /proc, /sys, /.dockerenv and /run/.containerenv below DIR
                         (env: RLIMIT_INIT_HOST_ROOT)
  -h, --help             this text
      --version          print the version

exit codes:
  the workload's own   once it has been exec'd
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

}  // namespace rlimit_init

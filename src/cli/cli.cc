// SPDX-License-Identifier: Apache-2.0
#include "cli/cli.h"

#include <algorithm>
#include <array>
#include <bitset>
#include <string_view>

#include "base/version.h"

namespace rlimit_init {
namespace {

enum class Id {
  kPolicy, kAs, kLimit, kOutput, kQuiet, kVerbose, kHostRoot, kInit, kReport, kRecommend, kHelp,
  kVersion
};

// The one list of options: the parser reads it and --help prints it (a test holds the README's
// usage block to that text). Boost.Program_options, used before, needed the options described
// a second time, could not tell which words before the workload take a value without a third
// list, rejected "-qp FILE" and took 15 s over 100,000 repeated options.
struct OptionSpec {
  Id id;
  std::string_view long_name;
  char short_name;              // '\0' for none
  std::string_view value_name;  // empty for a switch
  std::string_view help;        // lines after the first are indented under it
};

constexpr std::array<OptionSpec, 12> kOptions = {{
    {Id::kPolicy, "policy", 'p', "FILE", "YAML policy (default: $RLIMIT_INIT_POLICY, else none)"},
    {Id::kAs, "as", '\0', "QUANTITY",
     "address space to request: 6Gi, 75%, unlimited or hard; overrides\n"
     "addressSpace.request (env: RLIMIT_INIT_AS); default: hard"},
    {Id::kLimit, "limit", '\0', "NAME=VALUE",
     "set the soft limit NAME (prlimit's names: nofile, memlock, stack,\n"
     "core, nproc ...) to VALUE, raising or lowering it; VALUE:VALUE\n"
     "also raises the hard limit where allowed; repeatable; overrides\n"
     "limits.NAME (env: RLIMIT_INIT_LIMITS=\"nofile=65536,core=0\")"},
    {Id::kOutput, "output", 'o', "FORMAT", "text or json (a run reports on stderr, check on stdout)"},
    {Id::kQuiet, "quiet", 'q', "", "no line on success; warnings, refusals and errors still print"},
    {Id::kVerbose, "verbose", 'v', "", "also print what was observed"},
    {Id::kHostRoot, "host-root", '\0', "DIR",
     "read /proc, /sys, /.dockerenv and /run/.containerenv below DIR\n"
     "(env: RLIMIT_INIT_HOST_ROOT)"},
    {Id::kInit, "init", '\0', "MODE",
     "auto, exec, child or group: stay as the workload's parent, forward\n"
     "signals (to its process group with group) and reap zombies; auto\n"
     "does so when rlimit-init is PID 1 (env: RLIMIT_INIT_INIT; default:\n"
     "init in the policy, else auto)"},
    {Id::kReport, "report", '\0', "FILE", "measure: write the report to FILE, not stderr"},
    {Id::kRecommend, "recommend", '\0', "FILE", "measure: also write the recommended policy to FILE"},
    {Id::kHelp, "help", 'h', "", "print this text"},
    {Id::kVersion, "version", '\0', "", "print the version and the commit it was built from"},
}};

constexpr std::array<std::string_view, 6> kSubcommands = {"check", "inspect", "install",
                                                          "version", "help",    "measure"};

const OptionSpec* FindLong(std::string_view name) {
  for (const OptionSpec& o : kOptions) {
    if (o.long_name == name) return &o;
  }
  return nullptr;
}

const OptionSpec* FindShort(char name) {
  for (const OptionSpec& o : kOptions) {
    if (o.short_name != '\0' && o.short_name == name) return &o;
  }
  return nullptr;
}

std::string Quoted(std::string_view text) { return "'" + std::string(text) + "'"; }

// Reads rlimit-init's own words. After the first error it keeps reading, so that a well-formed
// --output anywhere on the line still decides the format the error is given in; each word is
// looked at once, so even 100,000 repeated options cost microseconds.
class Parser {
 public:
  Parser(int argc, const char* const* argv) : argc_(argc), argv_(argv) {}

  Result<Invocation> Run(OutputFormat* error_format) {
    ReadWords();
    if (error_.empty()) CheckPositional();
    if (error_.empty()) return invocation_;
    if (error_format != nullptr) *error_format = invocation_.output.value_or(OutputFormat::kText);
    return Error{error_};
  }

 private:
  void Fail(std::string message) {
    if (error_.empty()) error_ = std::move(message);
  }

  // The value of an option that takes one: what follows in the same word, else the next word,
  // which must not be "--" (it ends the options, so "-p --" lacks its argument).
  std::optional<std::string_view> TakeValue(std::string_view attached, bool has_attached,
                                            int* i) {
    if (has_attached) return attached;
    if (*i + 1 < argc_ && std::string_view(argv_[*i + 1]) != "--") return argv_[++*i];
    return std::nullopt;
  }

  void Apply(const OptionSpec& option, std::string_view value) {
    const std::size_t bit = static_cast<std::size_t>(option.id);
    if (option.id == Id::kLimit) return AddLimit(value);  // repeatable, each name once
    if (seen_.test(bit)) {
      // Which of two values would win is a guess a user should not have to make.
      return Fail("option " + Quoted("--" + std::string(option.long_name)) +
                  " cannot be given more than once");
    }
    seen_.set(bit);
    switch (option.id) {
      case Id::kPolicy: invocation_.policy_path = std::string(value); break;
      case Id::kAs: invocation_.as = std::string(value); break;
      case Id::kHostRoot: invocation_.host_root = std::string(value); break;
      case Id::kReport: invocation_.report_path = std::string(value); break;
      case Id::kRecommend: invocation_.recommend_path = std::string(value); break;
      case Id::kInit:
        if (Result<InitMode> mode = ParseInitMode(value)) {
          invocation_.init = mode.value();
        } else {
          Fail("--init: " + mode.error());
        }
        break;
      case Id::kLimit: break;
      case Id::kQuiet: invocation_.quiet = true; break;
      case Id::kVerbose: invocation_.verbose = true; break;
      case Id::kHelp: help_ = true; break;
      case Id::kVersion: version_ = true; break;
      case Id::kOutput:
        if (value == "text") {
          invocation_.output = OutputFormat::kText;
        } else if (value == "json") {
          invocation_.output = OutputFormat::kJson;
        } else {
          Fail("--output must be text or json, not \"" + std::string(value) + "\"");
        }
        break;
    }
  }

  void AddLimit(std::string_view value) {
    Result<LimitOverride> limit = ParseLimitOverride(value);
    if (!limit) return Fail("--limit " + limit.error());
    for (const LimitOverride& earlier : invocation_.limits) {
      if (earlier.resource == limit->resource) {
        return Fail("--limit " + std::string(Row(limit->resource).name) +
                    " cannot be given more than once");
      }
    }
    invocation_.limits.push_back(std::move(limit).value());
  }

  void LongOption(std::string_view word, int* i) {
    const std::size_t equals = word.find('=');
    const std::string_view name = word.substr(2, equals == word.npos ? word.npos : equals - 2);
    const OptionSpec* option = FindLong(name);
    if (option == nullptr) {
      return Fail("unrecognised option " + Quoted(word.substr(0, equals)));
    }
    if (option->value_name.empty()) {
      if (equals != word.npos) {
        return Fail("option " + Quoted(word.substr(0, equals)) + " takes no value");
      }
      return Apply(*option, "");
    }
    std::optional<std::string_view> value =
        TakeValue(equals == word.npos ? "" : word.substr(equals + 1), equals != word.npos, i);
    if (!value) {
      return Fail("the required argument for option " + Quoted(word) + " is missing");
    }
    Apply(*option, *value);
  }

  // "-qv", "-qp FILE", "-qpFILE": switches bundled, the first option that takes a value ends
  // the word and takes the rest of it, or else the next word.
  void ShortOptions(std::string_view word, int* i) {
    for (std::size_t at = 1; at < word.size(); ++at) {
      const OptionSpec* option = FindShort(word[at]);
      if (option == nullptr) {
        return Fail("unrecognised option " + Quoted(std::string("-") + word[at]));
      }
      if (option->value_name.empty()) {
        Apply(*option, "");
        continue;
      }
      const std::string_view rest = word.substr(at + 1);
      std::optional<std::string_view> value = TakeValue(rest, !rest.empty(), i);
      if (!value) {
        return Fail("the required argument for option " +
                    Quoted("--" + std::string(option->long_name)) + " is missing");
      }
      return Apply(*option, *value);
    }
  }

  void ReadWords() {
    for (int i = 1; i < argc_; ++i) {
      const std::string_view word = argv_[i];
      if (word == "--") {
        invocation_.command.assign(argv_ + i + 1, argv_ + argc_);
        if (invocation_.command.empty()) Fail("no workload after \"--\"");
        return;
      }
      if (word.starts_with("--")) {
        LongOption(word, &i);
        continue;
      }
      if (word.size() > 1 && word.front() == '-') {
        ShortOptions(word, &i);
        continue;
      }
      const bool is_subcommand =
          std::find(kSubcommands.begin(), kSubcommands.end(), word) != kSubcommands.end();
      if (positional_.empty() && is_subcommand) {
        positional_.emplace_back(word);
        continue;
      }
      if (!positional_.empty()) {
        // A subcommand's arguments: only install takes one. Reading goes on after a stray
        // word, for an --output further on.
        const std::string& sub = positional_.front();
        if (sub == "measure") {
          invocation_.command.assign(argv_ + i, argv_ + argc_);  // measure's workload
          return;
        }
        if (sub == "install" && positional_.size() == 1) {
          positional_.emplace_back(word);
        } else if (sub == "install") {
          Fail("usage: rlimit-init install DIR");
        } else {
          Fail("unexpected argument \"" + std::string(word) + "\" after " + sub);
        }
        continue;
      }
      invocation_.command.assign(argv_ + i, argv_ + argc_);  // the workload starts here
      return;
    }
  }

  void CheckPositional() {
    if (help_) {
      invocation_.mode = Mode::kHelp;
      return;
    }
    if (version_) {
      invocation_.mode = Mode::kVersion;
      return;
    }
    const bool measure = !positional_.empty() && positional_.front() == "measure";
    if (!measure && (invocation_.report_path || invocation_.recommend_path)) {
      return Fail(std::string(invocation_.report_path ? "--report" : "--recommend") +
                  " is an option of measure");
    }
    if (measure) {
      if (invocation_.command.empty()) {
        return Fail("no workload given; usage: rlimit-init measure [OPTIONS] -- COMMAND [ARG...]");
      }
      invocation_.mode = Mode::kMeasure;
      return;
    }
    if (positional_.empty()) {
      if (invocation_.command.empty()) {
        Fail("no workload given; usage: rlimit-init [OPTIONS] [--] COMMAND [ARG...]");
      }
      return;
    }
    const std::string& sub = positional_.front();
    // check reads a workload (what runtime it starts) but runs none.
    if (!invocation_.command.empty() && sub != "help" && sub != "check") {
      return Fail("\"" + sub + "\" takes no workload");
    }
    if (sub == "install") {
      if (positional_.size() != 2) return Fail("usage: rlimit-init install DIR");
      invocation_.mode = Mode::kInstall;
      invocation_.install_dir = positional_[1];
      return;
    }
    if (sub == "check") invocation_.mode = Mode::kCheck;
    if (sub == "inspect") invocation_.mode = Mode::kInspect;
    if (sub == "version") invocation_.mode = Mode::kVersion;
    if (sub == "help") invocation_.mode = Mode::kHelp;
  }

  const int argc_;
  const char* const* const argv_;
  Invocation invocation_;
  std::vector<std::string> positional_;  // a subcommand and its arguments
  std::bitset<kOptions.size()> seen_;
  bool help_ = false;
  bool version_ = false;
  std::string error_;
};

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

Result<Invocation> ParseCommandLine(int argc, const char* const* argv, OutputFormat* error_format) {
  return Parser(argc, argv).Run(error_format);
}

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

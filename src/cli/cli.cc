// SPDX-License-Identifier: Apache-2.0
#include "cli/cli.h"

#include <algorithm>
#include <array>
#include <bitset>
#include <charconv>
#include <optional>
#include <string_view>

#include <boost/program_options/errors.hpp>
#include <boost/program_options/options_description.hpp>
#include <boost/program_options/parsers.hpp>

#include "base/text.h"

namespace rlimit_init {
namespace {

namespace po = boost::program_options;
namespace style = po::command_line_style;

// GNU's rules: "-qv", "-qp FILE", "-qpFILE", "--policy FILE", "--policy=FILE". No guessing
// ("--pol" is not --policy) and no case folding, which Boost's default style would allow.
constexpr int kStyle = style::allow_short | style::allow_dash_for_short | style::allow_sticky |
                       style::short_allow_adjacent | style::short_allow_next |
                       style::allow_long | style::long_allow_adjacent | style::long_allow_next;

// Boost reads at most this many words at a time. Every option once, each --limit name once and
// the word that ends them are 49 words, so a longer run of options holds an error (an option
// given twice, an unknown one, a stray word) within the first 64, and that is what is said.
// Boost's reader erases each word from the front of a vector, so its work grows with the
// square of the words it is given: 100,000 "-q" took it 45 s.
constexpr std::size_t kMaxWords = 64;

constexpr std::array<std::string_view, 6> kSubcommands = {"check", "inspect", "install",
                                                          "version", "help",    "measure"};

bool IsSubcommand(std::string_view word) {
  return std::find(kSubcommands.begin(), kSubcommands.end(), word) != kSubcommands.end();
}

bool IsOptionWord(std::string_view word) {
  return word.size() > 1 && word.front() == '-' && word != "--";
}

std::string Named(std::string_view name) { return "'" + std::string(name) + "'"; }

// An empty word as Boost is given it. Boost takes "" for the name of every option without a
// short name, so "--as ''" would read as a missing value; a NUL, which no argv word can hold,
// names nothing.
constexpr std::string_view kEmptyWord("\0", 1);

// The word Boost is given for argv's `word`. Boost reads bundled switches ("-qv") one letter at
// a time, copying the rest of the word each time; such a run ends at its first repeat, which is
// an error there, so the word is cut after it: 100,000 letters cost what two do.
std::string Bounded(std::string_view word) {
  if (word.empty()) return std::string(kEmptyWord);
  if (!IsOptionWord(word) || word[1] == '-') return std::string(word);
  std::bitset<256> seen;
  for (std::size_t at = 1; at < word.size(); ++at) {
    const OptionSpec* option = FindShortOption(word[at]);
    if (option == nullptr || !option->value_name.empty()) break;  // a value, or not ours
    const unsigned char letter = static_cast<unsigned char>(word[at]);
    if (seen.test(letter)) return std::string(word.substr(0, at + 1));
    seen.set(letter);
  }
  return std::string(word);
}

// Boost's first style parser. Boost itself would read options anywhere on the line, the
// workload's included ("python3 job.py -q"); this one ends them at "--", and, when
// `stop_at_word`, at the first word that is no option, handing back every word from there on
// as one positional option (its values). A value such as FILE in "-p FILE" never reaches it as
// a word of its own: Boost gives it to its option first.
std::vector<po::option> TakeRest(std::vector<std::string>& words, bool stop_at_word) {
  const std::string& first = words.front();
  if (IsOptionWord(first) || (first != "--" && !stop_at_word)) return {};
  po::option rest;
  rest.value = std::move(words);
  words.clear();
  return {std::move(rest)};
}

// Boost's word-splitting on `words`, or the error of the first word it could not split, in
// our words: Boost's own texts never reach the user.
Result<std::vector<po::option>> Split(const po::options_description& options,
                                      const std::vector<std::string>& words,
                                      bool stop_at_word) {
  try {
    return po::command_line_parser(words)
        .options(options)
        .style(kStyle)
        .extra_style_parser(
            [stop_at_word](std::vector<std::string>& rest) { return TakeRest(rest, stop_at_word); })
        .allow_unregistered()
        .run()
        .options;
  } catch (const po::invalid_command_line_syntax& e) {
    const std::string option = Named(e.get_option_name());
    switch (e.kind()) {
      case po::invalid_syntax::extra_parameter:
        return Error{"option " + option + " takes no value"};
      case po::invalid_syntax::missing_parameter:
      case po::invalid_syntax::empty_adjacent_parameter:  // "--policy="
        return Error{"the required argument for option " + option + " is missing"};
      default:
        return Error{"option " + option + " is malformed"};
    }
  } catch (const po::error&) {
    // Not raised with kStyle and allow_unregistered; said rather than let through.
    return Error{"the options could not be read"};
  }
}

// Where the words after the options start in argv.
struct Rest {
  int index;          // the first word of the workload, or argv's end
  bool after_dashes;  // they follow "--"
};

// Reads rlimit-init's own words, with Boost.Program_options splitting them. After the first
// error it keeps reading, so that a well-formed --output anywhere among them still decides the
// format the error is given in.
class Parser {
 public:
  Parser(int argc, const char* const* argv) : argc_(argc), argv_(argv) {}

  Result<Invocation> Run(OutputFormat* error_format) {
    // The options, up to a subcommand or the workload; then a subcommand's options: all the
    // words after it but measure's workload.
    std::optional<Rest> rest = ReadOptions(1, true);
    if (rest && !rest->after_dashes && rest->index < argc_ && IsSubcommand(argv_[rest->index])) {
      subcommand_ = argv_[rest->index];
      rest = ReadOptions(rest->index + 1, subcommand_ == "measure");
    }
    if (rest) {
      invocation_.command.assign(argv_ + rest->index, argv_ + argc_);
      if (rest->after_dashes && invocation_.command.empty()) Fail("no workload after \"--\"");
    }
    if (error_.empty()) CheckSubcommand();
    if (error_.empty()) return invocation_;
    if (error_format != nullptr) *error_format = invocation_.output.value_or(OutputFormat::kText);
    return Error{error_};
  }

 private:
  void Fail(std::string message) {
    if (error_.empty()) error_ = std::move(message);
  }

  // Reads argv[from...] up to "--" or, when `stop_at_word`, the first word that is no option.
  // Returns where the words after them start, if they were reached.
  std::optional<Rest> ReadOptions(int from, bool stop_at_word) {
    const std::size_t available = static_cast<std::size_t>(argc_ - from);
    std::vector<std::string> words;
    words.reserve(std::min(available, kMaxWords));
    for (std::size_t i = 0; i < std::min(available, kMaxWords); ++i) {
      words.push_back(Bounded(argv_[from + static_cast<int>(i)]));
    }
    const std::size_t given = words.size();
    const po::options_description options = DescribeOptions(words);
    Result<std::vector<po::option>> split = Split(options, words, stop_at_word);
    if (!split) {
      // Boost gives up at the word it cannot split. The longest run of words before it that
      // splits still holds what came first: an earlier error, the --output to answer in.
      const std::string error = split.error();
      while (!split && !words.empty()) {
        words.pop_back();
        split = Split(options, words, stop_at_word);
      }
      if (split) Apply(split.value(), from, words.size(), stop_at_word);
      Fail(error);
      return std::nullopt;
    }
    std::optional<Rest> rest = Apply(split.value(), from, given, stop_at_word);
    if (!rest && available > given) {
      Fail("more than " + std::to_string(kMaxWords) + " words of options");
    }
    return rest;
  }

  // Takes in what Boost split from the `count` words at argv[from].
  std::optional<Rest> Apply(const std::vector<po::option>& split, int from, std::size_t count,
                            bool stop_at_word) {
    std::optional<Rest> rest;
    for (const po::option& option : split) {
      if (option.unregistered) {
        // Boost keeps a long option's name without its dashes, a short one's with its dash.
        const bool is_long = option.original_tokens.front().starts_with("--");
        Fail("unrecognised option " + Named((is_long ? "--" : "") + option.string_key));
      } else if (!option.string_key.empty()) {
        ApplyOption(option);
      } else if (option.value.front() == "--" || stop_at_word) {
        // TakeRest's words: the end of argv from here on, though Boost saw only `count` words.
        const bool dashes = option.value.front() == "--";
        rest = Rest{from + static_cast<int>(count - option.value.size()) + (dashes ? 1 : 0),
                    dashes};
      } else {
        Argument(option.value.front());
      }
    }
    return rest;
  }

  void ApplyOption(const po::option& option) {
    const OptionSpec& spec = *FindLongOption(option.string_key);
    std::string_view value =
        option.value.empty() ? std::string_view() : std::string_view(option.value.front());
    if (value == kEmptyWord) value = "";
    // Boost takes the next word as the value even when it is "--" ("-p -- true"); "--" ends
    // the options, so the value is missing. ("--policy=--" names a file "--".)
    if (option.original_tokens.size() == 2 && value == "--") {
      return Fail("the required argument for option " +
                  Named("--" + std::string(spec.long_name)) + " is missing");
    }
    if (spec.id == OptionId::kLimit) return AddLimit(value);  // repeatable, each name once
    const std::size_t bit = static_cast<std::size_t>(spec.id);
    if (seen_.test(bit)) {
      // Which of two values would win is a guess a user should not have to make.
      return Fail("option " + Named("--" + std::string(spec.long_name)) +
                  " cannot be given more than once");
    }
    seen_.set(bit);
    switch (spec.id) {
      case OptionId::kPolicy: invocation_.policy_path = std::string(value); break;
      case OptionId::kAs: invocation_.as = std::string(value); break;
      case OptionId::kHostRoot: invocation_.host_root = std::string(value); break;
      case OptionId::kReport: invocation_.report_path = std::string(value); break;
      case OptionId::kRecommend: invocation_.recommend_path = std::string(value); break;
      case OptionId::kPlot: invocation_.plot_path = std::string(value); break;
      case OptionId::kRuns: {
        unsigned runs = 0;
        auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), runs);
        if (error != std::errc() || end != value.data() + value.size() || runs < 1 ||
            runs > kMaxRuns) {
          Fail("--runs: " + Quoted(value) + " is not a whole number from 1 to " +
               std::to_string(kMaxRuns));
        } else {
          invocation_.runs = runs;
        }
        break;
      }
      case OptionId::kInit:
        if (Result<InitMode> mode = ParseInitMode(value)) {
          invocation_.init = mode.value();
        } else {
          Fail("--init: " + mode.error());
        }
        break;
      case OptionId::kLimit: break;
      case OptionId::kQuiet: invocation_.quiet = true; break;
      case OptionId::kVerbose: invocation_.verbose = true; break;
      case OptionId::kHelp: help_ = true; break;
      case OptionId::kVersion: version_ = true; break;
      case OptionId::kOutput:
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

  // A word after a subcommand that is not an option: only install takes one.
  void Argument(std::string word) {
    if (word == kEmptyWord) word.clear();
    if (subcommand_ == "install" && !install_dir_) {
      install_dir_ = word;
    } else if (subcommand_ == "install") {
      Fail("usage: rlimit-init install DIR");
    } else {
      Fail("unexpected argument \"" + word + "\" after " + subcommand_);
    }
  }

  void CheckSubcommand() {
    if (help_) {
      invocation_.mode = Mode::kHelp;
      return;
    }
    if (version_) {
      invocation_.mode = Mode::kVersion;
      return;
    }
    const bool measure = subcommand_ == "measure";
    if (!measure && (invocation_.report_path || invocation_.recommend_path ||
                     invocation_.plot_path || invocation_.runs)) {
      return Fail(std::string(invocation_.report_path      ? "--report"
                              : invocation_.recommend_path ? "--recommend"
                              : invocation_.plot_path      ? "--plot"
                                                           : "--runs") +
                  " is an option of measure");
    }
    if (measure) {
      if (invocation_.command.empty()) {
        return Fail("no workload given; usage: rlimit-init measure [OPTIONS] -- COMMAND [ARG...]");
      }
      invocation_.mode = Mode::kMeasure;
      return;
    }
    if (subcommand_.empty()) {
      if (invocation_.command.empty()) {
        Fail("no workload given; usage: rlimit-init [OPTIONS] [--] COMMAND [ARG...]");
      }
      return;
    }
    // check reads a workload (what runtime it starts) but runs none.
    if (!invocation_.command.empty() && subcommand_ != "help" && subcommand_ != "check") {
      return Fail("\"" + subcommand_ + "\" takes no workload");
    }
    if (subcommand_ == "install") {
      if (!install_dir_) return Fail("usage: rlimit-init install DIR");
      invocation_.mode = Mode::kInstall;
      invocation_.install_dir = *install_dir_;
      return;
    }
    if (subcommand_ == "check") invocation_.mode = Mode::kCheck;
    if (subcommand_ == "inspect") invocation_.mode = Mode::kInspect;
    if (subcommand_ == "version") invocation_.mode = Mode::kVersion;
    if (subcommand_ == "help") invocation_.mode = Mode::kHelp;
  }

  const int argc_;
  const char* const* const argv_;
  Invocation invocation_;
  std::string subcommand_;                  // check, inspect, install, ...; empty for a run
  std::optional<std::string> install_dir_;  // install's DIR
  std::bitset<kOptions.size()> seen_;
  bool help_ = false;
  bool version_ = false;
  std::string error_;
};

}  // namespace

Result<Invocation> ParseCommandLine(int argc, const char* const* argv, OutputFormat* error_format) {
  return Parser(argc, argv).Run(error_format);
}

}  // namespace rlimit_init

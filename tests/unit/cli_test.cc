// SPDX-License-Identifier: Apache-2.0
#include "cli/cli.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <sstream>
#include <string>
#include <vector>

#include "cli/options.h"
#include "run/exec.h"
#include "run/install.h"
#include "run/run.h"

namespace rlimit_init {
namespace {

Result<Invocation> Parse(std::vector<const char*> args) {
  args.insert(args.begin(), "rlimit-init");
  return ParseCommandLine(static_cast<int>(args.size()), args.data());
}

TEST(CommandLine, FirstNonSubcommandWordStartsTheWorkload) {
  Invocation i = Parse({"-p", "p.yaml", "python3", "job.py", "--as", "x"}).value();
  EXPECT_EQ(i.mode, Mode::kRun);
  EXPECT_EQ(i.policy_path, "p.yaml");
  EXPECT_FALSE(i.as.has_value());  // the workload's own --as is not ours
  EXPECT_EQ(i.command, (std::vector<std::string>{"python3", "job.py", "--as", "x"}));
}

TEST(CommandLine, DoubleDashAlwaysEndsOptions) {
  Invocation i = Parse({"--as=512Mi", "-q", "--", "check", "-v"}).value();
  EXPECT_EQ(i.mode, Mode::kRun);
  EXPECT_EQ(i.as, "512Mi");
  EXPECT_TRUE(i.quiet);
  EXPECT_FALSE(i.verbose);
  EXPECT_EQ(i.command, (std::vector<std::string>{"check", "-v"}));
}

TEST(CommandLine, MeasureTakesItsWorkloadAfterDoubleDashOrItsOptions) {
  Invocation i = Parse({"measure", "-p", "p.yaml", "--report", "r.txt", "--recommend=rec.yaml",
                        "--", "python3", "-q"}).value();
  EXPECT_EQ(i.mode, Mode::kMeasure);
  EXPECT_EQ(i.policy_path, "p.yaml");
  EXPECT_EQ(i.report_path, "r.txt");
  EXPECT_EQ(i.recommend_path, "rec.yaml");
  EXPECT_FALSE(i.quiet);  // the workload's -q
  EXPECT_EQ(i.command, (std::vector<std::string>{"python3", "-q"}));
  Invocation j = Parse({"-o", "json", "measure", "python3", "job.py", "-o", "text"}).value();
  EXPECT_EQ(j.mode, Mode::kMeasure);
  EXPECT_EQ(j.output, OutputFormat::kJson);
  EXPECT_EQ(j.command, (std::vector<std::string>{"python3", "job.py", "-o", "text"}));
}

TEST(CommandLine, MeasureNeedsAWorkloadAndItsOptionsNeedMeasure) {
  EXPECT_EQ(Parse({"measure"}).error(),
            "no workload given; usage: rlimit-init measure [OPTIONS] -- COMMAND [ARG...]");
  EXPECT_EQ(Parse({"measure", "-q", "--"}).error(), "no workload after \"--\"");
  EXPECT_EQ(Parse({"--report", "r.txt", "--", "true"}).error(), "--report is an option of measure");
  EXPECT_EQ(Parse({"check", "--recommend", "r.yaml"}).error(),
            "--recommend is an option of measure");
}

TEST(CommandLine, SubcommandsTakeOptionsOnEitherSide) {
  Invocation i = Parse({"check", "--policy", "p.yaml", "-o", "json"}).value();
  EXPECT_EQ(i.mode, Mode::kCheck);
  EXPECT_EQ(i.policy_path, "p.yaml");
  EXPECT_EQ(i.output, OutputFormat::kJson);
  Invocation j = Parse({"-v", "inspect"}).value();
  EXPECT_EQ(j.mode, Mode::kInspect);
  EXPECT_TRUE(j.verbose);
  Invocation k = Parse({"install", "/target"}).value();
  EXPECT_EQ(k.mode, Mode::kInstall);
  EXPECT_EQ(k.install_dir, "/target");
  EXPECT_EQ(Parse({"--version"}).value().mode, Mode::kVersion);
  EXPECT_EQ(Parse({"version"}).value().mode, Mode::kVersion);
  EXPECT_EQ(Parse({"--help"}).value().mode, Mode::kHelp);
  EXPECT_EQ(Parse({"--host-root", "/fixture", "inspect"}).value().host_root, "/fixture");
}

TEST(CommandLine, ErrorsSayWhatIsWrong) {
  EXPECT_EQ(Parse({}).error(),
            "no workload given; usage: rlimit-init [OPTIONS] [--] COMMAND [ARG...]");
  EXPECT_EQ(Parse({"--"}).error(), "no workload after \"--\"");
  EXPECT_EQ(Parse({"--bogus", "true"}).error(), "unrecognised option '--bogus'");
  EXPECT_EQ(Parse({"-o", "yaml", "true"}).error(), "--output must be text or json, not \"yaml\"");
  EXPECT_EQ(Parse({"--policy"}).error(),
            "the required argument for option '--policy' is missing");
  EXPECT_EQ(Parse({"-p", "--", "true"}).error(),
            "the required argument for option '--policy' is missing");
  EXPECT_EQ(Parse({"--as", "--", "true"}).error(),
            "the required argument for option '--as' is missing");
  EXPECT_EQ(Parse({"install"}).error(), "usage: rlimit-init install DIR");
  EXPECT_EQ(Parse({"install", "a", "b"}).error(), "usage: rlimit-init install DIR");
  EXPECT_EQ(Parse({"-x", "true"}).error(), "unrecognised option '-x'");
  EXPECT_EQ(Parse({"-qx", "true"}).error(), "unrecognised option '-x'");
  EXPECT_EQ(Parse({"--quiet=yes", "true"}).error(), "option '--quiet' takes no value");
  EXPECT_EQ(Parse({"-qp"}).error(), "the required argument for option '--policy' is missing");
  EXPECT_EQ(Parse({"check", "extra"}).error(), "unexpected argument \"extra\" after check");
  EXPECT_EQ(Parse({"inspect", "--", "true"}).error(), "\"inspect\" takes no workload");
  EXPECT_EQ(Parse({"--pol", "p.yaml", "true"}).error(), "unrecognised option '--pol'");
}

TEST(CommandLine, CheckReadsAWorkloadItDoesNotRun) {
  Invocation i = Parse({"check", "--as", "1Gi", "--", "java", "-version"}).value();
  EXPECT_EQ(i.mode, Mode::kCheck);
  EXPECT_EQ(i.command, (std::vector<std::string>{"java", "-version"}));
}

TEST(CommandLine, ShortOptionsBundleWithTheirValue) {
  Invocation i = Parse({"-qp", "g.yaml", "--", "echo"}).value();
  EXPECT_TRUE(i.quiet);
  EXPECT_EQ(i.policy_path, "g.yaml");
  EXPECT_EQ(i.command, (std::vector<std::string>{"echo"}));
  Invocation j = Parse({"-vqpg.yaml", "-ojson", "check"}).value();
  EXPECT_TRUE(j.verbose);
  EXPECT_TRUE(j.quiet);
  EXPECT_EQ(j.policy_path, "g.yaml");
  EXPECT_EQ(j.output, OutputFormat::kJson);
  EXPECT_EQ(j.mode, Mode::kCheck);
  EXPECT_EQ(Parse({"-h"}).value().mode, Mode::kHelp);
  EXPECT_EQ(Parse({"help"}).value().mode, Mode::kHelp);
}

TEST(CommandLine, AnOptionGivenTwiceIsRefused) {
  EXPECT_EQ(Parse({"-p", "a", "--policy=b", "true"}).error(),
            "option '--policy' cannot be given more than once");
  EXPECT_EQ(Parse({"-qq", "true"}).error(), "option '--quiet' cannot be given more than once");
  std::vector<const char*> many(100000, "-q");
  many.push_back("true");
  EXPECT_EQ(Parse(many).error(), "option '--quiet' cannot be given more than once");
}

TEST(CommandLine, RepeatedLettersAreReadOnlyUpToTheRepeat) {
  const std::string letters = "-" + std::string(100000, 'q');
  EXPECT_EQ(Parse({letters.c_str(), "true"}).error(),
            "option '--quiet' cannot be given more than once");
  const std::string mixed = "-vqv" + std::string(100000, 'x');
  EXPECT_EQ(Parse({mixed.c_str(), "true"}).error(),
            "option '--verbose' cannot be given more than once");
}

TEST(CommandLine, AWorkloadOfAnyLengthIsKeptWhole) {
  std::vector<const char*> args = {"-q", "--"};
  std::vector<std::string> words;
  for (int n = 0; n < 100; ++n) words.push_back("-" + std::to_string(n));
  for (const std::string& word : words) args.push_back(word.c_str());
  Invocation i = Parse(args).value();
  EXPECT_TRUE(i.quiet);
  EXPECT_EQ(i.command, words);
  args[1] = "echo";  // "-q echo -0 -1 ...": the first word that is no option ends them
  std::vector<std::string> command = {"echo"};
  command.insert(command.end(), words.begin(), words.end());
  EXPECT_EQ(Parse(args).value().command, command);
}

TEST(CommandLine, ValuesAreTakenWhateverTheyLookLike) {
  const std::string path = "/tmp/" + std::string(300, 'p') + "/policy.yaml";
  Invocation i = Parse({"-p", path.c_str(), "check"}).value();
  EXPECT_EQ(i.mode, Mode::kCheck);
  EXPECT_EQ(i.policy_path, path);
  Invocation j = Parse({"-p", "check", "python3", "-q"}).value();  // a policy named "check"
  EXPECT_EQ(j.mode, Mode::kRun);
  EXPECT_EQ(j.policy_path, "check");
  EXPECT_FALSE(j.quiet);
  EXPECT_EQ(j.command, (std::vector<std::string>{"python3", "-q"}));
  Invocation k = Parse({"measure", "check", "-q"}).value();  // a workload named "check"
  EXPECT_EQ(k.mode, Mode::kMeasure);
  EXPECT_FALSE(k.quiet);
  EXPECT_EQ(k.command, (std::vector<std::string>{"check", "-q"}));
  Invocation l = Parse({"install", "/target", "-q"}).value();
  EXPECT_EQ(l.mode, Mode::kInstall);
  EXPECT_EQ(l.install_dir, "/target");
  EXPECT_TRUE(l.quiet);
  EXPECT_EQ(Parse({"--as", "-1", "true"}).value().as, "-1");  // for --as to refuse
  EXPECT_EQ(Parse({"--policy=--", "true"}).value().policy_path, "--");
  EXPECT_EQ(Parse({"--as", "", "true"}).value().as, "");  // for --as to refuse
  EXPECT_EQ(Parse({"measure", "--report", "", "true"}).value().report_path, "");
  EXPECT_EQ(Parse({"install", ""}).value().install_dir, "");
  EXPECT_EQ(Parse({"-q", "", "-q"}).value().command, (std::vector<std::string>{"", "-q"}));
  EXPECT_EQ(Parse({"--policy=", "true"}).error(),
            "the required argument for option '--policy' is missing");
}

TEST(CommandLine, AnErrorKeepsTheOutputFormatItWasAskedFor) {
  auto format_of = [](std::vector<const char*> args) {
    args.insert(args.begin(), "rlimit-init");
    OutputFormat format = OutputFormat::kText;
    EXPECT_FALSE(ParseCommandLine(static_cast<int>(args.size()), args.data(), &format).ok());
    return format;
  };
  EXPECT_EQ(format_of({"--bogus", "-o", "json", "--", "true"}), OutputFormat::kJson);
  EXPECT_EQ(format_of({"check", "extra", "--output=json"}), OutputFormat::kJson);
  EXPECT_EQ(format_of({"-ojson"}), OutputFormat::kJson);
  EXPECT_EQ(format_of({"-o", "yaml", "true"}), OutputFormat::kText);
  EXPECT_EQ(format_of({"-o"}), OutputFormat::kText);
  EXPECT_EQ(format_of({"--bogus", "--", "-o", "json"}), OutputFormat::kText);  // the workload's
  EXPECT_EQ(format_of({"-ojson", "--quiet=yes", "--policy"}), OutputFormat::kJson);
}

// The words of each row are checked against docs/messages.md by test_exit_codes.py; here, that
// the table holds every code the program returns, once each and in ascending order.
TEST(CommandLine, HelpListsEveryExitCodeOnceInOrder) {
  const std::string help = HelpText();
  const std::size_t start = help.find("\nexit codes:\n");
  ASSERT_NE(start, std::string::npos);
  std::vector<int> listed;
  std::istringstream rows(help.substr(start + 1));
  std::string row;
  std::getline(rows, row);  // the heading
  while (std::getline(rows, row) && !row.empty()) {
    int code = 0;
    const char* first = row.data() + row.find_first_not_of(' ');
    const char* last = row.data() + row.size();
    // Rows that do not start with a number ("the workload's own") name no code of ours.
    if (std::from_chars(first, last, code).ec == std::errc()) listed.push_back(code);
  }
  EXPECT_EQ(listed, (std::vector<int>{EXIT_SUCCESS, kExitUsage, kExitInternal, kExitCannotInstall,
                                      kExitRefused, kExitConfig, ExecFailureExitCode(EACCES),
                                      ExecFailureExitCode(ENOENT)}));
}

TEST(CommandLine, LimitIsRepeatableButEachNameOnce) {
  Invocation i = Parse({"--limit", "nofile=65536", "--limit=core=0", "--limit", "stack=8Mi:8Mi",
                        "true"}).value();
  ASSERT_EQ(i.limits.size(), 3u);
  EXPECT_EQ(i.limits[0].resource, Resource::kNofile);
  EXPECT_EQ(i.limits[1].resource, Resource::kCore);
  EXPECT_EQ(i.limits[2].resource, Resource::kStack);
  EXPECT_TRUE(i.limits[2].raise_hard);
  EXPECT_EQ(Parse({"--limit", "nofile=1", "--limit", "nofile=2", "true"}).error(),
            "--limit nofile cannot be given more than once");
  EXPECT_EQ(Parse({"--limit", "nofile=x", "true"}).error(),
            "--limit \"nofile=x\": \"x\" is not a number; nofile takes a whole number, "
            "\"unlimited\" or \"hard\"");
  EXPECT_EQ(Parse({"--limit"}).error(), "the required argument for option '--limit' is missing");
  EXPECT_EQ(Parse({"check", "--limit", "as=1Gi"}).error(),
            "--limit \"as=1Gi\": the address space is given with --as (or RLIMIT_INIT_AS)");
}

}  // namespace
}  // namespace rlimit_init

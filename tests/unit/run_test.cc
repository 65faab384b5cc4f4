// SPDX-License-Identifier: Apache-2.0
#include "run/run.h"

#include <gtest/gtest.h>

#include "fake_processes.h"
#include "fake_system.h"
#include "fixture_tree.h"

namespace rlimit_init {
namespace {

constexpr std::uint64_t kMi = 1024 * 1024;

class RunTest : public testing::Test {
 protected:
  void SetUp() override {
    // This development machine's own /proc and cgroup files: no memory limit anywhere.
    ASSERT_TRUE(LoadFixtureTree("v1-this-host", &system_));
    system_.limit(Resource::kAs) = {256 * kMi, 1024 * kMi};
    system_.writable.insert("/dev/termination-log");
  }
  Invocation Workload(std::vector<std::string> command) {
    Invocation i;
    i.command = std::move(command);
    return i;
  }
  int RunIt(const Invocation& i) {
    return rlimit_init::Run(i, system_, processes_, system_.limit(Resource::kAs));
  }

  FakeSystem system_;
  FakeProcesses processes_;
};

TEST_F(RunTest, RaisesThenExecsWithTheDecidedLimit) {
  Invocation i = Workload({"python3", "job.py"});
  i.as = "512Mi";
  EXPECT_EQ(RunIt(i), 127);  // the fake's exec fails with ENOENT
  ASSERT_EQ(system_.set_calls.size(), 1u);
  EXPECT_EQ(system_.set_calls[0].limit.soft, 512 * kMi);
  EXPECT_EQ(system_.set_calls[0].limit.hard, 1024 * kMi);
  ASSERT_EQ(system_.exec_calls.size(), 1u);
  EXPECT_EQ(system_.exec_calls[0], (std::vector<std::string>{"python3", "job.py"}));
}

TEST_F(RunTest, RefusalExecsNothingAndWritesTheTerminationMessage) {
  Invocation i = Workload({"true"});
  i.as = "2Gi";
  EXPECT_EQ(RunIt(i), kExitRefused);
  EXPECT_TRUE(system_.exec_calls.empty());
  EXPECT_TRUE(system_.set_calls.empty());
  EXPECT_EQ(system_.written["/dev/termination-log"], system_.stderr_text);
}

TEST_F(RunTest, PolicyErrorsExitSeventyEightWithoutExec) {
  system_.user_files["/p.yaml"] = "apiVersion: rlimit-init/v1\naddressSpace:\n  request: 4gi\n";
  Invocation i = Workload({"true"});
  i.policy_path = "/p.yaml";
  EXPECT_EQ(RunIt(i), kExitConfig);
  EXPECT_TRUE(system_.exec_calls.empty());
  const std::string message =
      "rlimit-init: invalid policy: /p.yaml:3:12: addressSpace.request: invalid quantity "
      "\"4gi\": unknown suffix \"gi\" (did you mean \"Gi\"? suffixes are case-sensitive)\n";
  EXPECT_EQ(system_.stderr_text, message);
  EXPECT_EQ(system_.written["/dev/termination-log"], message);
}

TEST_F(RunTest, MissingPolicyFromEnvironmentExitsSeventyEight) {
  system_.env["RLIMIT_INIT_POLICY"] = "/missing.yaml";
  EXPECT_EQ(RunIt(Workload({"true"})), kExitConfig);
  EXPECT_EQ(system_.stderr_text,
            "rlimit-init: cannot read policy /missing.yaml: No such file or directory\n");
  EXPECT_TRUE(system_.exec_calls.empty());
}

TEST_F(RunTest, BadAsFromEnvironmentIsACommandLineError) {
  system_.env["RLIMIT_INIT_AS"] = "lots";
  Invocation i = Workload({"true"});
  EXPECT_EQ(RunIt(i), kExitUsage);
  EXPECT_EQ(system_.stderr_text,
            "rlimit-init: bad command line: RLIMIT_INIT_AS: invalid quantity \"lots\": expected "
            "a number such as 512Mi\n");
}

TEST_F(RunTest, AsFlagOverridesPolicyAndEnvironment) {
  system_.user_files["/p.yaml"] = "apiVersion: rlimit-init/v1\naddressSpace:\n  request: 1Gi\n";
  system_.env["RLIMIT_INIT_AS"] = "768Mi";
  Invocation i = Workload({"true"});
  i.policy_path = "/p.yaml";
  i.as = "300Mi";
  RunIt(i);
  ASSERT_EQ(system_.set_calls.size(), 1u);
  EXPECT_EQ(system_.set_calls[0].limit.soft, 300 * kMi);
}

TEST_F(RunTest, LimitFlagBeatsTheVariableWhichBeatsThePolicy) {
  system_.user_files["/p.yaml"] =
      "apiVersion: rlimit-init/v1\nlimits:\n  nofile: 2048\n  core: 0\n";
  system_.env["RLIMIT_INIT_LIMITS"] = "nofile=3000,stack=4Mi";
  system_.limit(Resource::kNofile) = {1024, 4096};
  system_.limit(Resource::kCore) = {kMi, kMi};
  system_.limit(Resource::kStack) = {8 * kMi, 64 * kMi};
  Invocation i = Workload({"true"});
  i.policy_path = "/p.yaml";
  i.limits = {ParseLimitOverride("nofile=4000").value()};
  RunIt(i);
  // The address space first, then the table's order; core (the policy's, never lowered
  // without lower: true) stays, stack (the variable's, exact) is lowered.
  std::vector<std::string> set;
  for (const std::string& call : system_.calls) {
    if (call.starts_with("setrlimit")) set.push_back(call);
  }
  EXPECT_EQ(set, (std::vector<std::string>{"setrlimit as 1073741824:1073741824",
                                     "setrlimit nofile 4000:4096",
                                     "setrlimit stack 4194304:67108864"}));
}

TEST_F(RunTest, BadLimitsVariableIsACommandLineErrorBeforeAnything) {
  system_.env["RLIMIT_INIT_LIMITS"] = "nofile=many";
  EXPECT_EQ(RunIt(Workload({"true"})), kExitUsage);
  EXPECT_EQ(system_.stderr_text,
            "rlimit-init: bad command line: RLIMIT_INIT_LIMITS: \"nofile=many\": \"many\" is not "
            "a number; nofile takes a whole number, \"unlimited\" or \"hard\"\n");
  EXPECT_TRUE(system_.set_calls.empty());
  EXPECT_TRUE(system_.exec_calls.empty());
}

TEST_F(RunTest, CheckDecidesButNeitherSetsNorExecs) {
  Invocation i;
  i.mode = Mode::kCheck;
  i.as = "512Mi";
  EXPECT_EQ(RunIt(i), 0);
  EXPECT_TRUE(system_.set_calls.empty());
  EXPECT_TRUE(system_.exec_calls.empty());
}

TEST_F(RunTest, CheckSaysWhatItWouldDoOnStdout) {
  Invocation i;
  i.mode = Mode::kCheck;
  i.as = "512Mi";
  EXPECT_EQ(RunIt(i), 0);
  EXPECT_EQ(system_.stderr_text, "");
  EXPECT_EQ(system_.stdout_text.substr(0, 80),
            "rlimit-init: would raise the soft address-space limit (RLIMIT_AS) from 256 MiB (");
}

TEST_F(RunTest, CheckErrorsAreOnStdoutToo) {
  Invocation i;
  i.mode = Mode::kCheck;
  i.policy_path = "/missing.yaml";
  i.output = OutputFormat::kJson;
  EXPECT_EQ(RunIt(i), kExitConfig);
  EXPECT_EQ(system_.stderr_text, "");
  EXPECT_EQ(system_.stdout_text,
            "{\"outcome\":\"error\",\"exit_code\":78,\"message\":\"cannot read policy "
            "/missing.yaml: No such file or directory\"}\n");
}

TEST_F(RunTest, SetrlimitFailureIsAnInternalError) {
  system_.set_limit_error = EPERM;
  Invocation i = Workload({"true"});
  i.as = "512Mi";
  EXPECT_EQ(RunIt(i), kExitInternal);
  EXPECT_TRUE(system_.exec_calls.empty());
  // Only what happened: no "raised" line about limits that were never set.
  EXPECT_EQ(system_.stderr_text,
            "rlimit-init: setrlimit(RLIMIT_AS, soft 536870912, hard 1073741824) failed: "
            "Operation not permitted; the decided limits were not applied\n");
}

TEST_F(RunTest, ExecFailureCodes) {
  system_.exec_error = EACCES;
  Invocation i = Workload({"/bin/x"});
  i.quiet = true;
  EXPECT_EQ(RunIt(i), 126);
  EXPECT_EQ(system_.stderr_text, "rlimit-init: cannot execute /bin/x: Permission denied\n");
  system_.stderr_text.clear();
  system_.exec_error = ENOENT;
  system_.env["PATH"] = "/usr/bin:/bin";
  EXPECT_EQ(RunIt(Workload({"nosuch"})), 127);
  EXPECT_EQ(system_.stderr_text.substr(system_.stderr_text.find('\n') + 1),
            "rlimit-init: cannot execute nosuch: No such file or directory (searched "
            "PATH=/usr/bin:/bin)\n");
}

TEST_F(RunTest, UnchangedRestoresTheInheritedSoftLimit) {
  // main() lifted the soft limit to the hard limit; before exec the inherited one is back.
  Invocation i = Workload({"true"});
  i.as = "100Mi";
  RunIt(i);
  ASSERT_EQ(system_.set_calls.size(), 1u);
  EXPECT_EQ(system_.set_calls[0].limit.soft, 256 * kMi);
  EXPECT_EQ(system_.set_calls[0].limit.hard, 1024 * kMi);
}

TEST_F(RunTest, JsonErrorObjectWhenAskedForJson) {
  system_.user_files["/p.yaml"] = "";
  Invocation i = Workload({"true"});
  i.policy_path = "/p.yaml";
  i.output = OutputFormat::kJson;
  EXPECT_EQ(RunIt(i), kExitConfig);
  EXPECT_EQ(system_.stderr_text,
            "{\"outcome\":\"error\",\"exit_code\":78,\"message\":\"invalid policy: /p.yaml: "
            "policy is empty; it needs at least apiVersion and addressSpace.request\"}\n");
}

TEST_F(RunTest, UserIsResolvedAndSwitchedAfterLimitsBeforeExec) {
  system_.user_files["/p.yaml"] =
      "apiVersion: rlimit-init/v1\naddressSpace:\n  request: 512Mi\nuser: app\n";
  system_.user_files["/etc/passwd"] = "app:x:1000:1000::/home/app:/bin/sh\n";
  system_.user_files["/etc/group"] = "video:x:44:app\n";
  system_.env["HOME"] = "/root";
  system_.env["USER"] = "root";
  Invocation i = Workload({"true"});
  i.policy_path = "/p.yaml";
  i.quiet = true;
  EXPECT_EQ(RunIt(i), 127);
  // The limits first (raising a hard limit needs root's privileges), then the signals, the
  // user, its environment, and only then the exec: one log, so a swap of any two fails here.
  EXPECT_EQ(system_.calls, (std::vector<std::string>{
                               "setrlimit as 536870912:1073741824",
                               "reset signals",
                               "switch user 1000:1000 groups 1000,44",
                               "setenv HOME=/home/app",
                               "setenv USER=app",
                               "setenv LOGNAME=app",
                               "exec true",
                           }));
}

TEST_F(RunTest, NumericUserWithoutPasswdEntryGetsRootDirectoryAndNoUserName) {
  system_.user_files["/p.yaml"] =
      "apiVersion: rlimit-init/v1\naddressSpace:\n  request: 512Mi\nuser: \"4242\"\n";
  system_.env["HOME"] = "/root";
  system_.env["USER"] = "root";
  system_.env["LOGNAME"] = "root";
  Invocation i = Workload({"true"});
  i.policy_path = "/p.yaml";
  i.quiet = true;
  RunIt(i);
  EXPECT_EQ(system_.calls, (std::vector<std::string>{
                               "setrlimit as 536870912:1073741824",
                               "reset signals",
                               "switch user 4242:4242 groups 4242",
                               "setenv HOME=/",
                               "unsetenv USER",
                               "unsetenv LOGNAME",
                               "exec true",
                           }));
  EXPECT_EQ(system_.env.count("USER"), 0u);
}

TEST_F(RunTest, UnreadableAccountFilesSayWhy) {
  system_.user_files["/p.yaml"] =
      "apiVersion: rlimit-init/v1\naddressSpace:\n  request: 512Mi\nuser: app\n";
  Invocation i = Workload({"true"});
  i.policy_path = "/p.yaml";
  for (auto [error, why] : std::vector<std::pair<int, std::string>>{
           {EISDIR, "it is a directory"},
           {EINVAL, "not a regular file (a FIFO, device or socket)"},
           {EFBIG, "larger than 4 MiB"},
           {EACCES, "Permission denied"}}) {
    system_.user_errors["/etc/passwd"] = error;
    system_.stderr_text.clear();
    EXPECT_EQ(RunIt(i), kExitConfig);
    EXPECT_EQ(system_.stderr_text,
              "rlimit-init: invalid policy: /p.yaml: user: cannot read /etc/passwd: " + why +
                  "\n");
  }
  EXPECT_TRUE(system_.calls.empty());
}

TEST_F(RunTest, UnknownUserIsAPolicyErrorBeforeAnythingChanges) {
  system_.user_files["/p.yaml"] =
      "apiVersion: rlimit-init/v1\naddressSpace:\n  request: 512Mi\nuser: ghost\n";
  Invocation i = Workload({"true"});
  i.policy_path = "/p.yaml";
  EXPECT_EQ(RunIt(i), kExitConfig);
  EXPECT_EQ(system_.stderr_text,
            "rlimit-init: invalid policy: /p.yaml: user: user \"ghost\" is not in /etc/passwd\n");
  EXPECT_TRUE(system_.set_calls.empty());
  EXPECT_TRUE(system_.exec_calls.empty());
}

TEST_F(RunTest, FailedUserSwitchExecsNothing) {
  system_.user_files["/p.yaml"] =
      "apiVersion: rlimit-init/v1\naddressSpace:\n  request: 512Mi\nuser: \"1000:1000\"\n";
  system_.switch_error = EPERM;
  Invocation i = Workload({"true"});
  i.policy_path = "/p.yaml";
  i.quiet = true;
  EXPECT_EQ(RunIt(i), kExitInternal);
  EXPECT_EQ(system_.stderr_text,
            "rlimit-init: cannot switch to user 1000:1000 (groups 1000): setgroups: Operation "
            "not permitted; run rlimit-init as root, or remove user: from the policy\n");
  EXPECT_TRUE(system_.exec_calls.empty());
}

TEST_F(RunTest, FailedUserSwitchOtherThanPermissionDoesNotBlameTheUser) {
  system_.user_files["/p.yaml"] =
      "apiVersion: rlimit-init/v1\naddressSpace:\n  request: 512Mi\nuser: \"1000:1000\"\n";
  system_.switch_error = EINVAL;
  Invocation i = Workload({"true"});
  i.policy_path = "/p.yaml";
  i.quiet = true;
  EXPECT_EQ(RunIt(i), kExitInternal);
  EXPECT_EQ(system_.stderr_text,
            "rlimit-init: cannot switch to user 1000:1000 (groups 1000): setgroups: Invalid "
            "argument\n");
}

}  // namespace
}  // namespace rlimit_init

namespace rlimit_init {
namespace {

class InitModeRunTest : public testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(LoadFixtureTree("v1-this-host", &system_));
    system_.limit(Resource::kAs) = {256 * kMiB, 1024 * kMiB};
    invocation_.command = {"python3", "job.py"};
    invocation_.as = "512Mi";
    processes_.run_child = true;
    processes_.signals = {SIGTERM, SIGCHLD};
    processes_.exits = {{100, true, SIGTERM}};
  }
  int RunIt() { return rlimit_init::Run(invocation_, system_, processes_, system_.limit(Resource::kAs)); }

  static constexpr std::uint64_t kMiB = 1024 * 1024;
  FakeSystem system_;
  FakeProcesses processes_;
  Invocation invocation_;
};

TEST_F(InitModeRunTest, ChildModeSetsLimitsThenSpawnsExecsInTheChildAndForwards) {
  invocation_.init = InitMode::kChild;
  EXPECT_EQ(RunIt(), 143);
  ASSERT_EQ(system_.set_calls.size(), 1u);  // once, before the fork: the child inherits it
  EXPECT_EQ(system_.set_calls[0].limit.soft, 512 * kMiB);
  EXPECT_EQ(system_.exec_calls,
            (std::vector<std::vector<std::string>>{{"python3", "job.py"}}));
  EXPECT_EQ(processes_.child_result, 127);  // the fake's exec fails with ENOENT
  // Limits, then a signal reset before the fork and another in the child, which unblocks
  // what the parent blocked.
  EXPECT_EQ(system_.reset_signals_calls, 2);
  EXPECT_EQ(processes_.calls,
            (std::vector<std::string>{"block", "subreaper", "spawn", "isolate", "trim", "wait",
                                      "kill 100 15", "wait", "reap", "reap"}));
}

TEST_F(InitModeRunTest, AutoExecsUnlessPidOne) {
  EXPECT_EQ(RunIt(), 127);
  EXPECT_TRUE(processes_.calls.empty());
  processes_.pid = 1;
  EXPECT_EQ(RunIt(), 143);
  // As PID 1 there is no subreaper to become: the kernel sends every orphan there already.
  EXPECT_EQ(processes_.calls.front(), "block");
  EXPECT_EQ(processes_.calls[1], "spawn");
}

TEST_F(InitModeRunTest, FlagOverEnvironmentOverPolicy) {
  system_.user_files["/p.yaml"] =
      "apiVersion: rlimit-init/v1\naddressSpace:\n  request: 512Mi\ninit: group\n";
  invocation_.policy_path = "/p.yaml";
  invocation_.as.reset();
  EXPECT_EQ(RunIt(), 143);
  EXPECT_EQ(processes_.calls[6], "kill -100 15");

  processes_ = FakeProcesses();
  processes_.signals = {SIGTERM, SIGCHLD};
  processes_.exits = {{100, true, SIGTERM}};
  system_.env["RLIMIT_INIT_INIT"] = "exec";
  EXPECT_EQ(RunIt(), 127);
  EXPECT_TRUE(processes_.calls.empty());

  invocation_.init = InitMode::kChild;
  EXPECT_EQ(RunIt(), 143);
  EXPECT_EQ(processes_.calls[5], "kill 100 15");
}

TEST_F(InitModeRunTest, BadEnvironmentValueIsAUsageErrorBeforeAnything) {
  system_.env["RLIMIT_INIT_INIT"] = "on";
  EXPECT_EQ(RunIt(), kExitUsage);
  EXPECT_EQ(system_.stderr_text,
            "rlimit-init: bad command line: RLIMIT_INIT_INIT: invalid init mode \"on\": "
            "expected auto, exec, child or group\n");
  EXPECT_TRUE(system_.set_calls.empty());
  EXPECT_TRUE(processes_.calls.empty());
}

TEST_F(InitModeRunTest, ForkFailureIsAnInternalErrorAndNothingRuns) {
  invocation_.init = InitMode::kChild;
  processes_.spawn_error = EAGAIN;
  EXPECT_EQ(RunIt(), kExitInternal);
  EXPECT_TRUE(system_.exec_calls.empty());
  EXPECT_TRUE(system_.stderr_text.ends_with(
      "rlimit-init: fork failed: Resource temporarily unavailable\n"));
}

}  // namespace
}  // namespace rlimit_init

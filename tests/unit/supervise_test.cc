// SPDX-License-Identifier: Apache-2.0
#include "run/supervise.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <csignal>

#include "fake_processes.h"

namespace rlimit_init {
namespace {

TEST(InitMode, ParsesTheFourModesAndNamesThemInTheError) {
  EXPECT_EQ(ParseInitMode("auto").value(), InitMode::kAuto);
  EXPECT_EQ(ParseInitMode("exec").value(), InitMode::kExec);
  EXPECT_EQ(ParseInitMode("child").value(), InitMode::kChild);
  EXPECT_EQ(ParseInitMode("group").value(), InitMode::kGroup);
  EXPECT_EQ(ParseInitMode("on").error(),
            "invalid init mode \"on\": expected auto, exec, child or group");
  EXPECT_EQ(ParseInitMode("").error(),
            "invalid init mode \"\": expected auto, exec, child or group");
}

TEST(InitMode, AutoSupervisesOnlyAsPidOne) {
  EXPECT_EQ(ResolveInitMode(InitMode::kAuto, 1), InitMode::kChild);
  EXPECT_EQ(ResolveInitMode(InitMode::kAuto, 2), InitMode::kExec);
  EXPECT_EQ(ResolveInitMode(InitMode::kExec, 1), InitMode::kExec);
  EXPECT_EQ(ResolveInitMode(InitMode::kGroup, 7), InitMode::kGroup);
}

TEST(ExitCodeOf, ExitStatusPassesThroughAndSignalsAddOneHundredTwentyEight) {
  // tini's matrix: every status as it is, a signal death as 128 + N and never 0.
  for (int status = 0; status <= 255; ++status) {
    EXPECT_EQ(ExitCodeOf({1, false, status}), status);
  }
  EXPECT_EQ(ExitCodeOf({1, true, SIGTERM}), 143);
  EXPECT_EQ(ExitCodeOf({1, true, SIGKILL}), 137);
  EXPECT_EQ(ExitCodeOf({1, true, SIGINT}), 130);
}

TEST(Supervise, ForwardsEachSignalToTheWorkloadThenEndsWithItsStatus) {
  FakeProcesses processes;
  processes.signals = {SIGTERM, SIGUSR1, SIGCHLD};
  processes.exits = {{100, true, SIGTERM}};
  EXPECT_EQ(Supervise(processes, 100, false), 143);
  EXPECT_EQ(processes.calls, (std::vector<std::string>{"wait", "kill 100 15", "wait",
                                                        "kill 100 10", "wait", "reap", "reap"}));
}

TEST(Supervise, GroupModeSignalsTheProcessGroup) {
  FakeProcesses processes;
  processes.signals = {SIGHUP, SIGCHLD};
  processes.exits = {{100, false, 0}};
  EXPECT_EQ(Supervise(processes, 100, true), 0);
  EXPECT_EQ(processes.calls, (std::vector<std::string>{"wait", "kill -100 1", "pgid 100", "wait",
                                                        "reap", "reap"}));
}

TEST(Supervise, GroupModeAlsoSignalsAWorkloadThatLeftItsGroupWhileAChildStayed) {
  // Issue 22.1: the workload moved to group 300 while a child stayed in group 100, so
  // kill(-100) succeeds and reaches only the child.
  FakeProcesses processes;
  processes.signals = {SIGTERM, SIGCHLD};
  processes.exits = {{100, true, SIGTERM}};
  processes.groups = {{100, 300}};
  EXPECT_EQ(Supervise(processes, 100, true), 143);
  EXPECT_EQ(processes.calls, (std::vector<std::string>{"wait", "kill -100 15", "pgid 100",
                                                        "kill 100 15", "wait", "reap", "reap"}));
}

TEST(Supervise, GroupModeSignalsTheWorkloadAloneWhenItsGroupIsEmpty) {
  // The workload moved away and no process is left in its group: kill(-100) is ESRCH.
  FakeProcesses processes;
  processes.signals = {SIGINT, SIGCHLD};
  processes.exits = {{100, true, SIGINT}};
  processes.kill_errors = {{-100, ESRCH}};
  EXPECT_EQ(Supervise(processes, 100, true), 130);
  EXPECT_EQ(processes.calls, (std::vector<std::string>{"wait", "kill -100 2", "kill 100 2",
                                                        "wait", "reap", "reap"}));
}

TEST(Supervise, ReapsOrphansWithoutEndingAndEndsOnlyWithTheWorkload) {
  FakeProcesses processes;
  // One SIGCHLD for two orphans, a second for the workload and a late orphan together.
  processes.signals = {SIGCHLD, SIGCHLD};
  processes.exits = {{201, false, 0}, {202, true, SIGKILL}, {0, false, 0},
                     {203, false, 1}, {100, false, 3}};
  EXPECT_EQ(Supervise(processes, 100, false), 3);
  EXPECT_EQ(processes.calls, (std::vector<std::string>{"wait", "reap", "reap", "reap", "wait",
                                                        "reap", "reap", "reap"}));
  EXPECT_TRUE(processes.exits.empty());
}

}  // namespace
}  // namespace rlimit_init

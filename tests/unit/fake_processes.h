// SPDX-License-Identifier: Apache-2.0
// In-memory Processes for unit tests: signals and child exits are scripted, every call is
// recorded in order.
#pragma once

#include <csignal>
#include <deque>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "os/processes.h"

namespace rlimit_init {

class FakeProcesses : public Processes {
 public:
  static constexpr int kScriptEnded = 99;
  int pid = 4242;                   // this process
  int child_pid = 100;              // what Spawn hands out
  bool run_child = false;           // run the child's function inside Spawn
  int child_result = -1;            // what it returned
  int spawn_error = 0;
  std::deque<int> signals;          // what WaitSignal returns, in order
  std::deque<ChildExit> exits;      // what Reap returns; a pid of 0 ends one reaping round
  int trace_error = 0;              // what Trace returns (naming recvmsg when not 0)
  std::map<int, ProcessSample> samples;  // what Sample returns, by pid
  std::map<int, int> kill_errors;   // what Kill returns, by target (else 0)
  std::map<int, int> groups;        // what ProcessGroup returns, by pid (else the pid itself)
  std::vector<std::string> calls;   // "block", "subreaper", "spawn", "isolate", "trim",
                                    // "kill PID SIGNAL", "pgid PID", "wait", "reap", "prepare",
                                    // "await", "exec failed", "trace PID", "continue PID",
                                    // "end trace", "descendants", "sample PID"

  int Pid() override { return pid; }
  int BlockSignals() override {
    calls.push_back("block");
    return 0;
  }
  int BecomeSubreaper() override {
    calls.push_back("subreaper");
    return 0;
  }
  int Spawn(const std::function<int()>& child, int* out) override {
    calls.push_back("spawn");
    if (spawn_error != 0) return spawn_error;
    if (run_child) child_result = child();
    *out = child_pid;
    return 0;
  }
  void IsolateChild() override { calls.push_back("isolate"); }
  int WaitSignal() override {
    calls.push_back("wait");
    // Past the script, the workload "ends" with kScriptEnded so that Supervise returns and
    // the test fails on that code instead of looping forever.
    if (signals.empty()) {
      exits.assign({{child_pid, false, kScriptEnded}});
      return SIGCHLD;
    }
    int signal = signals.front();
    signals.pop_front();
    return signal;
  }
  // Scripted as WaitSignal: a 0 in `signals` is a wait whose time ran out.
  int WaitSignalFor(std::uint64_t) override { return WaitSignal(); }
  int Kill(int target, int signal) override {
    calls.push_back("kill " + std::to_string(target) + " " + std::to_string(signal));
    auto it = kill_errors.find(target);
    return it == kill_errors.end() ? 0 : it->second;
  }
  int ProcessGroup(int target) override {
    calls.push_back("pgid " + std::to_string(target));
    auto it = groups.find(target);
    return it == groups.end() ? target : it->second;
  }
  bool Reap(ChildExit* exit) override {
    calls.push_back("reap");
    if (exits.empty() || exits.front().pid == 0) {
      if (!exits.empty()) exits.pop_front();
      return false;
    }
    *exit = exits.front();
    exits.pop_front();
    return true;
  }
  int PrepareTrace() override {
    calls.push_back("prepare");
    return 0;
  }
  int AwaitTracer(std::string*) override {
    calls.push_back("await");
    return 0;
  }
  void TraceExecFailed() override { calls.push_back("exec failed"); }
  int Trace(int target, std::string* failed_call) override {
    calls.push_back("trace " + std::to_string(target));
    if (trace_error != 0) *failed_call = "recvmsg(SCM_RIGHTS) of the seccomp listener";
    return trace_error;
  }
  void Continue(int target) override { calls.push_back("continue " + std::to_string(target)); }
  void EndTrace() override { calls.push_back("end trace"); }
  std::deque<std::vector<int>> descendants;  // what Descendants returns, in order (else none)
  std::vector<int> Descendants() override {
    calls.push_back("descendants");
    if (descendants.empty()) return {};
    std::vector<int> now = descendants.front();
    descendants.pop_front();
    return now;
  }
  ProcessSample Sample(int target) override {
    calls.push_back("sample " + std::to_string(target));
    auto it = samples.find(target);
    return it == samples.end() ? ProcessSample{} : it->second;
  }
  std::map<std::pair<int, std::string>, std::string> proc_files;  // what ReadProcFile finds
  std::vector<std::string> proc_reads;  // "maps 12": what ReadProcFile was asked, in order
  std::string ReadProcFile(int target, const char* name) override {
    proc_reads.push_back(std::string(name) + " " + std::to_string(target));
    auto it = proc_files.find({target, name});
    return it == proc_files.end() ? std::string() : it->second;
  }
  std::map<int, std::set<int>> open_fds;  // what DescriptorOpen finds, by pid
  bool DescriptorOpen(int target, int fd) override {
    calls.push_back("open? " + std::to_string(target) + " " + std::to_string(fd));
    auto it = open_fds.find(target);
    return it != open_fds.end() && it->second.count(fd) > 0;
  }
  std::deque<ChildrenUsage> reaped_usage;  // what ReapedUsage returns, in order (else zeros)
  ChildrenUsage ReapedUsage() override {
    if (reaped_usage.empty()) return {};
    ChildrenUsage usage = reaped_usage.front();
    reaped_usage.pop_front();
    return usage;
  }
  std::deque<std::uint64_t> clock;  // what NowMicroseconds returns, in order (else 0)
  std::uint64_t NowMicroseconds() override {
    if (clock.empty()) return 0;
    std::uint64_t now = clock.front();
    clock.pop_front();
    return now;
  }
  void TrimMemory() override { calls.push_back("trim"); }
};

}  // namespace rlimit_init

// SPDX-License-Identifier: Apache-2.0
// The Processes that makes real syscalls (fork, sigwaitinfo, kill, waitpid, prctl, ptrace).
#pragma once

#include <set>

#include "os/processes.h"

namespace rlimit_init {

class RealProcesses : public Processes {
 public:
  int Pid() override;
  int BlockSignals() override;
  int BecomeSubreaper() override;
  int Spawn(const std::function<int()>& child, int* pid) override;
  void IsolateChild() override;
  int WaitSignal() override;
  int WaitSignalFor(std::uint64_t microseconds) override;
  int Kill(int pid, int signal) override;
  int ProcessGroup(int pid) override;
  bool Reap(ChildExit* exit) override;
  int AwaitTracer(std::string* failed_call) override;
  int Trace(int pid) override;
  void SetExitStops(int pid, bool stop) override;
  void Resume(int pid, int signal) override;
  void StopReportingExecs(int pid) override;
  ProcessSample Sample(int pid) override;
  std::string ReadProcFile(int pid, const char* name) override;
  bool DescriptorOpen(int pid, int fd) override;
  ChildrenUsage ReapedUsage() override;
  std::uint64_t NowMicroseconds() override;
  void TrimMemory() override;

 private:
  bool tracing_ = false;
  long options_ = 0;       // a process's ptrace options now (Trace, StopReportingExecs)
  std::set<int> started_;  // traced tasks past their first stop, until they end
};

}  // namespace rlimit_init

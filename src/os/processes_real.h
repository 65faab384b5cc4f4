// SPDX-License-Identifier: Apache-2.0
// The Processes that makes real syscalls (fork, sigwaitinfo, kill, waitpid, prctl, and for
// measure seccomp's user notifications).
#pragma once

#include <time.h>

#include <cstdint>
#include <map>
#include <vector>

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
  int PrepareTrace() override;
  int AwaitTracer(std::string* failed_call) override;
  void TraceExecFailed() override;
  int Trace(int pid, std::string* failed_call) override;
  void Continue(int pid) override;
  void EndTrace() override;
  std::vector<int> Descendants() override;
  ProcessSample Sample(int pid) override;
  std::string ReadProcFile(int pid, const char* name) override;
  bool DescriptorOpen(int pid, int fd) override;
  ChildrenUsage ReapedUsage() override;
  std::uint64_t NowMicroseconds() override;
  void TrimMemory() override;

 private:
  int WaitTracing(const timespec* timeout);  // WaitSignal(For) with the listener beside
  bool ReceiveNotice(ChildExit* exit);  // one notification of the listener, if one is waiting
  bool ExecOutcome(ChildExit* exit);    // the workload's exec, once the socket says it

  int parent_socket_ = -1;  // PrepareTrace: the parent's end, until the exec's outcome is read
  int child_socket_ = -1;   // the child's end (close-on-exec: its exec closes it)
  int listener_ = -1;       // the job's seccomp listener, until no task of the job holds it
  int signals_ = -1;        // a signalfd for WaitedSignals, while tracing
  int workload_ = 0;        // the child measured (Trace)
  std::map<int, std::uint64_t> waiting_;  // each notified task's notification id, until Continue
  ChildExit held_{};        // a notification received before the exec's outcome, reported next
  bool holding_ = false;
};

}  // namespace rlimit_init

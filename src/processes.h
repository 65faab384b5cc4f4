// SPDX-License-Identifier: Apache-2.0
// The seam for init mode: starting the workload as a child, waiting for signals and children,
// forwarding and reaping. RealProcesses (processes_real.cc) makes the syscalls; unit tests use
// tests/unit/fake_processes.h. Kept apart from System so that exec mode never links a loop it
// does not run and the fake for one concept stays small.
#pragma once

#include <functional>

namespace rlimit_init {

/// How a child ended, as waitpid reported it.
struct ChildExit {
  int pid = 0;
  bool signaled = false;  // killed by a signal (then `value` is the signal number)
  int value = 0;          // the exit status, or the signal number
};

class Processes {
 public:
  virtual ~Processes() = default;

  /// getpid().
  virtual int Pid() = 0;

  /// Blocks every signal that init mode receives with WaitSignal: all but SIGKILL, SIGSTOP and
  /// the synchronous ones (SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP, SIGSYS, SIGABRT), which
  /// must keep their default action. Returns 0 or errno.
  virtual int BlockSignals() = 0;

  /// prctl(PR_SET_CHILD_SUBREAPER): orphans below this process are reparented to it, so it
  /// can reap them when it is not PID 1. Returns 0 or errno.
  virtual int BecomeSubreaper() = 0;

  /// fork(). The child runs `child` and exits with what it returns, never returning here;
  /// the parent gets the child's pid. Returns 0 or errno.
  virtual int Spawn(const std::function<int()>& child, int* pid) = 0;

  /// In the child: its own process group, made the terminal's foreground group when stdin
  /// is a terminal, so that ^C from `docker run -it` reaches the workload. Errors are
  /// ignored: without a terminal there is nothing to hand over.
  virtual void IsolateChild() = 0;

  /// Waits for one of the blocked signals (sigwaitinfo); returns its number.
  virtual int WaitSignal() = 0;

  /// kill(pid, signal). Returns 0 or errno.
  virtual int Kill(int pid, int signal) = 0;

  /// waitpid(-1, WNOHANG): true with `exit` filled while a child has ended, false when none
  /// has (or there are no children left).
  virtual bool Reap(ChildExit* exit) = 0;

  /// Gives freed heap back to the kernel (malloc_trim) before the long wait.
  virtual void TrimMemory() = 0;
};

}  // namespace rlimit_init

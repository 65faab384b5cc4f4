// SPDX-License-Identifier: Apache-2.0
#include "run/supervise.h"

#include <cerrno>
#include <csignal>
#include <string>

namespace rlimit_init {

InitMode ResolveInitMode(InitMode mode, int pid) {
  if (mode != InitMode::kAuto) return mode;
  return pid == 1 ? InitMode::kChild : InitMode::kExec;
}

int ExitCodeOf(const ChildExit& exit) {
  return exit.signaled ? 128 + exit.value : exit.value;
}

namespace {

// The observer's timer (measure's sampling): a wait no longer than until its next tick, which
// is taken when it is due; 0 when no signal came.
int WaitOrTick(Processes& processes, TaskObserver& observer) {
  const std::int64_t until = observer.UntilTick();
  if (until < 0) return processes.WaitSignal();
  if (until == 0) {
    observer.Tick();
    return 0;
  }
  return processes.WaitSignalFor(static_cast<std::uint64_t>(until));
}

}  // namespace

int Supervise(Processes& processes, int pid, bool group, TaskObserver* observer) {
  for (;;) {
    int signal = observer != nullptr ? WaitOrTick(processes, *observer) : processes.WaitSignal();
    if (signal == 0) continue;
    if (signal == SIGCHLD) {
      // SIGCHLD does not queue: one may stand for several children, so reap until none is
      // left, the workload among them or not.
      ChildExit exit;
      bool workload_ended = false;
      int code = 0;
      while (processes.Reap(&exit)) {
        if (exit.stop != Stop::kNone) {
          // A call of the job (measure): looked at, then let go on.
          if (observer != nullptr) observer->Stopped(exit);
          processes.Continue(exit.pid);
          continue;
        }
        if (observer != nullptr) observer->Ended(exit);
        if (exit.pid == pid) {
          workload_ended = true;
          code = ExitCodeOf(exit);
        }
      }
      // As tini and dumb-init do, init mode ends with the workload; as PID 1 that ending
      // makes the kernel kill whatever else is left in the namespace.
      if (workload_ended) return code;
      continue;
    }
    if (observer != nullptr) observer->BeforeSignal();
    if (group) {
      // The group may still hold some of the workload's children after the workload itself
      // moved to another group (setpgid), so that kill(-pid) succeeding says nothing of the
      // workload: it gets the signal itself too, unless it is still in the group, which has
      // just delivered it (a second TERM would run its handler twice). Asked after the
      // group's kill, a move in between ends in a second signal, never in none.
      int group_error = processes.Kill(-pid, signal);
      if (group_error == 0 && processes.ProcessGroup(pid) == pid) continue;
    }
    processes.Kill(pid, signal);  // ESRCH: it has just ended, and SIGCHLD will say so
  }
}

}  // namespace rlimit_init

// SPDX-License-Identifier: Apache-2.0
// Init mode: rlimit-init stays as the workload's parent, forwards signals and reaps zombies,
// so a workload that would otherwise be PID 1 (and ignore SIGTERM) shuts down cleanly.
#pragma once

#include <cstdint>
#include <string_view>

#include "os/processes.h"
#include "policy/init_mode.h"
#include "base/result.h"

namespace rlimit_init {

/// kAuto resolved against this process's PID: kChild for PID 1, else kExec.
InitMode ResolveInitMode(InitMode mode, int pid);

/// The exit code init mode ends with for a workload that ended as `exit`: its own status, or
/// 128 + N for signal N, as a shell reports it. Never 0 for a signal death, which a Job
/// controller would count as success.
int ExitCodeOf(const ChildExit& exit);

/// Told of every notified call of the job and every end of a child (measure), before Supervise
/// acts on it.
class TaskObserver {
 public:
  virtual ~TaskObserver() = default;
  /// A task of the job waits in a notified call, or the workload has exec'd (`event.stop` is
  /// not kNone); Supervise lets the call go on afterwards.
  virtual void Stopped(const ChildExit& event) = 0;
  /// A child ended.
  virtual void Ended(const ChildExit& event) = 0;
  /// A signal is about to be forwarded to the job: the last moment to read a process that it
  /// may kill.
  virtual void BeforeSignal() {}
  /// Microseconds until the observer wants Tick called (0: now), or -1 for never. Supervise
  /// waits for signals no longer than that: measure's sampling is a timer in this loop, not a
  /// stop of the job.
  virtual std::int64_t UntilTick() { return -1; }
  virtual void Tick() {}
};

/// Waits until the child `pid` ends, forwarding every signal received to it (or to its process
/// group with `group`) and reaping every other child that ends meanwhile. Returns ExitCodeOf
/// the workload. Signals must already be blocked (Processes::BlockSignals). When the workload
/// is traced (Processes::Trace), every notified call is shown to `observer` and then let go on,
/// and the observer is told before each signal is forwarded.
int Supervise(Processes& processes, int pid, bool group, TaskObserver* observer = nullptr);

}  // namespace rlimit_init

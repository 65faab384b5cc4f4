// SPDX-License-Identifier: Apache-2.0
// The seam for init mode: starting the workload as a child, waiting for signals and children,
// forwarding and reaping; and for measure, the job's seccomp listener and /proc. RealProcesses (processes_real.cc) makes the syscalls; unit tests use
// tests/unit/fake_processes.h. Kept apart from System so that exec mode never links a loop it
// does not run and the fake for one concept stays small.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace rlimit_init {

/// What a call of a measured task waits on (Processes::Trace), or kNone for a child that ended.
/// Every kBefore* is a notification of the job's seccomp filter: the calling task waits until
/// Processes::Continue lets its call run, so /proc still shows what the call is about to end.
enum class Stop {
  kNone,
  kExec,             // the workload (`pid`, rlimit-init's own child) has exec'd
  kBeforeExec,       // about to call execve or execveat: the old program's memory still there
  kBeforeClose,      // about to close descriptor `value` (a high one), or, for close_range, -1
  kBeforeExitGroup,  // about to call exit_group: its process ends
  kBeforeKill,  // about to send a signal that may end process or thread `value` (0: one or
                // more processes not named, a group, every one, a pidfd's)
};

/// How a child ended, as waitpid reported it, or, when measured, what one of the job's tasks
/// (`pid`: a thread id, which /proc reads as well as a process id) is about to do.
struct ChildExit {
  int pid = 0;
  bool signaled = false;  // killed by a signal (then `value` is the signal number)
  int value = 0;          // the exit status, or the signal number
  Stop stop = Stop::kNone;
};

/// What /proc says about one process of the job, read while it waits in a notified call.
struct ProcessSample {
  bool ok = false;     // false when /proc/PID/status could not be read
  std::string status;  // /proc/PID/status
  int fds = -1;        // highest descriptor number in /proc/PID/fd + 1 (0 with none open);
                       // -1 when it could not be listed
};

/// getrusage(RUSAGE_CHILDREN): every child this process has waited for, with the descendants
/// each of them waited for, as /usr/bin/time -v prints them for its one child.
struct ChildrenUsage {
  std::uint64_t user_us = 0;      // ru_utime
  std::uint64_t system_us = 0;    // ru_stime
  std::uint64_t max_rss_kib = 0;  // ru_maxrss: the largest resident set of any one of them
  std::uint64_t major_faults = 0;  // ru_majflt
  std::uint64_t minor_faults = 0;  // ru_minflt
  std::uint64_t voluntary_switches = 0;    // ru_nvcsw
  std::uint64_t involuntary_switches = 0;  // ru_nivcsw
};

/// The lowest descriptor whose close(2) is notified (Stop::kBeforeClose). Below it the
/// filter lets close run unseen: a job whose descriptors all stay below it needs at most
/// 50, which the recommended nofile minimum (64) covers with its headroom.
inline constexpr int kStoppedCloseFloor = 50;

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

  /// The same for at most `microseconds` (sigtimedwait); 0 when none came in that time.
  virtual int WaitSignalFor(std::uint64_t microseconds) = 0;

  /// kill(pid, signal). Returns 0 or errno.
  virtual int Kill(int pid, int signal) = 0;

  /// getpgid(pid): the process group `pid` is in now, or -1 when it has gone (ESRCH).
  virtual int ProcessGroup(int pid) = 0;

  /// waitpid(-1, WNOHANG): true with `exit` filled while a child has ended, false when none
  /// has (or there are no children left).
  virtual bool Reap(ChildExit* exit) = 0;

  /// In the parent, for measure, before Spawn: the socket pair over which the child hands
  /// over its filter's listener and which tells whether its exec succeeded. Returns 0 or errno.
  virtual int PrepareTrace() = 0;

  /// In the child, for measure: installs the seccomp filter whose listener is told of every
  /// execve, execveat, exit_group, close_range and close of a descriptor from
  /// kStoppedCloseFloor by this task and every task it starts (SECCOMP_RET_USER_NOTIF; with
  /// no_new_privs when it lacks CAP_SYS_ADMIN), hands the listener to the parent and closes
  /// its own copy. Nothing else is notified: a fork, a thread, any other call runs as it would
  /// untraced. Returns 0, or the errno of the failing call named in `failed_call`.
  virtual int AwaitTracer(std::string* failed_call) = 0;

  /// In the child, for measure, when its exec of the workload failed: tells the parent so
  /// (Reap then reports no Stop::kExec).
  virtual void TraceExecFailed() = 0;

  /// In the parent, for measure: takes the listener of the child `pid`. From then on Reap also
  /// reports the filter's notifications (ChildExit::stop), each of which must be answered with
  /// Continue, and the workload's exec (Stop::kExec); WaitSignalFor returns SIGCHLD when one
  /// is waiting. Returns 0, or the errno of the failing call named in `failed_call`.
  virtual int Trace(int pid, std::string* failed_call) = 0;

  /// Lets the notified call of task `pid` run (SECCOMP_USER_NOTIF_FLAG_CONTINUE); nothing for
  /// a Stop::kExec, which waits on nothing.
  virtual void Continue(int pid) = 0;

  /// Ends measure's watch of a run: kills (SIGKILL) what is left of the job, whose notified
  /// calls would fail with ENOSYS once the listener is closed (as ptrace's PTRACE_O_EXITKILL
  /// did), and closes the listener.
  virtual void EndTrace() = 0;

  /// The processes below this one now, for measure's timer: its children, theirs, and so on
  /// (/proc/PID/task/TID/children of every thread), orphans it adopted as subreaper included.
  virtual std::vector<int> Descendants() = 0;

  /// Reads /proc/PID/status and lists /proc/PID/fd of a task waiting in a notified call;
  /// `ok` is false when the call's notification is no longer valid (the task was killed while
  /// it was read, so its pid may already be another process's).
  virtual ProcessSample Sample(int pid) = 0;

  /// /proc/PID/`name` ("status", "maps", "cmdline", "environ", "comm"), at most 4 MiB; "" when
  /// it cannot be read. measure reads the large ones only for the process that raises the peak.
  virtual std::string ReadProcFile(int pid, const char* name) = 0;

  /// Whether descriptor `fd` of the waiting task `pid` is open (/proc/PID/fd/FD exists).
  virtual bool DescriptorOpen(int pid, int fd) = 0;

  /// getrusage(RUSAGE_CHILDREN), for measure's time and faults.
  virtual ChildrenUsage ReapedUsage() = 0;

  /// CLOCK_MONOTONIC in microseconds, for measure's elapsed time.
  virtual std::uint64_t NowMicroseconds() = 0;

  /// Gives freed heap back to the kernel (malloc_trim) before the long wait.
  virtual void TrimMemory() = 0;
};

}  // namespace rlimit_init

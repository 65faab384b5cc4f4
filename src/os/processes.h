// SPDX-License-Identifier: Apache-2.0
// The seam for init mode: starting the workload as a child, waiting for signals and children,
// forwarding and reaping. RealProcesses (processes_real.cc) makes the syscalls; unit tests use
// tests/unit/fake_processes.h. Kept apart from System so that exec mode never links a loop it
// does not run and the fake for one concept stays small.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

namespace rlimit_init {

/// Why a traced child stopped (Processes::Trace); kNone for a child that ended.
enum class Stop {
  kNone,
  kExit,    // PTRACE_EVENT_EXIT: about to exit, its address space still there to read;
            // `signaled` and `value` say how, as its end will be reported
  kExec,    // PTRACE_EVENT_EXEC: it has exec'd a new program
  kNewTask,    // PTRACE_EVENT_FORK, VFORK or CLONE: it started process `value`, traced too
  kNewThread,  // PTRACE_EVENT_CLONE with CLONE_THREAD: it started thread `value` of its own
               // process, traced too but with no exit stop (SetExitStops)
  kBeforeExec,   // about to call execve or execveat: the old program's memory still there
  kBeforeClose,  // about to close descriptor `value` (a high one), or, for close_range, -1
  kBeforeExitGroup,  // about to call exit_group: its process ends
  kOther,   // any other ptrace event stop (a new tracee's first stop, a group-stop)
  kSignal,  // a signal is about to be delivered to it (`value`); Resume must pass it on
};

/// How a child ended, as waitpid reported it, or, when traced, that it stopped.
struct ChildExit {
  int pid = 0;
  bool signaled = false;  // killed by a signal (then `value` is the signal number)
  int value = 0;          // the exit status, or the signal number
  Stop stop = Stop::kNone;
};

/// What /proc says about one traced process at its exit stop.
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

/// The lowest descriptor whose close(2) stops a traced task (Stop::kBeforeClose). Below it the
/// filter lets close run unstopped: a job whose descriptors all stay below it needs at most
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

  /// In the child, for measure: makes itself traceable by its parent even after a user switch
  /// (PR_SET_DUMPABLE), installs the seccomp filter that stops it and every task it starts
  /// before execve, execveat, exit_group, close_range and close of a descriptor from
  /// kStoppedCloseFloor
  /// (SECCOMP_RET_TRACE; with no_new_privs when it lacks CAP_SYS_ADMIN), then stops itself
  /// (SIGSTOP) until the parent has begun tracing it with Trace, so that the workload is traced
  /// from its exec on. Returns 0, or the errno of the failing call named in `failed_call`.
  virtual int AwaitTracer(std::string* failed_call) = 0;

  /// In the parent, for measure: waits for the child `pid` to stop itself, attaches to it with
  /// PTRACE_SEIZE and the options that report every exec, fork, vfork and clone of it and of
  /// every task it starts, the filter's stops and the exit of each process (not of each thread:
  /// SetExitStops), then lets it go on. From then on Reap also
  /// reports their stops (ChildExit::stop), each of which must be resumed with Resume. Returns 0
  /// or errno.
  virtual int Trace(int pid) = 0;

  /// Whether the stopped task `pid` stops at its exit (PTRACE_O_TRACEEXIT). A process starts
  /// with exit stops, a thread (Stop::kNewThread) without: the threads of a process share its
  /// address space and descriptors, so one stop where the process ends says what a stop at
  /// each thread's exit would, and 2,000 short threads pay no stop each for it.
  virtual void SetExitStops(int pid, bool stop) = 0;

  /// PTRACE_CONT: resumes a stopped traced task, delivering `signal` (0 for none).
  virtual void Resume(int pid, int signal) = 0;

  /// For the stopped task `pid` and every task it starts from now on: no more PTRACE_EVENT_EXEC
  /// stops (the filter's stop before each exec stays). Once the workload has exec'd, an exec
  /// of its descendants has nothing to say after it that the stop before it did not.
  virtual void StopReportingExecs(int pid) = 0;

  /// Reads /proc/PID/status and lists /proc/PID/fd of a stopped task.
  virtual ProcessSample Sample(int pid) = 0;

  /// /proc/PID/`name` of a stopped task ("maps", "cmdline", "environ"), at most 4 MiB; "" when
  /// it cannot be read. measure reads them only for the process that raises the peak.
  virtual std::string ReadProcFile(int pid, const char* name) = 0;

  /// Whether descriptor `fd` of the stopped task `pid` is open (/proc/PID/fd/FD exists).
  virtual bool DescriptorOpen(int pid, int fd) = 0;

  /// getrusage(RUSAGE_CHILDREN), for measure's time and faults.
  virtual ChildrenUsage ReapedUsage() = 0;

  /// CLOCK_MONOTONIC in microseconds, for measure's elapsed time.
  virtual std::uint64_t NowMicroseconds() = 0;

  /// Gives freed heap back to the kernel (malloc_trim) before the long wait.
  virtual void TrimMemory() = 0;
};

}  // namespace rlimit_init

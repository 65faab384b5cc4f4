// SPDX-License-Identifier: Apache-2.0
#include "os/processes_real.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <malloc.h>
#include <signal.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <charconv>
#include <string>

namespace rlimit_init {
namespace {

// The signals init mode waits for: every one but those it cannot catch and the synchronous
// ones, which report a fault of rlimit-init itself and must keep their default action.
sigset_t WaitedSignals() {
  sigset_t set;
  sigfillset(&set);
  for (int signal : {SIGKILL, SIGSTOP, SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP, SIGSYS,
                     SIGABRT}) {
    sigdelset(&set, signal);
  }
  return set;
}

#if defined(__x86_64__)
constexpr std::uint32_t kAuditArch = AUDIT_ARCH_X86_64;
#elif defined(__aarch64__)
constexpr std::uint32_t kAuditArch = AUDIT_ARCH_AARCH64;
#else
#error "measure's seccomp filter knows x86_64 and aarch64"
#endif

// Every traced task's options but PTRACE_O_TRACEEXEC, which only the workload's own exec needs.
// EXITKILL: with no tracer the filter's calls fail (ENOSYS), so the job must not outlive it.
constexpr long kTraceOptions = PTRACE_O_TRACEEXIT | PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK |
                               PTRACE_O_TRACECLONE | PTRACE_O_TRACESECCOMP | PTRACE_O_EXITKILL;

// What the filter says in SECCOMP_RET_DATA, read back with PTRACE_GETEVENTMSG.
enum FilterData : std::uint16_t {
  kDataExec = 1,
  kDataClose = 2,
  kDataCloseRange = 3,
  kDataExitGroup = 4
};

// Whether task `pid` leads its thread group, i.e. is a process rather than one of its threads:
// tgkill(pid, pid, 0) finds it only then (ESRCH otherwise). One system call, no /proc read.
bool LeadsItsGroup(pid_t pid) {
  return syscall(SYS_tgkill, pid, pid, 0) == 0 || errno != ESRCH;
}

// Stops (SECCOMP_RET_TRACE) before the calls whose effect /proc can no longer show afterwards:
// an exec (the old address space is gone by PTRACE_EVENT_EXEC), a close of a descriptor
// from kStoppedCloseFloor (the highest descriptor the job needed), and exit_group, which ends
// a process from whichever thread calls it: its threads have no exit stop, and the others it
// kills skip theirs (a fatal signal is pending). Every other call, and a
// call of another architecture's table (x32, i386), runs with no stop: the filter costs a few
// BPF instructions per call, the stops only the calls named. As strace --seccomp-bpf does.
int InstallFilter() {
  constexpr auto kTrace = [](std::uint16_t data) { return SECCOMP_RET_TRACE | data; };
  sock_filter program[] = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, arch)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, kAuditArch, 1, 0),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_execve, 7, 0),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_execveat, 6, 0),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_exit_group, 9, 0),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_close_range, 7, 0),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_close, 1, 0),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),  // jump offsets count from the next line
      // close(fd): an int, the low word of args[0] (both architectures are little-endian).
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, args[0])),
      BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, kStoppedCloseFloor, 1, 2),
      BPF_STMT(BPF_RET | BPF_K, kTrace(kDataExec)),
      BPF_STMT(BPF_RET | BPF_K, kTrace(kDataClose)),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
      BPF_STMT(BPF_RET | BPF_K, kTrace(kDataCloseRange)),
      BPF_STMT(BPF_RET | BPF_K, kTrace(kDataExitGroup)),
  };
  sock_fprog fprog = {static_cast<unsigned short>(sizeof program / sizeof program[0]), program};
  if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &fprog, 0, 0) == 0) return 0;
  if (errno != EACCES) return errno;
  // Without CAP_SYS_ADMIN a filter needs no_new_privs. It takes nothing from the job: a traced
  // task's exec of a set-user-ID program already gains nothing when the tracer is unprivileged.
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return errno;
  return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &fprog, 0, 0) == 0 ? 0 : errno;
}

// Which of the filter's stops task `pid` is at; for a close, `fd` is its descriptor.
Stop FilterStop(pid_t pid, int* fd) {
  unsigned long data = 0;
  if (ptrace(PTRACE_GETEVENTMSG, pid, nullptr, &data) != 0) return Stop::kOther;
  *fd = -1;
  if (data == kDataExec) return Stop::kBeforeExec;
  if (data == kDataClose) {
    __ptrace_syscall_info info{};
    if (ptrace(PTRACE_GET_SYSCALL_INFO, pid, sizeof info, &info) > 0 &&
        info.op == PTRACE_SYSCALL_INFO_SECCOMP) {
      *fd = static_cast<int>(info.seccomp.args[0]);
    }
    return Stop::kBeforeClose;
  }
  if (data == kDataCloseRange) return Stop::kBeforeClose;
  if (data == kDataExitGroup) return Stop::kBeforeExitGroup;
  return Stop::kOther;
}

}  // namespace

int RealProcesses::Pid() { return static_cast<int>(getpid()); }

int RealProcesses::BlockSignals() {
  sigset_t set = WaitedSignals();
  return sigprocmask(SIG_BLOCK, &set, nullptr) == 0 ? 0 : errno;
}

int RealProcesses::BecomeSubreaper() {
  return prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0 ? 0 : errno;
}

int RealProcesses::Spawn(const std::function<int()>& child, int* pid) {
  pid_t forked = fork();
  if (forked < 0) return errno;
  // _exit, not exit: the child must not run the parent's atexit handlers or flush its
  // buffers a second time.
  if (forked == 0) _exit(child());
  *pid = static_cast<int>(forked);
  return 0;
}

void RealProcesses::IsolateChild() {
  setpgid(0, 0);
  // SIGTTOU is blocked here, so a background group may take the terminal without stopping.
  if (isatty(STDIN_FILENO)) tcsetpgrp(STDIN_FILENO, getpgrp());
}

int RealProcesses::WaitSignal() {
  sigset_t set = WaitedSignals();
  for (;;) {
    int signal = sigwaitinfo(&set, nullptr);
    if (signal > 0) return signal;
    // EINTR: a stop and continue of rlimit-init itself; nothing else can fail here.
  }
}

int RealProcesses::WaitSignalFor(std::uint64_t microseconds) {
  sigset_t set = WaitedSignals();
  const timespec timeout = {static_cast<time_t>(microseconds / 1000000),
                            static_cast<long>(microseconds % 1000000 * 1000)};
  int signal = sigtimedwait(&set, nullptr, &timeout);
  return signal > 0 ? signal : 0;  // EAGAIN: the time is up; EINTR: as good a moment
}

int RealProcesses::Kill(int pid, int signal) {
  return kill(static_cast<pid_t>(pid), signal) == 0 ? 0 : errno;
}

int RealProcesses::ProcessGroup(int pid) {
  return static_cast<int>(getpgid(static_cast<pid_t>(pid)));
}

bool RealProcesses::Reap(ChildExit* exit) {
  int status = 0;
  pid_t pid;
  // __WALL: traced threads are "clone children", which waitpid reports only with it.
  do {
    pid = waitpid(-1, &status, WNOHANG | (tracing_ ? __WALL : 0));
  } while (pid < 0 && errno == EINTR);
  if (pid <= 0) return false;
  exit->pid = static_cast<int>(pid);
  exit->stop = Stop::kNone;
  if (WIFSTOPPED(status)) {
    // Only tracees report stops here (no WUNTRACED). The event is in bits 16 and up.
    exit->signaled = false;
    exit->value = WSTOPSIG(status);
    switch (status >> 16) {
      case 0:
        exit->stop = Stop::kSignal;
        break;
      case PTRACE_EVENT_EXIT: {
        // How it exits: a fatal signal ends its whole process from this thread.
        unsigned long code = 0;
        ptrace(PTRACE_GETEVENTMSG, pid, nullptr, &code);
        const int how = static_cast<int>(code);
        exit->signaled = WIFSIGNALED(how);
        exit->value = exit->signaled ? WTERMSIG(how) : WEXITSTATUS(how);
        exit->stop = Stop::kExit;
        break;
      }
      case PTRACE_EVENT_EXEC:
        exit->stop = Stop::kExec;
        break;
      case PTRACE_EVENT_SECCOMP:
        exit->stop = FilterStop(pid, &exit->value);
        break;
      case PTRACE_EVENT_FORK:
      case PTRACE_EVENT_VFORK:
      case PTRACE_EVENT_CLONE: {
        unsigned long task = 0;
        ptrace(PTRACE_GETEVENTMSG, pid, nullptr, &task);
        exit->value = static_cast<int>(task);
        // A clone is a thread when CLONE_THREAD put it in this process (a process made by
        // clone with another exit signal than SIGCHLD is reported as a clone too).
        const bool thread = (status >> 16) == PTRACE_EVENT_CLONE &&
                            !LeadsItsGroup(static_cast<pid_t>(task));
        exit->stop = thread ? Stop::kNewThread : Stop::kNewTask;
        break;
      }
      case PTRACE_EVENT_STOP:
        // A new tracee's first stop, or a group-stop and its end. All are resumed: a measured
        // job is not held by SIGSTOP or SIGTSTP (see the README).
        // At its first stop a new task has the options of the task that started it: a thread
        // takes no exit stop, a process (perhaps started by a thread) does.
        if (started_.insert(pid).second) {
          SetExitStops(pid, LeadsItsGroup(pid));
        }
        exit->stop = Stop::kOther;
        break;
      default:
        exit->stop = Stop::kOther;
        break;
    }
    return true;
  }
  exit->signaled = WIFSIGNALED(status);
  exit->value = exit->signaled ? WTERMSIG(status) : WEXITSTATUS(status);
  started_.erase(pid);
  return true;
}

int RealProcesses::AwaitTracer(std::string* failed_call) {
  // A process that switched user (policy user:) is no longer dumpable, and a task that is not
  // dumpable cannot be traced by one without CAP_SYS_PTRACE: its own parent, now the same
  // user, included. This child is the target user's already, holds nothing of root's, and its
  // exec makes the workload dumpable anyway; the parent stays as it is.
  if (prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) != 0) {
    *failed_call = "prctl(PR_SET_DUMPABLE)";
    return errno;
  }
  if (int error = InstallFilter(); error != 0) {
    *failed_call = "prctl(PR_SET_SECCOMP)";
    return error;
  }
  raise(SIGSTOP);
  return 0;
}

int RealProcesses::Trace(int pid) {
  int status = 0;
  // The child stops itself (AwaitTracer); a child that ended instead has failed before exec.
  while (waitpid(pid, &status, WUNTRACED) < 0) {
    if (errno != EINTR) return errno;
  }
  if (!WIFSTOPPED(status)) return ECHILD;
  const long options = kTraceOptions | PTRACE_O_TRACEEXEC;
  if (ptrace(PTRACE_SEIZE, pid, nullptr, reinterpret_cast<void*>(options)) != 0) {
    int error = errno;
    kill(pid, SIGCONT);
    return error;
  }
  tracing_ = true;
  options_ = options;
  started_.insert(pid);
  kill(pid, SIGCONT);
  return 0;
}

void RealProcesses::StopReportingExecs(int pid) {
  // Tasks it starts later inherit the options it has then.
  options_ = kTraceOptions;
  ptrace(PTRACE_SETOPTIONS, pid, nullptr, reinterpret_cast<void*>(options_));
}

void RealProcesses::SetExitStops(int pid, bool stop) {
  const long options = stop ? options_ : options_ & ~PTRACE_O_TRACEEXIT;
  ptrace(PTRACE_SETOPTIONS, pid, nullptr, reinterpret_cast<void*>(options));
}

void RealProcesses::Resume(int pid, int signal) {
  // ESRCH: killed (SIGKILL) while stopped; its end is reported by Reap as usual.
  ptrace(PTRACE_CONT, pid, nullptr, reinterpret_cast<void*>(static_cast<long>(signal)));
}

ProcessSample RealProcesses::Sample(int pid) {
  ProcessSample sample;
  const std::string dir = "/proc/" + std::to_string(pid);
  int fd = open((dir + "/status").c_str(), O_RDONLY | O_CLOEXEC);
  if (fd >= 0) {
    char buffer[4096];
    ssize_t got;
    while ((got = read(fd, buffer, sizeof buffer)) > 0) sample.status.append(buffer, got);
    sample.ok = got == 0;
    close(fd);
  }
  if (DIR* fds = opendir((dir + "/fd").c_str())) {
    sample.fds = 0;
    while (dirent* entry = readdir(fds)) {
      const std::string_view name = entry->d_name;
      int number = 0;
      auto [end, error] = std::from_chars(name.data(), name.data() + name.size(), number);
      if (error == std::errc() && end == name.data() + name.size() && number >= sample.fds) {
        sample.fds = number + 1;
      }
    }
    closedir(fds);
  }
  return sample;
}

std::string RealProcesses::ReadProcFile(int pid, const char* name) {
  constexpr std::size_t kMost = 4u << 20;
  std::string text;
  const std::string path = "/proc/" + std::to_string(pid) + "/" + name;
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return text;
  char buffer[16384];
  ssize_t got;
  while (text.size() < kMost && (got = read(fd, buffer, sizeof buffer)) > 0) {
    text.append(buffer, got);
  }
  close(fd);
  return text;
}

bool RealProcesses::DescriptorOpen(int pid, int fd) {
  struct stat info;
  const std::string path = "/proc/" + std::to_string(pid) + "/fd/" + std::to_string(fd);
  return lstat(path.c_str(), &info) == 0;
}

ChildrenUsage RealProcesses::ReapedUsage() {
  rusage r{};
  getrusage(RUSAGE_CHILDREN, &r);  // cannot fail with a valid pointer and RUSAGE_CHILDREN
  auto micros = [](const timeval& t) {
    return static_cast<std::uint64_t>(t.tv_sec) * 1000000 + static_cast<std::uint64_t>(t.tv_usec);
  };
  return {micros(r.ru_utime), micros(r.ru_stime), static_cast<std::uint64_t>(r.ru_maxrss),
          static_cast<std::uint64_t>(r.ru_majflt), static_cast<std::uint64_t>(r.ru_minflt),
          static_cast<std::uint64_t>(r.ru_nvcsw), static_cast<std::uint64_t>(r.ru_nivcsw)};
}

std::uint64_t RealProcesses::NowMicroseconds() {
  timespec now{};
  clock_gettime(CLOCK_MONOTONIC, &now);
  return static_cast<std::uint64_t>(now.tv_sec) * 1000000 +
         static_cast<std::uint64_t>(now.tv_nsec) / 1000;
}

void RealProcesses::TrimMemory() { malloc_trim(0); }

}  // namespace rlimit_init

// SPDX-License-Identifier: Apache-2.0
#include "os/processes_real.h"

#include <dirent.h>
#include <fcntl.h>
#include <malloc.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
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
      case PTRACE_EVENT_EXIT:
        exit->stop = Stop::kExit;
        break;
      case PTRACE_EVENT_EXEC:
        exit->stop = Stop::kExec;
        break;
      case PTRACE_EVENT_FORK:
      case PTRACE_EVENT_VFORK:
      case PTRACE_EVENT_CLONE:
        exit->stop = Stop::kNewTask;
        break;
      default:
        // PTRACE_EVENT_STOP: a new tracee's first stop, or a group-stop. Both are resumed:
        // a measured job is not held by SIGSTOP or SIGTSTP (see the README).
        exit->stop = Stop::kOther;
        break;
    }
    return true;
  }
  exit->signaled = WIFSIGNALED(status);
  exit->value = exit->signaled ? WTERMSIG(status) : WEXITSTATUS(status);
  return true;
}

void RealProcesses::AwaitTracer() { raise(SIGSTOP); }

int RealProcesses::Trace(int pid) {
  int status = 0;
  // The child stops itself (AwaitTracer); a child that ended instead has failed before exec.
  while (waitpid(pid, &status, WUNTRACED) < 0) {
    if (errno != EINTR) return errno;
  }
  if (!WIFSTOPPED(status)) return ECHILD;
  const long options = PTRACE_O_TRACEEXIT | PTRACE_O_TRACEEXEC | PTRACE_O_TRACEFORK |
                       PTRACE_O_TRACEVFORK | PTRACE_O_TRACECLONE;
  if (ptrace(PTRACE_SEIZE, pid, nullptr, reinterpret_cast<void*>(options)) != 0) {
    int error = errno;
    kill(pid, SIGCONT);
    return error;
  }
  tracing_ = true;
  kill(pid, SIGCONT);
  return 0;
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
      if (entry->d_name[0] != '.') ++sample.fds;
    }
    closedir(fds);
  }
  return sample;
}

void RealProcesses::TrimMemory() { malloc_trim(0); }

}  // namespace rlimit_init

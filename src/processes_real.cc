// SPDX-License-Identifier: Apache-2.0
#include "processes_real.h"

#include <malloc.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

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

bool RealProcesses::Reap(ChildExit* exit) {
  int status = 0;
  pid_t pid;
  do {
    pid = waitpid(-1, &status, WNOHANG);
  } while (pid < 0 && errno == EINTR);
  if (pid <= 0) return false;
  exit->pid = static_cast<int>(pid);
  exit->signaled = WIFSIGNALED(status);
  exit->value = exit->signaled ? WTERMSIG(status) : WEXITSTATUS(status);
  return true;
}

void RealProcesses::TrimMemory() { malloc_trim(0); }

}  // namespace rlimit_init

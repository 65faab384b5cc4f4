// SPDX-License-Identifier: Apache-2.0
#include "os/processes_real.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <malloc.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <charconv>
#include <cstring>
#include <string>
#include <vector>

// Linux 6.6's synchronous wake-ups, for headers older than it (bookworm's are 6.1's): the
// notified task and measure hand the CPU to each other instead of waking one another across
// CPUs. A kernel without them refuses the flag, and the wake-ups stay as they were.
#ifndef SECCOMP_IOCTL_NOTIF_SET_FLAGS
#define SECCOMP_IOCTL_NOTIF_SET_FLAGS SECCOMP_IOW(4, __u64)
#endif
#ifndef SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP
#define SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP 1UL
#endif

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

// The signals whose sending is notified (Stop::kBeforeKill): those whose default action ends a
// process and that a job sends to end one (abort's SIGABRT, a shell's SIGTERM, os.kill). Left
// out: signal 0 (a probe), those a runtime sends often to live threads (Go's SIGURG, glibc's
// SIGRTMIN and SIGRTMIN+1), the stopping and ignored ones, and the timer ones the kernel sends.
constexpr std::uint32_t kEndingSignals =
    1u << SIGHUP | 1u << SIGINT | 1u << SIGQUIT | 1u << SIGILL | 1u << SIGABRT | 1u << SIGBUS |
    1u << SIGFPE | 1u << SIGKILL | 1u << SIGUSR1 | 1u << SIGSEGV | 1u << SIGUSR2 |
    1u << SIGPIPE | 1u << SIGTERM | 1u << SIGSYS;

// Tells the listener (SECCOMP_RET_USER_NOTIF) of the calls whose effect /proc can no longer show
// afterwards: an exec (the old address space is gone once it succeeds), exit_group (the process
// ends), a close of a descriptor from kStoppedCloseFloor and close_range (the highest descriptor
// the job needed), and a signal of kEndingSignals sent by the job (kill, tkill, tgkill,
// rt_sigqueueinfo, rt_tgsigqueueinfo, pidfd_send_signal: its target may end without a call of
// its own). The caller waits until measure has read /proc and let the call go on. Every other
// call, a fork and a new thread included, and a call of another architecture's table (x32,
// i386), runs unseen: the filter costs a few BPF instructions per call, the notifications only
// the calls named. Returns the listener, or -1 with errno.
int InstallFilter() {
  constexpr std::uint32_t kNotify = SECCOMP_RET_USER_NOTIF;
  // The low word of argument `n`: every argument looked at is an int (both architectures are
  // little-endian).
  constexpr auto kArg = [](int n) {
    return static_cast<std::uint32_t>(offsetof(seccomp_data, args) + n * sizeof(std::uint64_t));
  };
  // Jump offsets count from the next instruction; the line each lands on is named beside it.
  sock_filter program[] = {
      /* 0 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, arch)),
      /* 1 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, kAuditArch, 1, 0),  // 3
      /* 2 */ BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
      /* 3 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)),
      /* 4 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_execve, 11, 0),  // 16
      /* 5 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_execveat, 10, 0),
      /* 6 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_exit_group, 9, 0),
      /* 7 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_close_range, 8, 0),
      /* 8 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_close, 8, 0),  // 17
      /* 9 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_kill, 11, 0),  // 21
      /* 10 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_tkill, 10, 0),
      /* 11 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_rt_sigqueueinfo, 9, 0),
      /* 12 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_pidfd_send_signal, 8, 0),
      /* 13 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_tgkill, 9, 0),  // 23
      /* 14 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_rt_tgsigqueueinfo, 8, 0),
      /* 15 */ BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
      /* 16 */ BPF_STMT(BPF_RET | BPF_K, kNotify),
      // close(fd): notified from the floor up.
      /* 17 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, kArg(0)),
      /* 18 */ BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, kStoppedCloseFloor, 0, 1),  // 19, 20
      /* 19 */ BPF_STMT(BPF_RET | BPF_K, kNotify),
      /* 20 */ BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
      // The signal: the second argument, or the third (tgkill, rt_tgsigqueueinfo).
      /* 21 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, kArg(1)),
      /* 22 */ BPF_STMT(BPF_JMP | BPF_JA, 1),  // 24
      /* 23 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, kArg(2)),
      // Notified when it is one of kEndingSignals: (kEndingSignals >> signal) & 1.
      /* 24 */ BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 32, 4, 0),  // 29
      /* 25 */ BPF_STMT(BPF_MISC | BPF_TAX, 0),
      /* 26 */ BPF_STMT(BPF_LD | BPF_IMM, kEndingSignals),
      /* 27 */ BPF_STMT(BPF_ALU | BPF_RSH | BPF_X, 0),
      /* 28 */ BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, 1, 1, 0),  // 30, 29
      /* 29 */ BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
      /* 30 */ BPF_STMT(BPF_RET | BPF_K, kNotify),
  };
  sock_fprog fprog = {static_cast<unsigned short>(sizeof program / sizeof program[0]), program};
  auto install = [&fprog] {
    return static_cast<int>(syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
                                    SECCOMP_FILTER_FLAG_NEW_LISTENER, &fprog));
  };
  int listener = install();
  if (listener >= 0 || errno != EACCES) return listener;
  // Without CAP_SYS_ADMIN a filter needs no_new_privs. It takes little from a job being
  // measured: an exec of a set-user-ID program under it gains no privilege.
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return -1;
  return install();
}

// A message of one byte with room for one descriptor (SCM_RIGHTS), as SendDescriptor sends it
// and ReceiveDescriptor reads it.
struct DescriptorMessage {
  char control[CMSG_SPACE(sizeof(int))] = {};
  char byte = 'l';
  iovec data = {&byte, 1};
  msghdr header{};
  DescriptorMessage() {
    header.msg_iov = &data;
    header.msg_iovlen = 1;
    header.msg_control = control;
    header.msg_controllen = sizeof control;
  }
  DescriptorMessage(const DescriptorMessage&) = delete;
  DescriptorMessage& operator=(const DescriptorMessage&) = delete;
};

bool SendDescriptor(int socket, int fd) {
  DescriptorMessage message;
  cmsghdr* header = CMSG_FIRSTHDR(&message.header);
  header->cmsg_level = SOL_SOCKET;
  header->cmsg_type = SCM_RIGHTS;
  header->cmsg_len = CMSG_LEN(sizeof fd);
  std::memcpy(CMSG_DATA(header), &fd, sizeof fd);
  return sendmsg(socket, &message.header, MSG_NOSIGNAL) == 1;
}

// The descriptor SendDescriptor sent, or -1 (errno ECHILD when the other end closed first).
int ReceiveDescriptor(int socket) {
  DescriptorMessage message;
  ssize_t got;
  do {
    got = recvmsg(socket, &message.header, MSG_CMSG_CLOEXEC);
  } while (got < 0 && errno == EINTR);
  if (got == 0) errno = ECHILD;
  if (got != 1) return -1;
  cmsghdr* header = CMSG_FIRSTHDR(&message.header);
  if (header == nullptr || header->cmsg_type != SCM_RIGHTS) {
    errno = EPROTO;
    return -1;
  }
  int fd = -1;
  std::memcpy(&fd, CMSG_DATA(header), sizeof fd);
  return fd;
}

void CloseOnce(int* fd) {
  if (*fd >= 0) close(*fd);
  *fd = -1;
}

// A file of /proc, at most 4 MiB; "" when it cannot be read.
std::string ReadFile(const std::string& path) {
  constexpr std::size_t kMost = 4u << 20;
  std::string text;
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

// What `fd` has now: POLLIN, POLLHUP, or 0.
short ReadyNow(int fd) {
  pollfd one = {fd, POLLIN, 0};
  return poll(&one, 1, 0) == 1 ? one.revents : 0;
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
  if (signals_ >= 0) {
    int signal;
    while ((signal = WaitTracing(nullptr)) == 0) {
    }
    return signal;
  }
  sigset_t set = WaitedSignals();
  for (;;) {
    int signal = sigwaitinfo(&set, nullptr);
    if (signal > 0) return signal;
    // EINTR: a stop and continue of rlimit-init itself; nothing else can fail here.
  }
}

int RealProcesses::WaitSignalFor(std::uint64_t microseconds) {
  const timespec timeout = {static_cast<time_t>(microseconds / 1000000),
                            static_cast<long>(microseconds % 1000000 * 1000)};
  if (signals_ >= 0) return WaitTracing(&timeout);
  sigset_t set = WaitedSignals();
  int signal = sigtimedwait(&set, nullptr, &timeout);
  return signal > 0 ? signal : 0;  // EAGAIN: the time is up; EINTR: as good a moment
}

int RealProcesses::WaitTracing(const timespec* timeout) {
  // A descriptor already closed (-1) is left out by ppoll.
  pollfd ready[3] = {{signals_, POLLIN, 0}, {listener_, POLLIN, 0}, {parent_socket_, POLLIN, 0}};
  if (ppoll(ready, 3, timeout, nullptr) <= 0) return 0;  // the time is up, or EINTR
  if (ready[0].revents & POLLIN) {
    signalfd_siginfo info;
    if (read(signals_, &info, sizeof info) == sizeof info) return static_cast<int>(info.ssi_signo);
  }
  // Hung up with nothing to read: no task holds the filter any more.
  if ((ready[1].revents & (POLLHUP | POLLERR)) && !(ready[1].revents & POLLIN)) {
    CloseOnce(&listener_);
    return 0;
  }
  // A notification, or the exec's outcome: Reap reports them, as it does a child's end.
  return (ready[1].revents | ready[2].revents) != 0 ? SIGCHLD : 0;
}

int RealProcesses::Kill(int pid, int signal) {
  return kill(static_cast<pid_t>(pid), signal) == 0 ? 0 : errno;
}

int RealProcesses::ProcessGroup(int pid) {
  return static_cast<int>(getpgid(static_cast<pid_t>(pid)));
}

bool RealProcesses::Reap(ChildExit* exit) {
  if (ExecOutcome(exit)) return true;
  if (holding_) {
    *exit = held_;
    holding_ = false;
    return true;
  }
  if (ReceiveNotice(exit)) {
    // A task of the workload's new program can only call after its exec closed the child's end
    // of the socket: the exec is said first, the notification next.
    ChildExit exec;
    if (ExecOutcome(&exec)) {
      held_ = *exit;
      holding_ = true;
      *exit = exec;
    }
    return true;
  }
  int status = 0;
  pid_t pid;
  do {
    pid = waitpid(-1, &status, WNOHANG);
  } while (pid < 0 && errno == EINTR);
  if (pid <= 0) return false;
  exit->pid = static_cast<int>(pid);
  exit->stop = Stop::kNone;
  exit->signaled = WIFSIGNALED(status);
  exit->value = exit->signaled ? WTERMSIG(status) : WEXITSTATUS(status);
  return true;
}

bool RealProcesses::ExecOutcome(ChildExit* exit) {
  if (parent_socket_ < 0 || workload_ == 0) return false;
  char byte;
  const ssize_t got = recv(parent_socket_, &byte, 1, MSG_DONTWAIT);
  if (got < 0) return false;  // EAGAIN: the child has not exec'd yet
  CloseOnce(&parent_socket_);
  // A byte: the exec failed (TraceExecFailed). The end of the stream: the child's end was
  // closed on exec.
  if (got == 1) return false;
  *exit = {workload_, false, 0, Stop::kExec};
  return true;
}

bool RealProcesses::ReceiveNotice(ChildExit* exit) {
  while (listener_ >= 0) {
    const short ready = ReadyNow(listener_);
    if ((ready & POLLIN) == 0) {
      // Hung up: no task holds the filter any more; the job has ended.
      if (ready & (POLLHUP | POLLERR)) CloseOnce(&listener_);
      return false;
    }
    seccomp_notif notice;
    std::memset(&notice, 0, sizeof notice);
    if (ioctl(listener_, SECCOMP_IOCTL_NOTIF_RECV, &notice) != 0) {
      // ENOENT: the task was killed after the poll; another may be waiting.
      if (errno == ENOENT || errno == EINTR) continue;
      return false;
    }
    const int pid = static_cast<int>(notice.pid);
    const int nr = notice.data.nr;
    *exit = {pid, false, 0, Stop::kNone};
    if (nr == SYS_execve || nr == SYS_execveat) {
      exit->stop = Stop::kBeforeExec;
    } else if (nr == SYS_exit_group) {
      exit->stop = Stop::kBeforeExitGroup;
    } else if (nr == SYS_close) {
      exit->stop = Stop::kBeforeClose;
      exit->value = static_cast<int>(notice.data.args[0]);
    } else if (nr == SYS_close_range) {
      exit->stop = Stop::kBeforeClose;
      exit->value = -1;
    } else if (nr == SYS_kill || nr == SYS_tkill || nr == SYS_tgkill ||
               nr == SYS_rt_sigqueueinfo || nr == SYS_rt_tgsigqueueinfo) {
      // The first argument names the target: a process or thread, or (0, negative) a group or
      // every process it may signal.
      exit->stop = Stop::kBeforeKill;
      exit->value = std::max(static_cast<int>(notice.data.args[0]), 0);
    } else if (nr == SYS_pidfd_send_signal) {
      exit->stop = Stop::kBeforeKill;  // a pidfd: which process is not read here
    }
    waiting_[pid] = notice.id;
    // A task in a pid namespace measure cannot see (pid 0), or a call the filter does not name:
    // nothing to read, the call goes on.
    if (pid == 0 || exit->stop == Stop::kNone) {
      Continue(pid);
      continue;
    }
    return true;
  }
  return false;
}

int RealProcesses::PrepareTrace() {
  CloseOnce(&parent_socket_);
  CloseOnce(&child_socket_);
  CloseOnce(&listener_);
  waiting_.clear();
  holding_ = false;
  int sockets[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sockets) != 0) return errno;
  parent_socket_ = sockets[0];
  child_socket_ = sockets[1];
  return 0;
}

int RealProcesses::AwaitTracer(std::string* failed_call) {
  CloseOnce(&parent_socket_);
  // Should measure die, the job's notified calls would fail with ENOSYS: the workload dies with
  // it (what it started is killed by EndTrace, or by the kernel when measure is PID 1).
  prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  const int listener = InstallFilter();
  if (listener < 0) {
    *failed_call = "seccomp(SECCOMP_SET_MODE_FILTER)";
    return errno;
  }
  const bool sent = SendDescriptor(child_socket_, listener);
  const int error = errno;
  close(listener);
  if (!sent) {
    *failed_call = "sendmsg(SCM_RIGHTS)";
    return error;
  }
  return 0;
}

void RealProcesses::TraceExecFailed() {
  // Nothing to do if it fails: the parent then takes the closed socket for an exec and reports
  // a run of nothing, which the workload's exit code (126, 127) and message still explain.
  if (send(child_socket_, "x", 1, MSG_NOSIGNAL) != 1) return;
}

int RealProcesses::Trace(int pid, std::string* failed_call) {
  CloseOnce(&child_socket_);
  workload_ = pid;
  listener_ = ReceiveDescriptor(parent_socket_);
  if (listener_ < 0) {
    const int error = errno;
    CloseOnce(&parent_socket_);
    *failed_call = "recvmsg(SCM_RIGHTS) of the seccomp listener";
    return error;
  }
  ioctl(listener_, SECCOMP_IOCTL_NOTIF_SET_FLAGS, SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP);
  if (signals_ < 0) {
    sigset_t set = WaitedSignals();
    signals_ = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
    if (signals_ < 0) {
      *failed_call = "signalfd";
      return errno;
    }
  }
  return 0;
}

void RealProcesses::Continue(int pid) {
  auto it = waiting_.find(pid);
  if (it == waiting_.end()) return;
  seccomp_notif_resp response;
  std::memset(&response, 0, sizeof response);
  response.id = it->second;
  response.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
  waiting_.erase(it);
  // ENOENT: the task was killed while it waited; nothing to answer.
  ioctl(listener_, SECCOMP_IOCTL_NOTIF_SEND, &response);
}

void RealProcesses::EndTrace() {
  // Without the listener the calls the filter names fail with ENOSYS: what is left of the job
  // is killed, as ptrace's PTRACE_O_EXITKILL did (and the kernel does when measure is PID 1).
  if (listener_ >= 0) {
    for (int pid : Descendants()) kill(static_cast<pid_t>(pid), SIGKILL);
  }
  CloseOnce(&parent_socket_);
  CloseOnce(&child_socket_);
  CloseOnce(&listener_);
  waiting_.clear();
  holding_ = false;
}

std::vector<int> RealProcesses::Descendants() {
  std::vector<int> found;
  std::vector<int> parents = {static_cast<int>(getpid())};
  while (!parents.empty()) {
    const std::string tasks = "/proc/" + std::to_string(parents.back()) + "/task";
    parents.pop_back();
    DIR* dir = opendir(tasks.c_str());
    if (dir == nullptr) continue;  // it has ended
    while (dirent* entry = readdir(dir)) {
      if (entry->d_name[0] < '0' || entry->d_name[0] > '9') continue;
      const std::string text = ReadFile(tasks + "/" + entry->d_name + "/children");
      const char* at = text.data();
      const char* end = at + text.size();
      while (at < end) {
        int child = 0;
        auto [next, error] = std::from_chars(at, end, child);
        if (error == std::errc()) {
          found.push_back(child);
          parents.push_back(child);
        }
        at = next + 1;  // past the space after each pid
      }
    }
    closedir(dir);
  }
  return found;
}

ProcessSample RealProcesses::Sample(int pid) {
  ProcessSample sample;
  const std::string dir = "/proc/" + std::to_string(pid);
  sample.status = ReadFile(dir + "/status");
  sample.ok = !sample.status.empty();
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
  // Killed while it was read: the pid may already be another process's.
  if (auto it = waiting_.find(pid);
      it != waiting_.end() && ioctl(listener_, SECCOMP_IOCTL_NOTIF_ID_VALID, &it->second) != 0) {
    sample.ok = false;
  }
  return sample;
}

std::string RealProcesses::ReadProcFile(int pid, const char* name) {
  return ReadFile("/proc/" + std::to_string(pid) + "/" + name);
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

// SPDX-License-Identifier: Apache-2.0
// notif_probe PROGRAM [ARG...]: what measure's tracer would cost on a seccomp user-notification
// listener instead of ptrace (issue 24.7), before building it. It runs PROGRAM as measure runs
// a job and does the work per event that such a tracer must do, without measure's report:
//
// - The child installs one filter (SECCOMP_FILTER_FLAG_NEW_LISTENER; with no_new_privs when it
//   lacks CAP_SYS_ADMIN), hands the listener to this side (SCM_RIGHTS), closes it and execs
//   PROGRAM. Every descendant inherits the filter across fork and exec: one descriptor gets the
//   whole tree's calls, and no task is traced.
// - The filter notifies execve, execveat, exit_group, close_range, close of a descriptor from
//   50, and clone, clone3, fork and vfork (threads are counted where they are made: no stop at a
//   thread's first instruction, none at its exit). Everything else runs unnotified.
// - For each notification, while the caller waits: an exec or exit_group reads
//   /proc/PID/status and lists /proc/PID/fd (measure's sample); a close looks up
//   /proc/PID/fd/N; a clone3 reads its flags (process_vm_readv of struct clone_args, which BPF
//   cannot see) and every creation reads the caller's /proc/PID/status (its Threads: count, for
//   the most tasks at once); then SECCOMP_IOCTL_NOTIF_ID_VALID (the pid was not reused while
//   read) and SECCOMP_USER_NOTIF_FLAG_CONTINUE.
// - The listener asks for synchronous wake-ups (SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP, Linux 6.6;
//   ignored where the kernel lacks it): the caller and this side then hand the CPU to each other
//   instead of waking one another across CPUs, which on this 2-CPU VM halved the threads job.
// - A 100 ms timer reads /proc/PID/status of every process it knows (measure's timeline).
//
// Exits with PROGRAM's status (128 + N for signal N); with NOTIF_PROBE_COUNT set it prints
// "notifications N" to stderr at the end; NOTIF_PROBE_ASYNC leaves the wake-ups asynchronous;
// NOTIF_PROBE_UNSEEN_THREADS lets threads be made unnotified (InstallFilter).
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/sched.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#if defined(__x86_64__)
#define AUDIT_ARCH_HERE AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define AUDIT_ARCH_HERE AUDIT_ARCH_AARCH64
#endif
#ifndef SYS_fork
#define SYS_fork -1  // aarch64 has clone only
#define SYS_vfork -1
#endif

#ifndef SECCOMP_IOCTL_NOTIF_SET_FLAGS
#define SECCOMP_IOCTL_NOTIF_SET_FLAGS SECCOMP_IOW(4, __u64)
#endif
#ifndef SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP
#define SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP 1UL
#endif

enum { kCloseFloor = 50, kMaxKnown = 4096 };

// With `unseen_threads`, clone3 fails with ENOSYS (glibc 2.34 and later then call clone, as under
// Docker's default seccomp profile) and a clone with CLONE_THREAD runs unnotified: a thread then
// costs nothing, and threads are known only from the Threads: line of a sample.
static int InstallFilter(int unseen_threads) {
#define NOTIFY(nr) \
  BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (nr), 0, 1), BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF)
  struct sock_filter program[] = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_HERE, 1, 0),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
      NOTIFY(SYS_execve),
      NOTIFY(SYS_execveat),
      NOTIFY(SYS_exit_group),
      NOTIFY(SYS_close_range),
      NOTIFY(SYS_fork),
      NOTIFY(SYS_vfork),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_clone3, 0, 1),
      BPF_STMT(BPF_RET | BPF_K,
               unseen_threads ? SECCOMP_RET_ERRNO | ENOSYS : SECCOMP_RET_USER_NOTIF),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_clone, 0, 4),
      // clone's flags are its first argument (the low word holds CLONE_THREAD).
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[0])),
      BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, unseen_threads ? CLONE_THREAD : 0, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_close, 0, 3),
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[0])),
      BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, kCloseFloor, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
#undef NOTIFY
  struct sock_fprog fprog = {sizeof program / sizeof program[0], program};
  int fd = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, &fprog);
  if (fd < 0 && errno == EACCES && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0) {
    fd = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, &fprog);
  }
  return fd;
}

static void SendFd(int socket, int fd) {
  char control[CMSG_SPACE(sizeof fd)] = {0};
  struct iovec byte = {"l", 1};
  struct msghdr message = {
      .msg_iov = &byte, .msg_iovlen = 1, .msg_control = control, .msg_controllen = sizeof control};
  struct cmsghdr* header = CMSG_FIRSTHDR(&message);
  header->cmsg_level = SOL_SOCKET;
  header->cmsg_type = SCM_RIGHTS;
  header->cmsg_len = CMSG_LEN(sizeof fd);
  memcpy(CMSG_DATA(header), &fd, sizeof fd);
  if (sendmsg(socket, &message, 0) != 1) _exit(70);
}

static int ReceiveFd(int socket) {
  char control[CMSG_SPACE(sizeof(int))];
  char byte;
  struct iovec io = {&byte, 1};
  struct msghdr message = {
      .msg_iov = &io, .msg_iovlen = 1, .msg_control = control, .msg_controllen = sizeof control};
  if (recvmsg(socket, &message, 0) != 1) return -1;
  struct cmsghdr* header = CMSG_FIRSTHDR(&message);
  if (header == NULL || header->cmsg_type != SCM_RIGHTS) return -1;
  int fd;
  memcpy(&fd, CMSG_DATA(header), sizeof fd);
  return fd;
}

static char text[16384];

static long ReadProc(int pid, const char* name) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/%s", pid, name);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  long got = read(fd, text, sizeof text);
  close(fd);
  return got;
}

static int HighestFd(int pid) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/fd", pid);
  DIR* dir = opendir(path);
  if (dir == NULL) return -1;
  int most = 0;
  for (struct dirent* entry; (entry = readdir(dir)) != NULL;) {
    int number = atoi(entry->d_name);  // "." and ".." read as 0
    if (number + 1 > most) most = number + 1;
  }
  closedir(dir);
  return most;
}

// The processes seen in notifications, for the timer; a pid whose status is gone is dropped.
static int known[kMaxKnown];
static int known_count;

static void Know(int pid) {
  for (int i = 0; i < known_count; ++i) {
    if (known[i] == pid) return;
  }
  if (known_count < kMaxKnown) known[known_count++] = pid;
}

static void Tick(void) {
  for (int i = 0; i < known_count;) {
    if (ReadProc(known[i], "status") > 0) {
      ++i;
    } else {
      known[i] = known[--known_count];
    }
  }
}

static void Handle(const struct seccomp_notif* request) {
  const int pid = (int)request->pid;
  const int nr = request->data.nr;
  char path[64];
  struct stat info;
  Know(pid);
  if (nr == SYS_execve || nr == SYS_execveat || nr == SYS_exit_group || nr == SYS_close_range) {
    ReadProc(pid, "status");
    HighestFd(pid);
  } else if (nr == SYS_close) {
    snprintf(path, sizeof path, "/proc/%d/fd/%d", pid, (int)request->data.args[0]);
    lstat(path, &info);
  } else {
    if (nr == SYS_clone3) {
      uint64_t flags = 0;
      struct iovec local = {&flags, sizeof flags};
      struct iovec remote = {(void*)(uintptr_t)request->data.args[0], sizeof flags};
      process_vm_readv(pid, &local, 1, &remote, 1, 0);
    }
    ReadProc(pid, "status");
  }
}

int main(int argc, char** argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: notif_probe PROGRAM [ARG...]\n");
    return 64;
  }
  sigset_t chld;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  sigprocmask(SIG_BLOCK, &chld, NULL);
  prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
  int sockets[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sockets) != 0) return 70;
  pid_t workload = fork();
  if (workload < 0) return 70;
  if (workload == 0) {
    sigprocmask(SIG_UNBLOCK, &chld, NULL);
    int listener = InstallFilter(getenv("NOTIF_PROBE_UNSEEN_THREADS") != NULL);
    if (listener < 0) {
      perror("notif_probe: seccomp");
      _exit(70);
    }
    SendFd(sockets[1], listener);
    close(listener);
    execvp(argv[1], argv + 1);
    perror("notif_probe: exec");
    _exit(127);
  }
  close(sockets[1]);
  const int listener = ReceiveFd(sockets[0]);
  if (listener < 0) return 70;
  struct seccomp_notif_sizes sizes;
  if (syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sizes) != 0) return 70;
  struct seccomp_notif* request = calloc(1, sizes.seccomp_notif);
  struct seccomp_notif_resp* response = calloc(1, sizes.seccomp_notif_resp);
  if (getenv("NOTIF_PROBE_ASYNC") == NULL) {
    ioctl(listener, SECCOMP_IOCTL_NOTIF_SET_FLAGS, SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP);
  }
  const int children = signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK);
  long notifications = 0;
  int status = 0;
  for (int ended = 0; !ended;) {
    struct pollfd ready[2] = {{listener, POLLIN, 0}, {children, POLLIN, 0}};
    if (poll(ready, 2, 100) == 0) Tick();
    if (ready[0].revents & POLLIN) {
      memset(request, 0, sizes.seccomp_notif);
      if (ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, request) == 0) {
        ++notifications;
        Handle(request);
        // ENOENT: the caller was killed meanwhile; what was read may be another process's.
        ioctl(listener, SECCOMP_IOCTL_NOTIF_ID_VALID, &request->id);
        memset(response, 0, sizes.seccomp_notif_resp);
        response->id = request->id;
        response->flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
        ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, response);
      }
    }
    if (ready[1].revents & POLLIN) {
      struct signalfd_siginfo info;
      while (read(children, &info, sizeof info) > 0) {
      }
      int how;
      for (pid_t pid; (pid = waitpid(-1, &how, WNOHANG)) > 0;) {
        if (pid == workload) {
          status = how;
          ended = 1;
        }
      }
    }
  }
  if (getenv("NOTIF_PROBE_COUNT") != NULL) fprintf(stderr, "notifications %ld\n", notifications);
  return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
}

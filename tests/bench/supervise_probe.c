// SPDX-License-Identifier: Apache-2.0
// supervise_probe COUNT SUPERVISOR [ARG...] --: measures a supervising init (rlimit-init in
// init mode, tini) while it waits: its resident set, and the time from a signal sent to it to
// the signal's arrival in its workload.
//
// It starts SUPERVISOR ARG... followed by this program as the workload (`--workload`), whose
// stdout is a pipe back here. The workload blocks SIGUSR1, writes one byte ("ready") and then
// waits in sigwaitinfo(); for each SIGUSR1 it writes the CLOCK_MONOTONIC time it got it. Once
// ready, this side reads VmRSS, RssAnon and RssFile from /proc/SUPERVISOR/status, then COUNT
// times takes the time, kill(SUPERVISOR, SIGUSR1)s and reads the workload's time back, one signal
// at a time (pending signals do not queue). At the end it sends SIGTERM, which the workload
// leaves at its default action, and waits for the supervisor.
//
// Prints "rss VMRSS_KIB RSSANON_KIB RSSFILE_KIB" and then one delay in nanoseconds a line.
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int64_t now_ns(void) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return (int64_t)now.tv_sec * 1000000000 + now.tv_nsec;
}

static int read_exactly(int fd, void* buffer, size_t size) {
  size_t done = 0;
  while (done < size) {
    ssize_t got = read(fd, (char*)buffer + done, size - done);
    if (got <= 0) return -1;
    done += (size_t)got;
  }
  return 0;
}

static int workload(void) {
  sigset_t usr1;
  sigemptyset(&usr1);
  sigaddset(&usr1, SIGUSR1);
  if (sigprocmask(SIG_BLOCK, &usr1, NULL) != 0) return 70;
  if (write(STDOUT_FILENO, "r", 1) != 1) return 70;
  for (;;) {
    if (sigwaitinfo(&usr1, NULL) != SIGUSR1) continue;
    int64_t arrived = now_ns();
    if (write(STDOUT_FILENO, &arrived, sizeof arrived) != sizeof arrived) return 70;
  }
}

static long status_kib(const char* status, const char* key) {
  const char* line = strstr(status, key);
  return line ? strtol(line + strlen(key), NULL, 10) : -1;
}

int main(int argc, char** argv) {
  if (argc == 2 && strcmp(argv[1], "--workload") == 0) return workload();
  if (argc < 3) {
    fputs("usage: supervise_probe COUNT SUPERVISOR [ARG...] --\n", stderr);
    return 64;
  }
  long count = strtol(argv[1], NULL, 10);
  char self[4096];
  ssize_t length = readlink("/proc/self/exe", self, sizeof self - 1);
  if (length <= 0) return 70;
  self[length] = '\0';
  // SUPERVISOR ARG... then this program and --workload
  char** child_argv = calloc((size_t)argc + 1, sizeof *child_argv);
  for (int i = 2; i < argc; ++i) child_argv[i - 2] = argv[i];
  child_argv[argc - 2] = self;
  child_argv[argc - 1] = "--workload";

  int pipe_fds[2];
  if (pipe(pipe_fds) != 0) return 70;
  pid_t supervisor = fork();
  if (supervisor < 0) return 70;
  if (supervisor == 0) {
    dup2(pipe_fds[1], STDOUT_FILENO);
    close(pipe_fds[0]);
    close(pipe_fds[1]);
    execv(child_argv[0], child_argv);
    _exit(127);
  }
  close(pipe_fds[1]);
  char ready;
  if (read_exactly(pipe_fds[0], &ready, 1) != 0) {
    fprintf(stderr, "supervise_probe: %s did not start the workload\n", argv[2]);
    return 70;
  }

  char path[64], status[8192];
  snprintf(path, sizeof path, "/proc/%d/status", (int)supervisor);
  FILE* file = fopen(path, "r");
  size_t size = file ? fread(status, 1, sizeof status - 1, file) : 0;
  if (file) fclose(file);
  status[size] = '\0';
  printf("rss %ld %ld %ld\n", status_kib(status, "VmRSS:"), status_kib(status, "RssAnon:"),
         status_kib(status, "RssFile:"));

  for (long i = 0; i < count; ++i) {
    int64_t sent = now_ns(), arrived;
    if (kill(supervisor, SIGUSR1) != 0 ||
        read_exactly(pipe_fds[0], &arrived, sizeof arrived) != 0) {
      fprintf(stderr, "supervise_probe: signal %ld did not arrive\n", i);
      return 70;
    }
    printf("%lld\n", (long long)(arrived - sent));
  }
  kill(supervisor, SIGTERM);
  int wait_status;
  waitpid(supervisor, &wait_status, 0);
  return 0;
}

// SPDX-License-Identifier: Apache-2.0
// peak_rss PROGRAM [ARG...]: runs PROGRAM and prints "MAXRSS_KIB EXIT_CODE" for it.
//
// Run it with a workload that does not exist, so that the program ends at its failed exec and
// the figure is its own peak resident set before exec, not the workload's. ru_maxrss of a
// waited child also counts the address space the child started from: posix_spawn shares this
// helper's pages until the exec, so a figure at the helper's own size (about 0.5 MiB, static)
// means "no more than that". A forking program (tini, dumb-init) is charged its children too.
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>

extern char** environ;

int main(int argc, char** argv) {
  if (argc < 2) {
    fputs("usage: peak_rss PROGRAM [ARG...]\n", stderr);
    return 64;
  }
  pid_t pid;
  int error = posix_spawn(&pid, argv[1], NULL, NULL, argv + 1, environ);
  if (error != 0) {
    fprintf(stderr, "peak_rss: cannot run %s: %s\n", argv[1], strerror(error));
    return 127;
  }
  int status;
  struct rusage usage;
  if (wait4(pid, &status, 0, &usage) != pid) {
    perror("peak_rss: wait4");
    return 70;
  }
  int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  printf("%ld %d\n", usage.ru_maxrss, code);
  return 0;
}

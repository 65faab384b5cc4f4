// SPDX-License-Identifier: Apache-2.0
// vmhelper: what the VM tests need that busybox cannot do, as one small static program (the
// VM has no Python and no shared libraries).
//
//   vmhelper alloc BYTES     allocate BYTES with malloc, as an interpreter would, and write to
//                            every page of it: prints "allocated BYTES" and exits 0, or prints
//                            "allocation of BYTES failed: <errno text>" and exits 1 (what
//                            Python turns into MemoryError). A cgroup over its memory.max
//                            OOM-kills it instead (SIGKILL).
//   vmhelper limits          print the address-space limits this process runs under, as
//                            getrlimit(RLIMIT_AS) returns them: "as soft=N hard=N" (bytes or
//                            "unlimited").
//   vmhelper cgroupns CMD... enter a new cgroup namespace, as `unshare -C` does (busybox's
//                            unshare has no -C), then exec CMD.
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

static int Usage(void) {
  fputs("usage: vmhelper alloc BYTES | limits | cgroupns CMD [ARG...]\n", stderr);
  return 64;
}

static void PrintLimit(rlim_t value) {
  if (value == RLIM_INFINITY) {
    fputs("unlimited", stdout);
  } else {
    printf("%" PRIu64, (uint64_t)value);
  }
}

static int Alloc(const char* text) {
  char* end = NULL;
  errno = 0;
  unsigned long long bytes = strtoull(text, &end, 10);
  if (errno != 0 || end == text || *end != '\0' || bytes == 0) return Usage();
  // Flush before the allocation: an OOM kill leaves no chance to flush afterwards.
  fflush(stdout);
  errno = 0;
  unsigned char* data = malloc((size_t)bytes);
  if (data == NULL) {
    printf("allocation of %llu failed: %s\n", bytes, strerror(errno));
    return 1;
  }
  long page = sysconf(_SC_PAGESIZE);
  for (unsigned long long offset = 0; offset < bytes; offset += (unsigned long long)page) {
    data[offset] = 1;
  }
  printf("allocated %llu\n", bytes);
  free(data);
  return 0;
}

static int Limits(void) {
  struct rlimit limit;
  if (getrlimit(RLIMIT_AS, &limit) != 0) {
    printf("getrlimit(RLIMIT_AS) failed: %s\n", strerror(errno));
    return 1;
  }
  fputs("as soft=", stdout);
  PrintLimit(limit.rlim_cur);
  fputs(" hard=", stdout);
  PrintLimit(limit.rlim_max);
  putchar('\n');
  return 0;
}

static int CgroupNamespace(char** argv) {
  if (unshare(CLONE_NEWCGROUP) != 0) {
    fprintf(stderr, "vmhelper: unshare(CLONE_NEWCGROUP) failed: %s\n", strerror(errno));
    return 1;
  }
  execvp(argv[0], argv);
  fprintf(stderr, "vmhelper: cannot run %s: %s\n", argv[0], strerror(errno));
  return 127;
}

int main(int argc, char** argv) {
  if (argc == 3 && strcmp(argv[1], "alloc") == 0) return Alloc(argv[2]);
  if (argc == 2 && strcmp(argv[1], "limits") == 0) return Limits();
  if (argc >= 3 && strcmp(argv[1], "cgroupns") == 0) return CgroupNamespace(argv + 2);
  return Usage();
}

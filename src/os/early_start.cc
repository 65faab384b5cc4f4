// SPDX-License-Identifier: Apache-2.0
// Runs before glibc's _start, so nothing here may touch glibc: no errno, no IFUNC'd memcpy or
// strlen (their relocations are not applied yet), no TLS, no stack protector (its canary lives
// in TLS). Only raw syscalls, the stack, and this file's own static storage, which the kernel
// has already zeroed. CMake builds this file with -fno-stack-protector and
// -fno-tree-loop-distribute-patterns so that the compiler adds none of them.
#include "os/early_start.h"

#include <sys/resource.h>
#include <sys/syscall.h>

#include <cstdint>

namespace rlimit_init {
namespace {

struct Early {
  bool ran;
  std::uint64_t soft;
  std::uint64_t hard;
};
Early early;  // zero until the entry point runs

// What a run needs beyond the static image (the stack, vdso, glibc's TLS block and first heap)
// to reach main, whose own out-of-memory handler speaks from there on. Measured by bisection
// with prlimit --as=N:N in 16 KiB steps: up to the image + 294 KiB the run died by SIGSEGV or
// "Fatal glibc error: Cannot allocate TLS block"; from the image + 310 KiB it reached main and
// spoke (README "Bad inputs and faults"). 384 KiB keeps a margin for larger environments.
constexpr std::uint64_t kHeadroom = 384 * 1024;

}  // namespace
}  // namespace rlimit_init

#if defined(__x86_64__)

// The default linker script's bounds of the loaded image.
extern "C" char __executable_start[];
extern "C" char _end[];

namespace rlimit_init {
namespace {

long Syscall4(long number, long a, long b, long c, long d) {
  long result;
  register long r10 __asm__("r10") = d;
  __asm__ volatile("syscall"
                   : "=a"(result)
                   : "a"(number), "D"(a), "S"(b), "d"(c), "r"(r10)
                   : "rcx", "r11", "memory");
  return result;
}

// Appends `value` in decimal; a loop of single characters the compiler cannot make a call of.
char* Decimal(char* out, std::uint64_t value) {
  char digits[20];
  int count = 0;
  do {
    digits[count++] = static_cast<char>('0' + value % 10);
    value /= 10;
  } while (value != 0);
  while (count > 0) *out++ = digits[--count];
  return out;
}

char* Text(char* out, const char* text) {
  while (*text != '\0') *out++ = *text++;
  return out;
}

}  // namespace
}  // namespace rlimit_init

extern "C" __attribute__((used, no_stack_protector)) void rlimit_init_early_start() {
  using namespace rlimit_init;
  struct AsLimit {
    std::uint64_t soft;
    std::uint64_t hard;
  } limit = {0, 0};
  if (Syscall4(SYS_prlimit64, 0, RLIMIT_AS, 0, reinterpret_cast<long>(&limit)) != 0) return;
  early = {true, limit.soft, limit.hard};
  if (limit.soft < limit.hard) {
    AsLimit lifted = {limit.hard, limit.hard};
    if (Syscall4(SYS_prlimit64, 0, RLIMIT_AS, reinterpret_cast<long>(&lifted), 0) == 0) {
      limit = lifted;
    }
  }
  const std::uint64_t image = static_cast<std::uint64_t>(_end - __executable_start);
  const std::uint64_t needed = (image + kHeadroom + 1023) / 1024 * 1024;
  if (limit.soft >= needed) return;
  // The hard limit is what stops it now: `ulimit -v N` sets both, and counts KiB.
  char message[512];
  char* end = Text(message, "rlimit-init: out of memory: the address-space limit (ulimit -v) is ");
  end = Decimal(end, limit.soft / 1024);
  end = Text(end, " KiB, less than the ");
  end = Decimal(end, needed / 1024);
  end = Text(end, " KiB rlimit-init needs to start; ulimit -v counts KiB (ulimit -v ");
  end = Decimal(end, limit.soft / 1024 * 1024);
  end = Text(end, " is ");
  end = Decimal(end, limit.soft / 1024);
  end = Text(end, " MiB); nothing was executed\n");
  Syscall4(SYS_write, 2, reinterpret_cast<long>(message), end - message, 0);
  Syscall4(SYS_exit_group, 70, 0, 0, 0);  // kExitInternal, as for any other out of memory
}

// The entry point: calls the function above on the kernel's initial stack, then enters glibc's
// _start with the stack and %rdx (the kernel's 0, else a loader's fini) as the kernel left them.
__asm__(R"(
  .text
  .globl rlimit_init_entry
  .type rlimit_init_entry, @function
rlimit_init_entry:
  push %rdx
  sub $8, %rsp
  call rlimit_init_early_start
  add $8, %rsp
  pop %rdx
  jmp _start
  .size rlimit_init_entry, .-rlimit_init_entry
)");

#endif  // __x86_64__

namespace rlimit_init {

bool EarlyInheritedAs(LimitPair* inherited) {
  if (!early.ran) return false;
  *inherited = {early.soft, early.hard};
  return true;
}

}  // namespace rlimit_init

// SPDX-License-Identifier: Apache-2.0
// What rlimit-init does before the C library starts: under an inherited soft RLIMIT_AS of a
// few MiB (`ulimit -v 2048`, MiB meant as KiB) glibc's own start (its TLS block, the first
// malloc) fails with "Fatal glibc error" or SIGSEGV before main could say a word. The static
// binary's entry point (rlimit_init_entry, early_start.cc) therefore lifts the soft limit to
// the hard one first, with raw syscalls, and refuses in a fixed message when even the hard
// limit leaves too little.
#pragma once

#include "base/limit.h"

namespace rlimit_init {

/// The RLIMIT_AS inherited at exec, as read by the entry point before it lifted the soft
/// limit; false when the entry point did not run (a dynamic or sanitized build), and then the
/// limit is as inherited still.
bool EarlyInheritedAs(LimitPair* inherited);

}  // namespace rlimit_init

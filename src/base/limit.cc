// SPDX-License-Identifier: Apache-2.0
#include "base/limit.h"

namespace rlimit_init {

// Names and descriptions follow prlimit(1) (util-linux), the flags and scales bash's
// `ulimit` builtin, the Limit*= names systemd.exec(5). Docker's --ulimit takes every name but
// "as" (docker/go-units ulimit.go; the real CLI answers "invalid ulimit type: as"). KEP-5758
// allows core, memlock, nice, nofile, rtprio and stack.
const std::array<ResourceRow, kResourceCount> kResources = {{
    {Resource::kAs, "as", "RLIMIT_AS", "address space limit", LimitUnit::kBytes, 'v', 1024,
     "LimitAS", false, false},
    {Resource::kCore, "core", "RLIMIT_CORE", "max core file size", LimitUnit::kBytes, 'c', 1024,
     "LimitCORE", true, true},
    {Resource::kCpu, "cpu", "RLIMIT_CPU", "CPU time", LimitUnit::kSeconds, 't', 1, "LimitCPU",
     true, false},
    {Resource::kData, "data", "RLIMIT_DATA", "max data size", LimitUnit::kBytes, 'd', 1024,
     "LimitDATA", true, false},
    {Resource::kFsize, "fsize", "RLIMIT_FSIZE", "max file size", LimitUnit::kBytes, 'f', 1024,
     "LimitFSIZE", true, false},
    {Resource::kLocks, "locks", "RLIMIT_LOCKS", "max number of file locks held",
     LimitUnit::kCount, 'x', 1, "LimitLOCKS", true, false},
    {Resource::kMemlock, "memlock", "RLIMIT_MEMLOCK", "max locked-in-memory address space",
     LimitUnit::kBytes, 'l', 1024, "LimitMEMLOCK", true, true},
    {Resource::kMsgqueue, "msgqueue", "RLIMIT_MSGQUEUE", "max bytes in POSIX mqueues",
     LimitUnit::kBytes, 'q', 1, "LimitMSGQUEUE", true, false},
    {Resource::kNice, "nice", "RLIMIT_NICE", "max nice prio allowed to raise",
     LimitUnit::kNiceCeiling, 'e', 1, "LimitNICE", true, true},
    {Resource::kNofile, "nofile", "RLIMIT_NOFILE", "max number of open files", LimitUnit::kCount,
     'n', 1, "LimitNOFILE", true, true},
    {Resource::kNproc, "nproc", "RLIMIT_NPROC", "max number of processes", LimitUnit::kCount, 'u',
     1, "LimitNPROC", true, false},
    {Resource::kRss, "rss", "RLIMIT_RSS", "max resident set size", LimitUnit::kBytes, 'm', 1024,
     "LimitRSS", true, false},
    {Resource::kRtprio, "rtprio", "RLIMIT_RTPRIO", "max real-time priority", LimitUnit::kPriority,
     'r', 1, "LimitRTPRIO", true, true},
    {Resource::kRttime, "rttime", "RLIMIT_RTTIME", "timeout for real-time tasks",
     LimitUnit::kMicroseconds, 'R', 1, "LimitRTTIME", true, false},
    {Resource::kSigpending, "sigpending", "RLIMIT_SIGPENDING", "max number of pending signals",
     LimitUnit::kCount, 'i', 1, "LimitSIGPENDING", true, false},
    {Resource::kStack, "stack", "RLIMIT_STACK", "max stack size", LimitUnit::kBytes, 's', 1024,
     "LimitSTACK", true, true},
}};

const ResourceRow* FindResource(std::string_view name) {
  for (const ResourceRow& row : kResources) {
    if (row.name == name) return &row;
  }
  return nullptr;
}

}  // namespace rlimit_init

// SPDX-License-Identifier: Apache-2.0
#include "advice/limit_names.h"

#include <array>

namespace rlimit_init {
namespace {

constexpr std::uint64_t k16Gi = std::uint64_t{16} << 30;

// kernel/fork.c (copy_process) checks RLIMIT_NPROC against the processes of the real user ID,
// exempting the root user and CAP_SYS_RESOURCE/CAP_SYS_ADMIN; systemd.exec(5) says the same of
// LimitNPROC=.
constexpr char kNprocNote[] =
    "nproc counts every process of the job's user ID, in every container and session that "
    "shares that UID, not this container's alone, and root (UID 0) is not held to it: a UID of "
    "the job's own (user: in the policy) keeps other workloads from using it up";
// systemd.exec(5): "LimitRSS= is not implemented on Linux, and setting it has no effect".
constexpr char kRssNote[] =
    "RLIMIT_RSS has no effect on Linux (systemd.exec(5)); a cgroup memory limit is what caps "
    "resident memory";

// In the table's order, as left out (kAddressSpaceNames). Units as bash's ulimit counts them:
// KiB for core, data, fsize, memlock, rss and stack, 1 for the rest (limits.conf counts cpu in
// minutes and nice as a nice value: advice.cc converts). pam_limits has no rttime item
// (limits.conf(5)); go-units takes every name but as, and KEP-5758 only core, memlock, nice,
// nofile, rtprio and stack.
constexpr std::array<RlimitNames, kResourceCount - 1> kNames = {{
    {"RLIMIT_CORE", "LimitCORE", "-c", 1024, "core", "--core", "core", "core", "limits.core",
     Resource::kCore, k16Gi},
    {"RLIMIT_CPU", "LimitCPU", "-t", 1, "cpu", "--cpu", "cpu", nullptr, "limits.cpu",
     Resource::kCpu},
    {"RLIMIT_DATA", "LimitDATA", "-d", 1024, "data", "--data", "data", nullptr, "limits.data",
     Resource::kData},
    {"RLIMIT_FSIZE", "LimitFSIZE", "-f", 1024, "fsize", "--fsize", "fsize", nullptr,
     "limits.fsize", Resource::kFsize},
    {"RLIMIT_LOCKS", "LimitLOCKS", "-x", 1, "locks", "--locks", "locks", nullptr, "limits.locks",
     Resource::kLocks},
    {"RLIMIT_MEMLOCK", "LimitMEMLOCK", "-l", 1024, "memlock", "--memlock", "memlock", "memlock",
     "limits.memlock", Resource::kMemlock, k16Gi},
    {"RLIMIT_MSGQUEUE", "LimitMSGQUEUE", "-q", 1, "msgqueue", "--msgqueue", "msgqueue", nullptr,
     "limits.msgqueue", Resource::kMsgqueue},
    {"RLIMIT_NICE", "LimitNICE", "-e", 1, "nice", "--nice", "nice", "nice", "limits.nice",
     Resource::kNice, 40},
    {"RLIMIT_NOFILE", "LimitNOFILE", "-n", 1, "nofile", "--nofile", "nofile", "nofile",
     "limits.nofile", Resource::kNofile, 65536},
    {"RLIMIT_NPROC", "LimitNPROC", "-u", 1, "nproc", "--nproc", "nproc", nullptr, "limits.nproc",
     Resource::kNproc, 0, kNprocNote},
    {"RLIMIT_RSS", "LimitRSS", "-m", 1024, "rss", "--rss", "rss", nullptr, "limits.rss",
     Resource::kRss, 0, kRssNote},
    {"RLIMIT_RTPRIO", "LimitRTPRIO", "-r", 1, "rtprio", "--rtprio", "rtprio", "rtprio",
     "limits.rtprio", Resource::kRtprio, 99},
    {"RLIMIT_RTTIME", "LimitRTTIME", "-R", 1, nullptr, "--rttime", "rttime", nullptr,
     "limits.rttime", Resource::kRttime},
    {"RLIMIT_SIGPENDING", "LimitSIGPENDING", "-i", 1, "sigpending", "--sigpending", "sigpending",
     nullptr, "limits.sigpending", Resource::kSigpending},
    {"RLIMIT_STACK", "LimitSTACK", "-s", 1024, "stack", "--stack", "stack", "stack",
     "limits.stack", Resource::kStack, k16Gi},
}};

}  // namespace

const RlimitNames& NamesOf(Resource resource) {
  if (resource == Resource::kAs) return kAddressSpaceNames;
  return kNames[static_cast<std::size_t>(resource) - 1];
}

}  // namespace rlimit_init

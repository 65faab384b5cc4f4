// SPDX-License-Identifier: Apache-2.0
#include "limit_names.h"

#include <array>

namespace rlimit_init {
namespace {

// In the table's order, as left out (kAddressSpaceNames). Units as bash's ulimit and
// pam_limits count them: KiB for core, data, fsize, memlock, rss and stack, 1 for the rest.
// pam_limits has no rttime item (limits.conf(5)); go-units takes every name but as, and
// KEP-5758 only core, memlock, nice, nofile, rtprio and stack.
constexpr std::array<RlimitNames, kResourceCount - 1> kNames = {{
    {"RLIMIT_CORE", "LimitCORE", "-c", 1024, "core", "--core", "core", "core", "limits.core"},
    {"RLIMIT_CPU", "LimitCPU", "-t", 1, "cpu", "--cpu", "cpu", nullptr, "limits.cpu"},
    {"RLIMIT_DATA", "LimitDATA", "-d", 1024, "data", "--data", "data", nullptr, "limits.data"},
    {"RLIMIT_FSIZE", "LimitFSIZE", "-f", 1024, "fsize", "--fsize", "fsize", nullptr, "limits.fsize"},
    {"RLIMIT_LOCKS", "LimitLOCKS", "-x", 1, "locks", "--locks", "locks", nullptr, "limits.locks"},
    {"RLIMIT_MEMLOCK", "LimitMEMLOCK", "-l", 1024, "memlock", "--memlock", "memlock", "memlock", "limits.memlock"},
    {"RLIMIT_MSGQUEUE", "LimitMSGQUEUE", "-q", 1, "msgqueue", "--msgqueue", "msgqueue", nullptr, "limits.msgqueue"},
    {"RLIMIT_NICE", "LimitNICE", "-e", 1, "nice", "--nice", "nice", "nice", "limits.nice"},
    {"RLIMIT_NOFILE", "LimitNOFILE", "-n", 1, "nofile", "--nofile", "nofile", "nofile", "limits.nofile"},
    {"RLIMIT_NPROC", "LimitNPROC", "-u", 1, "nproc", "--nproc", "nproc", nullptr, "limits.nproc"},
    {"RLIMIT_RSS", "LimitRSS", "-m", 1024, "rss", "--rss", "rss", nullptr, "limits.rss"},
    {"RLIMIT_RTPRIO", "LimitRTPRIO", "-r", 1, "rtprio", "--rtprio", "rtprio", "rtprio", "limits.rtprio"},
    {"RLIMIT_RTTIME", "LimitRTTIME", "-R", 1, nullptr, "--rttime", "rttime", nullptr, "limits.rttime"},
    {"RLIMIT_SIGPENDING", "LimitSIGPENDING", "-i", 1, "sigpending", "--sigpending", "sigpending", nullptr, "limits.sigpending"},
    {"RLIMIT_STACK", "LimitSTACK", "-s", 1024, "stack", "--stack", "stack", "stack", "limits.stack"},
}};

}  // namespace

const RlimitNames& NamesOf(Resource resource) {
  if (resource == Resource::kAs) return kAddressSpaceNames;
  return kNames[static_cast<std::size_t>(resource) - 1];
}

}  // namespace rlimit_init

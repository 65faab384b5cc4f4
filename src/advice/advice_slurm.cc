// SPDX-License-Identifier: Apache-2.0
// What to change when the job runs under Slurm.
//
// Where a Slurm job's limits come from (SchedMD/slurm, tag slurm-22-05-8-1,
// src/slurmd/slurmstepd/ulimits.c, and test_slurm.py on a real slurmd 22.05): slurmstepd,
// which slurmd forks, sets each limit named by PropagateResourceLimits to the submit shell's
// *soft* value and keeps its own hard limit, lowering a soft value above that hard limit without
// a word (or failing with "Can't propagate RLIMIT_AS ... from submit host" under --propagate).
// So the job's hard RLIMIT_AS is slurmd's own. The one exception is VSizeFactor: with it,
// set_user_limits() sets soft and hard RLIMIT_AS to the step's memory (--mem) times
// VSizeFactor/100, whenever slurmd's hard limit is above --mem.
#include <string_view>

#include "advice/advice_slurm.h"
#include "advice/advice_values.h"
#include "policy/limit_value.h"

namespace rlimit_init {
namespace {

constexpr std::uint64_t kMiB = std::uint64_t{1} << 20;

// The names PropagateResourceLimits takes (slurm.conf(5) of 22.05): AS, CORE, CPU, DATA,
// FSIZE, MEMLOCK, NOFILE, NPROC, RSS, STACK. Any other limit the job gets from slurmd whole.
bool Propagated(Resource resource) {
  switch (resource) {
    case Resource::kLocks:
    case Resource::kMsgqueue:
    case Resource::kNice:
    case Resource::kRtprio:
    case Resource::kRttime:
    case Resource::kSigpending:
      return false;
    default:
      return true;
  }
}

/// --mem as Slurm's str_to_mbytes() (src/common/proc_args.c) reads it: a decimal count with the
/// M suffix, in MiB (its "MB" are 1024 * 1024 bytes), rounded up. Written without adding
/// before dividing, which wrapped near 2^64 to "--mem=0M", Slurm's "all of the node's memory".
/// The largest value, 2^44M, is far below the LLONG_MAX that strtoll() there accepts; M is
/// used rather than G or T because the parser multiplies those without an overflow check.
std::string SlurmMem(std::uint64_t bytes) {
  return std::to_string(bytes / kMiB + (bytes % kMiB != 0)) + "M";
}

}  // namespace

Advice SlurmHardLimit(const RlimitNames& names, const AdviceInput& /*input*/,
                      std::uint64_t needed) {
  const std::string option = names.ulimit_option;  // "-v"
  std::string fix =
      Propagated(names.resource)
          ? Cat({"the job's hard ", names.oci_type,
                 " is slurmd's own, not the submit shell's (PropagateResourceLimits passes on "
                 "only the soft limit, lowered to that hard limit): give slurmd "})
          : Cat({"the job's ", names.oci_type,
                 " is slurmd's own (PropagateResourceLimits cannot name it): give slurmd "});
  fix += needed == kUnlimited ? std::string("an unlimited hard limit")
                              : "a hard limit of at least " + FormatLimit(names.resource, needed);
  fix += std::string(" and restart it: ") + names.systemd + "=" + SystemdValue(needed) +
         " in a drop-in for slurmd.service (systemctl edit slurmd), or ulimit " + option + " " +
         UlimitValue(names, needed) + " in the shell that starts slurmd";
  // `ulimit -v N` rather than `ulimit -Hv N`: bash's -H alone fails with "Invalid argument"
  // when the soft limit is above N, and slurmd's soft limit is not what the job gets anyway.
  // VSizeFactor sets RLIMIT_AS (RLIMIT_DATA only where there is no RLIMIT_AS) and no other.
  if (std::string_view(names.oci_type) != "RLIMIT_AS") return {fix};
  std::string vsize = "if slurm.conf sets VSizeFactor (scontrol show config shows it), Slurm ";
  if (needed == kUnlimited) {
    vsize += "caps every job at --mem times VSizeFactor/100: only removing VSizeFactor lifts that";
  } else {
    vsize += "sets the hard limit to --mem times VSizeFactor/100 instead: submit with --mem of "
             "at least " + SlurmMem(needed) + " * 100 / VSizeFactor";
  }
  return {fix, vsize};
}

Advice SlurmMemoryLimit(const AdviceInput& /*input*/, std::uint64_t needed,
                        const CgroupMemory& /*cgroup*/) {
  // cgroup.conf(5): ConstrainRAMSpace=yes makes the job's allocation its memory limit, scaled
  // by AllowedRAMSpace (a percentage, default 100).
  return {"submit with --mem=" + SlurmMem(needed) +
          " or more: with ConstrainRAMSpace=yes in cgroup.conf, Slurm makes --mem the job's "
          "cgroup memory limit (times AllowedRAMSpace/100)"};
}

}  // namespace rlimit_init

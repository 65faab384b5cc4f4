// SPDX-License-Identifier: Apache-2.0
// The settings a refusal names: for the layer that most likely set a limit, the setting to
// change there, spelled the way that layer's own tool accepts it. Pure: no I/O, no OS seam.
//
// A resource is a row (RlimitNames), not a copy of the address-space code: each layer's
// function takes the names and formats the value in the unit its tool counts in.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "observe/cgroup.h"
#include "observe/layer.h"
#include "base/limit.h"

namespace rlimit_init {

/// How each tool names one rlimit. nullptr where the tool has no name for it.
struct RlimitNames {
  const char* oci_type;        // OCI process.rlimits "type", also NRI ulimit-adjuster's
  const char* systemd;         // systemd.exec directive, without "="
  const char* ulimit_option;   // bash's ulimit option letter, with the dash
  std::uint64_t ulimit_unit;   // bytes per unit of `ulimit` and limits.conf (1024: KiB)
  const char* limits_conf;     // pam_limits item in /etc/security/limits.conf
  const char* prlimit_option;  // util-linux prlimit option, with the dashes
  /// docker/go-units ulimit name, as docker run --ulimit, daemon.json default-ulimits, podman
  /// run --ulimit and CRI-O default_ulimits parse it; nullptr where go-units rejects it.
  const char* go_units;
  /// Name in Kubernetes' securityContext.ulimits (KEP-5758, alpha); nullptr where excluded.
  const char* kubernetes;
  const char* policy_section;  // the policy's section for this rlimit, e.g. "addressSpace"
  Resource resource = Resource::kAs;
  /// The largest value KEP-5758's validation takes for it (kubernetes/kubernetes#137023,
  /// staging/src/k8s.io/api/core/v1/types.go: nofile 65536, nice 40, rtprio 99, stack, memlock
  /// and core 16 GiB); above it the securityContext.ulimits line is left out.
  std::uint64_t kubernetes_max = 0;
  /// A fact about the resource that holds in every layer, said after the layer's fixes (nproc
  /// counts per user, rss does nothing); nullptr for none.
  const char* note = nullptr;
};

/// RLIMIT_AS. go-units has "as" commented out ("Disabled since this doesn't seem usable with
/// the way Docker inits a container", docker/go-units ulimit.go), and KEP-5758 allowlists
/// nofile, memlock, core, nice, rtprio and stack only.
inline constexpr RlimitNames kAddressSpaceNames = {
    "RLIMIT_AS", "LimitAS", "-v", 1024, "as", "--as", nullptr, nullptr, "addressSpace"};

/// What the advice depends on besides the value.
struct AdviceInput {
  DetectedLayer layer;
  bool may_raise_hard = false;  // CAP_SYS_RESOURCE in the initial user namespace
  bool raise_hard = false;      // the policy's raiseHard
};

/// The fix first (printed after "fix:"), then the alternatives (each after "or:"). Never
/// empty.
using Advice = std::vector<std::string>;

/// How to give the workload a hard limit of at least `needed` (kUnlimited: no limit).
Advice HardLimitAdvice(const RlimitNames& names, const AdviceInput& input, std::uint64_t needed);

/// How to give the workload a cgroup memory limit of at least `needed` bytes, where `cgroup`
/// is what binds today.
Advice MemoryLimitAdvice(const AdviceInput& input, std::uint64_t needed,
                         const CgroupMemory& cgroup);

/// The fix when the cgroup memory limit is unknown: what lets rlimit-init read it.
std::string UnknownLimitAdvice(const CgroupMemory& cgroup);

}  // namespace rlimit_init

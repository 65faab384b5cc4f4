// SPDX-License-Identifier: Apache-2.0
#include "report.h"

#include <array>
#include <cstdio>

#include "quantity.h"

namespace rlimit_init {
namespace {

constexpr char kPrefix[] = "rlimit-init: ";

std::string MemoryPart(const Observed& observed) {
  const CgroupMemory& cgroup = observed.cgroup;
  if (cgroup.limit != kUnlimited) {
    return "cgroup memory limit " + HumanBytes(cgroup.limit) + " from " + cgroup.limit_source;
  }
  std::string part = "no cgroup memory limit";
  if (observed.host.mem_total) part += "; host MemTotal " + HumanBytes(*observed.host.mem_total);
  return part;
}

std::string MemoryFix(Layer layer, std::uint64_t needed, const CgroupMemory& cgroup) {
  std::string bytes = std::to_string(needed);
  switch (layer) {
    case Layer::kKubernetes:
      return "raise resources.limits.memory of this container to at least " + ToQuantity(needed) +
             " (a LimitRange or ResourceQuota in the namespace may cap it)";
    case Layer::kDocker:
    case Layer::kPodman:
      return std::string("run the container with ") +
             (layer == Layer::kDocker ? "docker" : "podman") + " run --memory=" + bytes +
             " or more";
    case Layer::kSystemd:
      return "set MemoryMax=" + bytes + " or more in the unit's [Service] section (MemoryLimit= "
             "on cgroup v1), then restart the unit";
    case Layer::kSlurm:
      return "request at least --mem=" + std::to_string((needed + (1 << 20) - 1) >> 20) +
             "M for the job (Slurm enforces it through cgroup.conf ConstrainRAMSpace)";
    case Layer::kShell:
      break;
  }
  if (cgroup.limit_source.empty()) return "give the job more memory";
  if (cgroup.limit_from_hierarchy_stat) {
    return "the limit is set on an ancestor cgroup this process cannot see (" +
           cgroup.limit_source + "): raise it to at least " + bytes +
           " on the host, in whatever created that cgroup";
  }
  return "as root, write " + bytes + " or more to " + cgroup.limit_source +
         ", or start the job outside that cgroup";
}

std::string HardLimitFix(Layer layer, std::uint64_t needed) {
  std::string bytes = needed == kUnlimited ? "-1" : std::to_string(needed);
  switch (layer) {
    case Layer::kKubernetes:
      return "Kubernetes has no pod setting for rlimits (kubernetes/kubernetes#3595); the hard "
             "RLIMIT_AS comes from the node's container runtime: raise it in containerd's "
             "base_runtime_spec (process.rlimits, type RLIMIT_AS) or CRI-O's default_ulimits "
             "(\"as=" + bytes + ":" + bytes + "\"), or set securityContext.ulimits where the "
             "cluster supports it";
    case Layer::kDocker:
      return "run the container with docker run --ulimit as=" + bytes + ":" + bytes +
             " (-1 means unlimited)";
    case Layer::kPodman:
      return "run the container with podman run --ulimit as=" + bytes + ":" + bytes +
             " (-1 means unlimited)";
    case Layer::kSystemd:
      return "raise or remove LimitAS= in the unit (LimitAS=" +
             (needed == kUnlimited ? std::string("infinity") : std::to_string(needed)) +
             "; systemctl show -p LimitAS UNIT shows it), then restart the unit";
    case Layer::kSlurm:
      return "Slurm propagates the submit shell's limits: submit from a shell whose ulimit -Hv "
             "is at least " + UlimitKiB(needed) +
             ", or set PropagateResourceLimitsExcept=AS in slurm.conf";
    case Layer::kShell:
      break;
  }
  return "a non-root shell cannot raise its hard limit: start the job from a session without "
         "ulimit -Hv (look in shell profiles and the \"as\" item of "
         "/etc/security/limits.conf), or run ulimit -Hv " + UlimitKiB(needed) +
         " as root first";
}

void AppendLine(std::string* out, std::string_view label, const std::string& text) {
  *out += "  ";
  *out += label;
  *out += std::string(9 - label.size(), ' ');
  *out += text;
  *out += "\n";
}

const char* BlockerName(Blocker blocker) {
  switch (blocker) {
    case Blocker::kNone:
      return "";
    case Blocker::kHardLimit:
      return "hard_limit";
    case Blocker::kMemoryRequire:
      return "memory_require";
    case Blocker::kAboveCgroup:
      return "above_cgroup";
    case Blocker::kNoCeiling:
      return "no_ceiling";
  }
  return "";
}

}  // namespace

std::string ToQuantity(std::uint64_t bytes) {
  if (bytes == kUnlimited) return "unlimited";
  static constexpr std::array<const char*, 6> kSuffixes = {"Ki", "Mi", "Gi", "Ti", "Pi", "Ei"};
  std::string best = std::to_string(bytes);
  std::uint64_t unit = 1024;
  for (const char* suffix : kSuffixes) {
    if (bytes == 0 || bytes % unit != 0) break;
    best = std::to_string(bytes / unit) + suffix;
    if (unit > kUnlimited / 1024) break;
    unit *= 1024;
  }
  return best;
}

std::string Summary(const Decision& d, const Observed& observed, const Policy& policy,
                    bool would) {
  const std::string memory = MemoryPart(observed);
  // `check` says what a run would do; a run says what it did.
  const std::string raised = would ? "would raise" : "raised";
  switch (d.outcome) {
    case Outcome::kRaised:
      if (d.after.hard != d.before.hard) {
        return raised + " the soft and hard address-space limits (RLIMIT_AS) from " +
               DescribeBytes(d.before.soft) + " and " + DescribeBytes(d.before.hard) + " to " +
               DescribeBytes(d.after.soft) + "; " + memory;
      }
      return raised + " the soft address-space limit (RLIMIT_AS) from " +
             DescribeBytes(d.before.soft) + " to " + DescribeBytes(d.after.soft) +
             "; hard limit " + DescribeBytes(d.after.hard) + "; " + memory;
    case Outcome::kUnchanged:
      return (would ? "would leave" : "left") +
             std::string(" the soft address-space limit (RLIMIT_AS) at ") + DescribeBytes(d.before.soft) +
             ": it already covers the request " + DescribeBytes(d.request_bytes) +
             "; hard limit " + DescribeBytes(d.after.hard) + "; " + memory;
    case Outcome::kPartial:
      return raised + " the soft address-space limit (RLIMIT_AS) from " +
             DescribeBytes(d.before.soft) + " to the hard limit " + DescribeBytes(d.after.soft) +
             ", less than the " + HumanBytes(d.request_bytes) + " requested; " + memory;
    case Outcome::kRefused:
      break;
  }
  switch (d.blocker) {
    case Blocker::kHardLimit:
      return "refused: the job asks for " +
             (d.request_bytes == kUnlimited ? std::string("unlimited address space")
                                            : DescribeBytes(d.request_bytes) +
                                                  " of address space") +
             ", but the hard limit is " + DescribeBytes(d.before.hard) +
             (policy.raise_hard ? " and this process lacks CAP_SYS_RESOURCE to raise it"
                                : " and raiseHard is not set");
    case Blocker::kMemoryRequire:
      return "refused: the policy requires " + DescribeBytes(*policy.memory_require) +
             " of memory, but the memory ceiling is " + DescribeBytes(d.ceiling);
    case Blocker::kAboveCgroup:
      return "refused: granting " +
             (d.grant == kUnlimited
                  ? std::string("unlimited address space")
                  : DescribeBytes(d.grant) +
                        " of address space") +
             " would exceed the cgroup memory limit " +
             DescribeBytes(observed.cgroup.limit) + ", and addressSpace.aboveCgroup is refuse";
    case Blocker::kNoCeiling:
    case Blocker::kNone:
      break;
  }
  return "refused: " + policy.request_origin + " " + policy.request.text +
         " is a share of the memory ceiling, but neither a cgroup memory limit nor MemTotal "
         "could be read";
}

std::string Fix(const Decision& d, const Observed& observed, const Policy& policy) {
  Layer layer = observed.layer.layer;
  switch (d.blocker) {
    case Blocker::kNone:
      return "";
    case Blocker::kHardLimit:
      return HardLimitFix(layer, d.request_bytes);
    case Blocker::kMemoryRequire:
      return MemoryFix(layer, *policy.memory_require, observed.cgroup);
    case Blocker::kAboveCgroup:
      if (d.grant == kUnlimited) {
        // No memory limit is large enough for an unlimited grant; only the request can move.
        return "an unlimited grant is above any memory limit: give addressSpace.request a "
               "quantity of at most " + ToQuantity(observed.cgroup.limit) +
               ", or set addressSpace.aboveCgroup to warn";
      }
      return MemoryFix(layer, d.grant, observed.cgroup);
    case Blocker::kNoCeiling:
      return "give addressSpace.request as a quantity such as 4Gi instead of a percentage";
  }
  return "";
}

std::string RenderText(const Decision& d, const Observed& observed, const Policy& policy,
                       bool quiet, bool verbose, bool would) {
  std::string out;
  if (verbose) {
    const CgroupMemory& cgroup = observed.cgroup;
    out += std::string(kPrefix) + "observed: RLIMIT_AS soft " + DescribeBytes(d.before.soft) +
           ", hard " + DescribeBytes(d.before.hard) + "; may raise hard: " +
           (observed.may_raise_hard ? "yes" : "no") + "\n";
    out += std::string(kPrefix) + "observed: cgroup " + CgroupVersionName(cgroup.version) + " " +
           (cgroup.cgroup_path.empty() ? "-" : cgroup.cgroup_path) + " at " +
           (cgroup.directory.empty() ? "-" : cgroup.directory) + "; " + MemoryPart(observed) +
           "\n";
    out += std::string(kPrefix) + "observed: layer " + LayerName(observed.layer.layer) + " (" +
           observed.layer.evidence + ")\n";
  }
  if (d.outcome != Outcome::kRefused) {
    if (!quiet) out += kPrefix + Summary(d, observed, policy, would) + "\n";
    for (const std::string& w : d.warnings) out += std::string(kPrefix) + "warning: " + w + "\n";
    return out;
  }
  out += kPrefix + Summary(d, observed, policy) + "\n";
  AppendLine(&out, "asked:", policy.request_origin + " = " + policy.request.text +
                                 (d.request_bytes == kUnlimited || policy.request.text ==
                                          std::to_string(d.request_bytes)
                                      ? ""
                                      : " (" + std::to_string(d.request_bytes) + " bytes)"));
  switch (d.blocker) {
    case Blocker::kHardLimit:
      AppendLine(&out, "blocked:", "hard RLIMIT_AS " + DescribeBytes(d.before.hard) +
                                       ", inherited from the parent process");
      break;
    case Blocker::kMemoryRequire:
    case Blocker::kAboveCgroup:
      AppendLine(&out, "blocked:", "memory limit " + DescribeBytes(d.ceiling) + " from " +
                                       d.ceiling_source);
      break;
    case Blocker::kNoCeiling:
    case Blocker::kNone:
      break;
  }
  AppendLine(&out, "layer:", std::string(LayerName(observed.layer.layer)) + " (" +
                                 observed.layer.evidence + ")");
  AppendLine(&out, "fix:", Fix(d, observed, policy));
  if (d.blocker == Blocker::kHardLimit) {
    AppendLine(&out, "or:", "lower the request, or set addressSpace.minimum to at most " +
                                ToQuantity(d.before.hard) + " to accept the hard limit");
  } else if (d.blocker == Blocker::kAboveCgroup &&
             d.grant != kUnlimited) {
    AppendLine(&out, "or:", "lower the request to at most " + ToQuantity(observed.cgroup.limit) +
                                ", or set addressSpace.aboveCgroup to warn");
  }
  for (const std::string& w : d.warnings) out += std::string(kPrefix) + "warning: " + w + "\n";
  return out;
}

std::string JsonString(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    unsigned char u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (u < 0x20) {
      char buffer[8];
      std::snprintf(buffer, sizeof buffer, "\\u%04x", u);
      out += buffer;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

std::string JsonBytes(std::uint64_t bytes) {
  return bytes == kUnlimited ? "\"unlimited\"" : std::to_string(bytes);
}

std::string RenderJson(const Decision& d, const Observed& observed, const Policy& policy,
                       bool would) {
  std::string warnings = "[";
  for (const std::string& w : d.warnings) {
    warnings += (warnings.size() > 1 ? "," : "") + JsonString(w);
  }
  warnings += "]";
  return std::string("{\"outcome\":") + JsonString(OutcomeName(d.outcome)) +
         ",\"request_bytes\":" + JsonBytes(d.request_bytes) + ",\"minimum_bytes\":" +
         (d.minimum_bytes ? JsonBytes(*d.minimum_bytes) : "null") +
         ",\"soft_before\":" + JsonBytes(d.before.soft) + ",\"soft_after\":" +
         JsonBytes(d.after.soft) + ",\"hard_before\":" + JsonBytes(d.before.hard) +
         ",\"hard_after\":" + JsonBytes(d.after.hard) + ",\"memory_limit_bytes\":" +
         JsonBytes(observed.cgroup.limit) + ",\"memory_limit_source\":" +
         JsonString(observed.cgroup.limit_source) + ",\"memory_ceiling_bytes\":" +
         JsonBytes(d.ceiling) + ",\"memory_ceiling_source\":" + JsonString(d.ceiling_source) +
         ",\"cgroup_version\":" + JsonString(CgroupVersionName(observed.cgroup.version)) +
         ",\"layer\":" + JsonString(LayerName(observed.layer.layer)) + ",\"blocker\":" +
         (d.blocker == Blocker::kNone ? "null" : JsonString(BlockerName(d.blocker))) +
         ",\"fix\":" + (d.blocker == Blocker::kNone ? "null" : JsonString(Fix(d, observed, policy))) +
         ",\"warnings\":" + warnings + ",\"message\":" +
         JsonString(Summary(d, observed, policy, would)) + "}\n";
}

std::string RenderErrorJson(int exit_code, std::string_view message) {
  return "{\"outcome\":\"error\",\"exit_code\":" + std::to_string(exit_code) +
         ",\"message\":" + JsonString(message) + "}\n";
}

}  // namespace rlimit_init

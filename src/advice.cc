// SPDX-License-Identifier: Apache-2.0
#include "advice.h"

#include "advice_layers.h"
#include "report.h"

namespace rlimit_init {
namespace {

Advice KubernetesHardLimit(const RlimitNames& names, const AdviceInput& /*input*/,
                           std::uint64_t needed) {
  std::string value = GoUnitsValue(needed);
  return {std::string("Kubernetes has no pod setting for rlimits (kubernetes/kubernetes#3595); "
                      "the hard ") +
          names.oci_type +
          " comes from the node's container runtime: raise it in containerd's "
          "base_runtime_spec (process.rlimits, type " +
          names.oci_type + ") or CRI-O's default_ulimits (\"as=" + value + ":" + value +
          "\"), or set securityContext.ulimits where the cluster supports it"};
}

Advice DockerHardLimit(const RlimitNames& /*names*/, const AdviceInput& /*input*/,
                       std::uint64_t needed) {
  std::string value = GoUnitsValue(needed);
  return {"run the container with docker run --ulimit as=" + value + ":" + value +
          " (-1 means unlimited)"};
}

Advice SystemdHardLimit(const RlimitNames& names, const AdviceInput& /*input*/,
                        std::uint64_t needed) {
  std::string directive = names.systemd;
  return {"raise or remove " + directive + "= in the unit (" + directive + "=" +
          SystemdValue(needed) + "; systemctl show -p " + directive +
          " UNIT shows it), then restart the unit"};
}

Advice ShellHardLimit(const RlimitNames& names, const AdviceInput& /*input*/,
                      std::uint64_t needed) {
  std::string option = std::string("ulimit -H") + (names.ulimit_option + 1);
  return {"a non-root shell cannot raise its hard limit: start the job from a session without " +
          option + " (look in shell profiles and the \"" + names.limits_conf +
          "\" item of /etc/security/limits.conf), or run " + option + " " +
          UlimitValue(names, needed) + " as root first"};
}

Advice KubernetesMemoryLimit(std::uint64_t needed) {
  return {"raise resources.limits.memory of this container to at least " + ToQuantity(needed) +
          " (a LimitRange or ResourceQuota in the namespace may cap it)"};
}

Advice ShellMemoryLimit(std::uint64_t needed, const CgroupMemory& cgroup) {
  std::string bytes = std::to_string(needed);
  if (cgroup.limit_source.empty()) return {"give the job more memory"};
  if (cgroup.limit_from_hierarchy_stat) {
    return {"the limit is set on an ancestor cgroup this process cannot see (" +
            cgroup.limit_source + "): raise it to at least " + bytes +
            " on the host, in whatever created that cgroup"};
  }
  return {"as root, write " + bytes + " or more to " + cgroup.limit_source +
          ", or start the job outside that cgroup"};
}

}  // namespace

std::string OciValue(std::uint64_t value) { return std::to_string(value); }

std::string SystemdValue(std::uint64_t value) {
  return value == kUnlimited ? "infinity" : std::to_string(value);
}

std::string UlimitValue(const RlimitNames& names, std::uint64_t value) {
  return value == kUnlimited ? "unlimited" : std::to_string(value / names.ulimit_unit);
}

std::string GoUnitsValue(std::uint64_t value) {
  return value == kUnlimited ? "-1" : std::to_string(value);
}

Advice HardLimitAdvice(const RlimitNames& names, const AdviceInput& input, std::uint64_t needed) {
  switch (input.layer.layer) {
    case Layer::kKubernetes:
      return KubernetesHardLimit(names, input, needed);
    case Layer::kDocker:
      return DockerHardLimit(names, input, needed);
    case Layer::kPodman:
      return PodmanHardLimit(names, input, needed);
    case Layer::kSystemd:
      return SystemdHardLimit(names, input, needed);
    case Layer::kSlurm:
      return SlurmHardLimit(names, input, needed);
    case Layer::kShell:
      break;
  }
  return ShellHardLimit(names, input, needed);
}

Advice MemoryLimitAdvice(const AdviceInput& input, std::uint64_t needed,
                         const CgroupMemory& cgroup) {
  std::string bytes = std::to_string(needed);
  switch (input.layer.layer) {
    case Layer::kKubernetes:
      return KubernetesMemoryLimit(needed);
    case Layer::kDocker:
      return {"run the container with docker run --memory=" + bytes + " or more"};
    case Layer::kPodman:
      return PodmanMemoryLimit(input, needed, cgroup);
    case Layer::kSystemd:
      return {"set MemoryMax=" + bytes +
              " or more in the unit's [Service] section (MemoryLimit= on cgroup v1), then "
              "restart the unit"};
    case Layer::kSlurm:
      return SlurmMemoryLimit(input, needed, cgroup);
    case Layer::kShell:
      break;
  }
  return ShellMemoryLimit(needed, cgroup);
}

}  // namespace rlimit_init

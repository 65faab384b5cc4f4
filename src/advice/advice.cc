// SPDX-License-Identifier: Apache-2.0
// Advice for the container runtimes (Kubernetes nodes, Docker, a bare OCI container), systemd
// and the shell. Every name below is checked against its tool in tests/integration/
// test_advice_*.py, or cited there from the tool's source where the tool cannot run here.
#include "advice/advice.h"

#include "advice/advice_data.h"
#include "advice/advice_podman.h"
#include "advice/advice_slurm.h"
#include "advice/advice_values.h"
#include "base/quantity.h"

namespace rlimit_init {
namespace {

// {"type":"RLIMIT_AS","soft":N,"hard":N}: one entry of an OCI spec's process.rlimits.
std::string OciRlimit(const RlimitNames& names, std::uint64_t value) {
  std::string v = OciValue(value);
  return Cat({"{\"type\":\"", names.oci_type, "\",\"soft\":", v, ",\"hard\":", v, "}"});
}

// LimitAS=N
std::string SystemdSetting(const RlimitNames& names, std::uint64_t value) {
  return Cat({names.systemd, "=", SystemdValue(value)});
}

// What a root process with CAP_SYS_RESOURCE does itself, given `how` to get that capability.
std::string RaiseHardLine(const RlimitNames& names, std::string_view how) {
  return Cat({"run the container as root ", how, " and set ", names.policy_section,
              ".raiseHard: true, with user: to drop root before exec; rlimit-init then raises "
              "the hard limit itself"});
}

// Containers inherit every rlimit their spec does not set from the process that starts the
// runtime (containerd's shim, CRI-O's conmon), hence from the daemon's unit.
std::string DaemonLine(const RlimitNames& names, std::uint64_t value, std::string_view units,
                       std::string_view restart) {
  return Cat({"set ", SystemdSetting(names, value), " in a drop-in for ", units,
              " (systemctl edit ", units, "), then restart ", restart,
              ": a container whose spec sets no ", names.oci_type, " inherits the runtime's"});
}

// ctr oci spec prints a spec whose process.rlimits holds RLIMIT_NOFILE 1024:1024; used whole as
// base_runtime_spec it lowers every container's open-file limit from containerd's own (20000
// under a shell, 1048576 under Debian's unit) to 1024. Without a base spec, containerd 1.6's
// CRI sets no rlimits: containers inherit containerd's. So the recipe keeps only the entry asked
// for, and every other limit stays what containerd gives.
std::string ContainerdLine(const RlimitNames& names, std::uint64_t value) {
  const std::string entry = OciRlimit(names, value);
  // jq 1.6 (Debian 12, Ubuntu 22.04) reads numbers as doubles: above 2^53 it would write a
  // rounded value (18446744073709552000 for unlimited) that containerd cannot read as uint64.
  constexpr std::uint64_t kJqExact = std::uint64_t{1} << 53;
  const std::string write =
      value <= kJqExact
          ? Cat({"ctr oci spec | jq '.process.rlimits = [", entry,
                 "]' > /etc/containerd/cri-base.json"})
          : Cat({"ctr oci spec > /etc/containerd/cri-base.json, then set its process.rlimits to [",
                 entry, "] in an editor (jq 1.6 would round ", OciValue(value), ")"});
  return Cat({"containerd takes it from base_runtime_spec: write a full OCI spec whose "
              "process.rlimits holds only this entry, ",
              write,
              " (ctr oci spec's own RLIMIT_NOFILE 1024:1024 would lower every container's "
              "open-file limit; where a base_runtime_spec is already set, add the entry to its "
              "process.rlimits instead), named by base_runtime_spec = "
              "\"/etc/containerd/cri-base.json\" in "
              "[plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.runc] (containerd "
              "1.x) or [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc] "
              "(containerd 2.x); then restart containerd: containers created after that get it"});
}

// A pod's containers share one containerd shim, started with the pod, which survives a restart
// of containerd (Debian's and upstream's unit say KillMode=process): a new container in a
// running pod inherits the old limit from the shim; only a new pod gets a new shim.
std::string ContainerdServiceLine(const RlimitNames& names, std::uint64_t value) {
  return Cat({DaemonLine(names, value, "containerd.service", "containerd"),
              "; only pods created after the restart get it (a pod's containers inherit it from "
              "the pod's shim, which outlives the restart): delete and recreate running pods"});
}

std::string CrioLine(const RlimitNames& names, std::uint64_t value) {
  if (names.go_units != nullptr) {
    std::string v = GoUnitsValue(value);
    return Cat({"CRI-O takes it from default_ulimits = [\"", names.go_units, "=", v, ":", v,
                "\"] in [crio.runtime] of /etc/crio/crio.conf; then restart crio"});
  }
  return Cat({"CRI-O's default_ulimits cannot name it (docker/go-units rejects \"",
              names.limits_conf, "\"), so ",
              DaemonLine(names, value, "crio.service", "crio")});
}

std::string NriLine(const RlimitNames& names, std::uint64_t value) {
  std::string v = OciValue(value);
  return Cat({"with the NRI ulimit-adjuster plugin on the nodes (containerd 1.7+ or CRI-O with "
              "NRI enabled), annotate the pod with "
              "ulimits.noderesource.dev/container.<container name>: '[{type: ",
              names.oci_type, ", soft: ", v, ", hard: ", v, "}]'"});
}

// dockerd's own default for every container (docs/reference/commandline/dockerd.md,
// "default-ulimits"), for a node where no one types docker run.
std::string DaemonJsonLine(const RlimitNames& names, std::uint64_t value) {
  std::string v = GoUnitsValue(value);
  return Cat({"give every container it: \"default-ulimits\": {\"", names.go_units,
              "\": {\"Name\": \"", names.go_units, "\", \"Hard\": ", v, ", \"Soft\": ", v,
              "}} in /etc/docker/daemon.json, then restart docker"});
}

// KEP-5758's field, for the six it allows and within its ranges; "" where it cannot be said.
// Its -1 means unlimited, except for nofile, where it means 1048576 (types.go).
std::string PodUlimitsLine(const RlimitNames& names, std::uint64_t value) {
  if (names.kubernetes == nullptr) return "";
  if (value == kUnlimited ? names.resource == Resource::kNofile : value > names.kubernetes_max) {
    return "";
  }
  std::string v = GoUnitsValue(value);
  return Cat({"where the cluster has it (KEP-5758: alpha, behind the ContainerUlimits feature "
              "gate, Kubernetes 1.38 at the earliest, and for privileged pods only): "
              "securityContext: {ulimits: [{name: ", names.kubernetes, ", soft: ", v,
              ", hard: ", v, "}]} on this container"});
}

std::string DockerLine(const RlimitNames& names, std::uint64_t value) {
  if (names.go_units != nullptr) {
    std::string v = GoUnitsValue(value);
    return Cat({"run the container with docker run --ulimit ", names.go_units, "=", v, ":", v,
                " (keeping the rest of the command)"});
  }
  return Cat({"Docker cannot set ", names.oci_type,
              " per container (docker run --ulimit and daemon.json default-ulimits reject \"",
              names.limits_conf, "\": docker/go-units); containers inherit it from containerd: ",
              DaemonLine(names, value, "containerd.service docker.service", "both"),
              " (start the container again)"});
}

Advice KubernetesHardLimit(const RlimitNames& names, const AdviceInput& input,
                           std::uint64_t needed) {
  std::string no_field =
      Cat({"Kubernetes has no pod field for ", names.oci_type,
           names.kubernetes == nullptr ? " (kubernetes/kubernetes#3595; the coming "
                                         "securityContext.ulimits, KEP-5758, excludes it); on "
                                         "the node, "
                                       : " in any released version (kubernetes/kubernetes#3595)"
                                         "; on the node, "});
  Advice advice;
  switch (input.layer.runtime) {
    case Runtime::kCrio:
      advice.push_back(no_field + CrioLine(names, needed));
      advice.push_back(NriLine(names, needed));
      break;
    case Runtime::kDocker:
      // kubelet, not a user, runs the container: dockerd's default is the setting.
      advice.push_back(no_field + (names.go_units != nullptr ? DaemonJsonLine(names, needed)
                                                             : DockerLine(names, needed)));
      break;
    case Runtime::kPodman:
      return PodmanHardLimit(names, input, needed);
    case Runtime::kContainerd:
    case Runtime::kUnknown:
      advice.push_back(no_field + ContainerdLine(names, needed));
      advice.push_back(input.layer.runtime == Runtime::kUnknown
                           ? CrioLine(names, needed)
                           : ContainerdServiceLine(names, needed));
      advice.push_back(NriLine(names, needed));
      break;
  }
  if (std::string pod = PodUlimitsLine(names, needed); !pod.empty()) advice.push_back(pod);
  advice.push_back(RaiseHardLine(
      names, "(runAsUser: 0) with securityContext.capabilities.add: [\"SYS_RESOURCE\"]"));
  return advice;
}

Advice ContainerHardLimit(const RlimitNames& names, std::uint64_t needed) {
  Advice advice;
  advice.push_back(Cat({"the container's OCI spec sets it: put ", OciRlimit(names, needed),
                        " in process.rlimits of its config.json (runc) or of the spec given to "
                        "containerd"}));
  advice.push_back(DaemonLine(names, needed, "containerd.service", "containerd"));
  return advice;
}

Advice SystemdHardLimit(const RlimitNames& names, const AdviceInput& input,
                        std::uint64_t needed) {
  std::string_view unit = input.layer.unit;
  if (unit.empty()) unit = "UNIT";
  std::string setting = SystemdSetting(names, needed);
  Advice advice;
  advice.push_back(Cat({"set ", setting, " in the [Service] section of ", unit,
                        " or a drop-in (systemctl edit ", unit,
                        "), then restart it; systemctl show -p ", names.systemd, " ", unit,
                        " shows the value now"}));
  advice.push_back(Cat({"set Default", setting,
                        " in /etc/systemd/system.conf (then systemctl daemon-reexec) for every "
                        "unit that sets no ",
                        names.systemd, "= of its own"}));
  return advice;
}

// The value as limits.conf(5) counts it: KiB as ulimit does, except cpu in minutes and nice
// as a nice value (-20..19, 20 minus the limit); with the unit said after it.
std::string LimitsConfValue(const RlimitNames& names, std::uint64_t value) {
  if (value == kUnlimited) return "unlimited\"";
  if (names.resource == Resource::kCpu) {
    return std::to_string(value / 60 + (value % 60 != 0)) + "\", in minutes";
  }
  if (names.resource == Resource::kNice) {
    return std::to_string(20 - static_cast<int>(value)) + "\", a nice value: 20 minus the limit";
  }
  return UlimitValue(names, value) + (names.ulimit_unit == 1024 ? "\", in KiB" : "\"");
}

Advice ShellHardLimit(const RlimitNames& names, std::uint64_t needed) {
  std::string ulimit = UlimitValue(names, needed);
  std::string prlimit = needed == kUnlimited ? "unlimited" : OciValue(needed);
  Advice advice;
  advice.push_back(Cat({"only root can raise a hard limit: as root, run ulimit -H",
                        names.ulimit_option + 1, " ", ulimit,
                        " in the shell that starts the job, or start it with prlimit ",
                        names.prlimit_option, "=", prlimit, ":", prlimit, " COMMAND"}));
  // pam_limits has no rttime item (limits.conf(5)).
  if (names.limits_conf == nullptr) return advice;
  advice.push_back(Cat({"raise the \"", names.limits_conf,
                        "\" item of /etc/security/limits.conf (\"USER hard ", names.limits_conf,
                        " ", LimitsConfValue(names, needed),
                        ") and log in again, and remove any ulimit ", names.ulimit_option,
                        " from shell profiles and wrappers"}));
  return advice;
}

std::string ShellMemoryLimit(std::string_view bytes, const CgroupMemory& cgroup) {
  if (cgroup.limit_source.empty()) return "give the job more memory";
  if (cgroup.limit_from_hierarchy_stat) {
    return Cat({"the limit is set on an ancestor cgroup this process cannot see (",
                cgroup.limit_source, "): raise it to at least ", bytes,
                " on the host, in whatever created that cgroup"});
  }
  return Cat({"as root, write ", bytes, " or more to ", cgroup.limit_source,
              ", or start the job outside that cgroup"});
}

}  // namespace

Advice HardLimitAdvice(const RlimitNames& names, const AdviceInput& input, std::uint64_t needed) {
  Advice advice;
  if (input.may_raise_hard && !input.raise_hard) {
    // Real root: the capability is already there, only the policy holds it back.
    advice.push_back(Cat({"this process has CAP_SYS_RESOURCE in the initial user namespace: "
                          "set ",
                          names.policy_section,
                          ".raiseHard: true in the policy and rlimit-init raises the hard "
                          "limit itself"}));
  }
  Advice layer;
  switch (input.layer.layer) {
    case Layer::kKubernetes:
      layer = KubernetesHardLimit(names, input, needed);
      break;
    case Layer::kDocker:
      layer.push_back(DockerLine(names, needed));
      if (names.go_units != nullptr) layer.push_back(DaemonJsonLine(names, needed));
      layer.push_back(RaiseHardLine(names, "with docker run --cap-add=SYS_RESOURCE"));
      break;
    case Layer::kPodman:
      layer = PodmanHardLimit(names, input, needed);
      break;
    case Layer::kSystemd:
      layer = SystemdHardLimit(names, input, needed);
      break;
    case Layer::kSlurm:
      layer = SlurmHardLimit(names, input, needed);
      break;
    case Layer::kContainer:
      layer = ContainerHardLimit(names, needed);
      break;
    case Layer::kShell:
      layer = ShellHardLimit(names, needed);
      break;
  }
  for (std::size_t i = 0; i < layer.size(); ++i) {
    advice.push_back(std::move(layer[i]));
    // Right after the fix that raises the layer's address-space cap, the cap it usually means.
    if (i == 0 && names.resource == Resource::kAs) {
      if (std::string data = DataCapLine(input, needed); !data.empty()) {
        advice.push_back(std::move(data));
      }
    }
  }
  if (names.note != nullptr) advice.push_back(names.note);
  return advice;
}

Advice MemoryLimitAdvice(const AdviceInput& input, std::uint64_t needed,
                         const CgroupMemory& cgroup) {
  std::string bytes = std::to_string(needed);
  std::string_view unit = input.layer.unit;
  if (unit.empty()) unit = "UNIT";
  Advice advice;
  switch (input.layer.layer) {
    case Layer::kKubernetes:
      advice.push_back(Cat({"raise resources.limits.memory of this container to at least ",
                            ToQuantity(needed),
                            " (a LimitRange or ResourceQuota in the namespace may cap it)"}));
      break;
    case Layer::kDocker:
      advice.push_back(Cat({"run the container with docker run --memory=", bytes,
                            " (keeping the rest of the command)"}));
      break;
    case Layer::kPodman:
      return PodmanMemoryLimit(input, needed, cgroup);
    case Layer::kSystemd:
      advice.push_back(Cat({"set MemoryMax=", bytes, " in the [Service] section of ", unit,
                            " or a drop-in (systemctl edit ", unit,
                            "), then restart it (systemd writes it to memory.limit_in_bytes on "
                            "cgroup v1)"}));
      break;
    case Layer::kSlurm:
      return SlurmMemoryLimit(input, needed, cgroup);
    case Layer::kContainer:
      advice.push_back(Cat({"set linux.resources.memory.limit to at least ", bytes,
                            " in the container's config.json (runc)"}));
      advice.push_back(Cat({"raise it on the running container from the host: runc update "
                            "--memory ",
                            bytes, " CONTAINER"}));
      break;
    case Layer::kShell:
      advice.push_back(ShellMemoryLimit(bytes, cgroup));
      break;
  }
  return advice;
}

std::string UnknownLimitAdvice(const CgroupMemory& cgroup) {
  // Only a cgroup that no mount shows has its path and no directory.
  if (!cgroup.cgroup_path.empty()) {
    return "mount the cgroup hierarchy so that it shows cgroup " + cgroup.cgroup_path +
           ", at a root that is that cgroup or an ancestor of it (a cgroup namespace of the "
           "job's own with its own cgroup mount gives that), or start the job in a cgroup the "
           "mount shows";
  }
  return "let rlimit-init read the job's memory cgroup: mount /proc, and the cgroup filesystem "
         "that has the memory controller (cgroup2, or cgroup v1's memory hierarchy) at a root "
         "that shows the job's cgroup";
}

}  // namespace rlimit_init

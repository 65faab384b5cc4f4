// SPDX-License-Identifier: Apache-2.0
#include "observe/layer.h"

#include <string_view>

#include "base/text.h"
#include "os/system.h"

namespace rlimit_init {
namespace {

bool Contains(std::string_view haystack, std::string_view needle) {
  return haystack.find(needle) != std::string_view::npos;
}

bool EndsWith(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

std::string_view LastComponent(std::string_view path) {
  std::size_t slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

// A container id as containerd and Docker make them: 64 lowercase hex digits.
bool IsContainerId(std::string_view name) {
  if (name.size() != 64) return false;
  for (char c : name) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

}  // namespace

Runtime RuntimeFromCgroupPath(const std::string& cgroup_path) {
  std::string_view leaf = LastComponent(cgroup_path);
  if (leaf.substr(0, 15) == "cri-containerd-") return Runtime::kContainerd;
  if (leaf.substr(0, 5) == "crio-") return Runtime::kCrio;
  if (leaf.substr(0, 7) == "docker-" || Contains(cgroup_path, "/docker/")) {
    return Runtime::kDocker;
  }
  if (leaf.substr(0, 7) == "libpod-") return Runtime::kPodman;
  // With the cgroupfs driver containerd (and cri-dockerd) name a container's cgroup by its bare
  // 64-hex id under the pod's; CRI-O names it crio-ID (above).
  if (Contains(cgroup_path, "kubepods") && IsContainerId(leaf)) return Runtime::kContainerd;
  return Runtime::kUnknown;
}

DetectedLayer DetectLayer(const LayerHints& hints) {
  const std::string& path = hints.cgroup_path;
  Runtime runtime = RuntimeFromCgroupPath(path);
  DetectedLayer d{Layer::kShell, LayerEvidence::kNothing, runtime, "", ""};
  if (hints.slurm_env) {
    d.layer = Layer::kSlurm;
    d.evidence = LayerEvidence::kSlurmEnv;
  } else if (hints.kubernetes_env || Contains(path, "kubepods")) {
    d.layer = Layer::kKubernetes;
    d.evidence =
        hints.kubernetes_env ? LayerEvidence::kKubernetesEnv : LayerEvidence::kKubepodsPath;
    if (!hints.kubernetes_env) d.evidence_path = path;
  } else if (hints.containerenv) {
    d.layer = Layer::kPodman;
    d.evidence = LayerEvidence::kContainerenv;
  } else if (hints.dockerenv) {
    d.layer = Layer::kDocker;
    d.evidence = LayerEvidence::kDockerenv;
  } else if (runtime == Runtime::kDocker || runtime == Runtime::kPodman) {
    d.layer = runtime == Runtime::kDocker ? Layer::kDocker : Layer::kPodman;
    d.evidence = LayerEvidence::kEngineCgroup;
    d.evidence_path = path;
  } else if (runtime != Runtime::kUnknown) {
    // Only the CRI plugins of containerd and CRI-O name scopes so, and only for Kubernetes.
    d.layer = Layer::kKubernetes;
    d.evidence = LayerEvidence::kCriCgroup;
    d.evidence_path = path;
  } else if (!hints.masked_proc.empty()) {
    d.layer = Layer::kContainer;
    d.evidence = LayerEvidence::kMaskedProc;
    d.evidence_path = hints.masked_proc;
  } else if (EndsWith(path, ".service")) {
    d.layer = Layer::kSystemd;
    d.evidence = LayerEvidence::kServiceCgroup;
    d.evidence_path = path;
    d.unit = LastComponent(path);
  } else if (hints.systemd_env) {
    d.layer = Layer::kSystemd;
    d.evidence = LayerEvidence::kInvocationEnv;
  }
  return d;
}

LayerHints ReadLayerHints(System& system, const std::string& cgroup_path) {
  LayerHints hints;
  hints.kubernetes_env = system.GetEnv("KUBERNETES_SERVICE_HOST") != nullptr;
  hints.slurm_env = system.GetEnv("SLURM_JOB_ID") != nullptr;
  hints.systemd_env = system.GetEnv("INVOCATION_ID") != nullptr;
  hints.dockerenv = system.HostPathExists("/.dockerenv");
  hints.containerenv = system.HostPathExists("/run/.containerenv");
  hints.cgroup_path = cgroup_path;
  if (!hints.kubernetes_env && !hints.slurm_env && !hints.dockerenv && !hints.containerenv) {
    // Only read when nothing else named the layer: mountinfo is long on a host.
    ReadResult mounts = system.ReadHostFile("/proc/self/mountinfo");
    // One pass over the mount points under /proc: a host's mountinfo can be long.
    const std::string_view data = mounts.ok ? std::string_view(mounts.data) : "";
    for (std::size_t at = data.find(" /proc/"); at != std::string_view::npos &&
                                                 hints.masked_proc.empty();
         at = data.find(" /proc/", at + 1)) {
      const std::string_view rest = data.substr(at + 7);
      for (std::string_view name : {"kcore ", "keys ", "timer_list "}) {
        if (rest.substr(0, name.size()) == name) {
          hints.masked_proc = Cat({"/proc/", name.substr(0, name.size() - 1)});
          break;
        }
      }
    }
  }
  return hints;
}

const char* LayerName(Layer layer) {
  switch (layer) {
    case Layer::kKubernetes:
      return "Kubernetes";
    case Layer::kDocker:
      return "Docker";
    case Layer::kPodman:
      return "Podman";
    case Layer::kSystemd:
      return "systemd";
    case Layer::kSlurm:
      return "Slurm";
    case Layer::kContainer:
      return "container";
    case Layer::kShell:
      return "shell";
  }
  return "";
}

const char* RuntimeName(Runtime runtime) {
  switch (runtime) {
    case Runtime::kUnknown:
      return "";
    case Runtime::kContainerd:
      return "containerd";
    case Runtime::kCrio:
      return "CRI-O";
    case Runtime::kDocker:
      return "Docker";
    case Runtime::kPodman:
      return "Podman";
  }
  return "";
}

}  // namespace rlimit_init

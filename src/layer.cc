// SPDX-License-Identifier: Apache-2.0
#include "layer.h"

#include <string_view>

#include "system.h"

namespace rlimit_init {
namespace {

bool Contains(std::string_view haystack, std::string_view needle) {
  return haystack.find(needle) != std::string_view::npos;
}

bool EndsWith(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

}  // namespace

DetectedLayer DetectLayer(const LayerHints& hints) {
  if (hints.slurm_env) return {Layer::kSlurm, "SLURM_JOB_ID is set"};
  if (hints.kubernetes_env) return {Layer::kKubernetes, "KUBERNETES_SERVICE_HOST is set"};
  if (Contains(hints.cgroup_path, "kubepods")) {
    return {Layer::kKubernetes, "cgroup path " + hints.cgroup_path + " is under kubepods"};
  }
  if (hints.containerenv) return {Layer::kPodman, "/run/.containerenv exists"};
  if (hints.dockerenv) return {Layer::kDocker, "/.dockerenv exists"};
  if (Contains(hints.cgroup_path, "/docker")) {
    return {Layer::kDocker, "cgroup path " + hints.cgroup_path + " is a Docker cgroup"};
  }
  if (Contains(hints.cgroup_path, "libpod")) {
    return {Layer::kPodman, "cgroup path " + hints.cgroup_path + " is a Podman cgroup"};
  }
  if (EndsWith(hints.cgroup_path, ".service") || EndsWith(hints.cgroup_path, ".scope")) {
    return {Layer::kSystemd, "cgroup path " + hints.cgroup_path + " is a systemd unit"};
  }
  if (hints.systemd_env) return {Layer::kSystemd, "INVOCATION_ID is set"};
  return {Layer::kShell, "no container, scheduler or service manager detected"};
}

LayerHints ReadLayerHints(System& system, const std::string& cgroup_path) {
  LayerHints hints;
  hints.kubernetes_env = system.GetEnv("KUBERNETES_SERVICE_HOST") != nullptr;
  hints.slurm_env = system.GetEnv("SLURM_JOB_ID") != nullptr;
  hints.systemd_env = system.GetEnv("INVOCATION_ID") != nullptr;
  hints.dockerenv = system.HostPathExists("/.dockerenv");
  hints.containerenv = system.HostPathExists("/run/.containerenv");
  hints.cgroup_path = cgroup_path;
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
    case Layer::kShell:
      return "shell";
  }
  return "";
}

}  // namespace rlimit_init

// SPDX-License-Identifier: Apache-2.0
// Which layer of the stack most likely set the limits rlimit-init finds, so that a refusal can
// lead with the setting to change there.
#pragma once

#include <string>

namespace rlimit_init {

class System;

enum class Layer { kKubernetes, kDocker, kPodman, kSystemd, kSlurm, kShell };

/// What points at a layer. Filled from the environment, marker files and the cgroup path.
struct LayerHints {
  bool kubernetes_env = false;  // KUBERNETES_SERVICE_HOST is set
  bool dockerenv = false;       // /.dockerenv exists
  bool containerenv = false;    // /run/.containerenv exists (Podman)
  bool slurm_env = false;       // SLURM_JOB_ID is set
  bool systemd_env = false;     // INVOCATION_ID is set (systemd sets it for every unit)
  std::string cgroup_path;      // from /proc/self/cgroup
};

struct DetectedLayer {
  Layer layer = Layer::kShell;
  std::string evidence;  // e.g. "KUBERNETES_SERVICE_HOST is set"
};

/// Pure: the most specific layer the hints point at. Slurm wins over a container because Slurm
/// is what propagates the submit host's limits into it.
DetectedLayer DetectLayer(const LayerHints& hints);

/// Reads the hints through `system`.
LayerHints ReadLayerHints(System& system, const std::string& cgroup_path);

/// "Kubernetes", "Docker", ...
const char* LayerName(Layer layer);

}  // namespace rlimit_init

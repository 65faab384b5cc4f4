// SPDX-License-Identifier: Apache-2.0
// Which layer of the stack most likely set the limits rlimit-init finds, so that a refusal can
// lead with the setting to change there.
#pragma once

#include <string>

namespace rlimit_init {

class System;

/// kContainer: an OCI container that no engine marks as its own (a bare runc or containerd
/// container): what sets its limits is its OCI spec.
enum class Layer { kKubernetes, kDocker, kPodman, kSystemd, kSlurm, kContainer, kShell };

/// The runtime that made the container, where the cgroup path names it: systemd cgroup
/// drivers name the container's scope "cri-containerd-ID.scope", "crio-ID.scope",
/// "docker-ID.scope" or "libpod-ID.scope"; under cgroupfs CRI-O names it crio-ID and
/// containerd (or cri-dockerd) by the bare 64-hex id below kubepods.
enum class Runtime { kUnknown, kContainerd, kCrio, kDocker, kPodman };

/// What points at a layer. Filled from the environment, marker files and the cgroup path.
struct LayerHints {
  bool kubernetes_env = false;  // KUBERNETES_SERVICE_HOST is set
  bool dockerenv = false;       // /.dockerenv exists
  bool containerenv = false;    // /run/.containerenv exists (Podman)
  bool slurm_env = false;       // SLURM_JOB_ID is set
  bool systemd_env = false;     // INVOCATION_ID is set (systemd sets it for every unit)
  /// The first of /proc/kcore, /proc/keys, /proc/timer_list that is a mount point, or "": OCI
  /// runtimes (runc, crun) bind /dev/null over the files of the spec's maskedPaths, which runc
  /// spec, containerd, Docker, Podman and CRI-O all fill with these three; a file the kernel
  /// lacks is not masked (a kernel without CONFIG_PROC_KCORE has no /proc/kcore).
  std::string masked_proc;
  std::string cgroup_path;      // from /proc/self/cgroup
};

/// What pointed at the layer, the first of LayerHints that DetectLayer found; report/wording.cc
/// words it.
enum class LayerEvidence {
  kNothing,        // no container, scheduler or service manager: the shell
  kSlurmEnv,       // SLURM_JOB_ID is set
  kKubernetesEnv,  // KUBERNETES_SERVICE_HOST is set
  kKubepodsPath,   // the cgroup path is under kubepods
  kContainerenv,   // /run/.containerenv exists
  kDockerenv,      // /.dockerenv exists
  kEngineCgroup,   // the cgroup path is a Docker or Podman cgroup
  kCriCgroup,      // the cgroup path is a containerd or CRI-O CRI container
  kMaskedProc,     // a file of /proc is masked, as OCI runtimes do for containers
  kServiceCgroup,  // the cgroup path is a systemd service
  kInvocationEnv,  // INVOCATION_ID is set
};

struct DetectedLayer {
  Layer layer = Layer::kShell;
  LayerEvidence evidence = LayerEvidence::kNothing;
  Runtime runtime = Runtime::kUnknown;
  std::string unit;  // kSystemd: the unit named by the cgroup path, e.g. "batch.service"
  /// The cgroup path, or the masked file (kMaskedProc), that the evidence names; "" when it
  /// names none.
  std::string evidence_path;
};

/// Pure: the most specific layer the hints point at. Slurm wins over a container because Slurm
/// is what propagates the submit host's limits into it.
DetectedLayer DetectLayer(const LayerHints& hints);

/// Reads the hints through `system`.
LayerHints ReadLayerHints(System& system, const std::string& cgroup_path);

/// Pure: the runtime the cgroup path names, from the last scope or directory that names one.
Runtime RuntimeFromCgroupPath(const std::string& cgroup_path);

/// "Kubernetes", "Docker", ...
const char* LayerName(Layer layer);

/// "containerd", "CRI-O", "Docker", "Podman"; "" for kUnknown.
const char* RuntimeName(Runtime runtime);

}  // namespace rlimit_init

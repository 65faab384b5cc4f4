// SPDX-License-Identifier: Apache-2.0
#include "layer.h"

#include <gtest/gtest.h>

#include "fake_system.h"

namespace rlimit_init {
namespace {

TEST(Layer, SlurmWinsBecauseItPropagatesLimitsIntoContainers) {
  LayerHints h;
  h.slurm_env = true;
  h.kubernetes_env = true;
  h.dockerenv = true;
  DetectedLayer d = DetectLayer(h);
  EXPECT_EQ(d.layer, Layer::kSlurm);
  EXPECT_EQ(d.evidence, "SLURM_JOB_ID is set");
}

TEST(Layer, KubernetesFromEnvironmentOrCgroupPath) {
  LayerHints h;
  h.kubernetes_env = true;
  h.dockerenv = true;
  EXPECT_EQ(DetectLayer(h).evidence, "KUBERNETES_SERVICE_HOST is set");
  LayerHints p;
  p.cgroup_path = "/kubepods.slice/kubepods-burstable.slice/cri-containerd-1.scope";
  DetectedLayer d = DetectLayer(p);
  EXPECT_EQ(d.layer, Layer::kKubernetes);
  EXPECT_EQ(d.evidence, "cgroup path "
                        "/kubepods.slice/kubepods-burstable.slice/cri-containerd-1.scope is "
                        "under kubepods");
}

TEST(Layer, ContainerEnginesFromMarkerFilesOrCgroupPath) {
  LayerHints docker;
  docker.dockerenv = true;
  EXPECT_EQ(DetectLayer(docker).layer, Layer::kDocker);
  LayerHints docker_path;
  docker_path.cgroup_path = "/docker/0123abcd";
  EXPECT_EQ(DetectLayer(docker_path).evidence, "cgroup path /docker/0123abcd is a Docker cgroup");
  LayerHints podman;
  podman.containerenv = true;
  podman.dockerenv = true;
  EXPECT_EQ(DetectLayer(podman).layer, Layer::kPodman);
  LayerHints libpod;
  libpod.cgroup_path = "/machine.slice/libpod-1234.scope";
  EXPECT_EQ(DetectLayer(libpod).layer, Layer::kPodman);
}

TEST(Layer, SystemdFromUnitCgroupOrInvocationId) {
  LayerHints unit;
  unit.cgroup_path = "/system.slice/batch.service";
  DetectedLayer d = DetectLayer(unit);
  EXPECT_EQ(d.layer, Layer::kSystemd);
  EXPECT_EQ(d.evidence, "cgroup path /system.slice/batch.service is a systemd unit");
  LayerHints env;
  env.systemd_env = true;
  EXPECT_EQ(DetectLayer(env).evidence, "INVOCATION_ID is set");
}

TEST(Layer, ShellWhenNothingElseMatches) {
  DetectedLayer d = DetectLayer(LayerHints{});
  EXPECT_EQ(d.layer, Layer::kShell);
  EXPECT_EQ(d.evidence, "no container, scheduler or service manager detected");
}

TEST(Layer, HintsAreReadThroughTheSystem) {
  FakeSystem system;
  system.env["KUBERNETES_SERVICE_HOST"] = "10.0.0.1";
  system.host_files["/.dockerenv"] = "";
  LayerHints h = ReadLayerHints(system, "/x");
  EXPECT_TRUE(h.kubernetes_env);
  EXPECT_TRUE(h.dockerenv);
  EXPECT_FALSE(h.containerenv);
  EXPECT_FALSE(h.slurm_env);
  EXPECT_FALSE(h.systemd_env);
  EXPECT_EQ(h.cgroup_path, "/x");
}

}  // namespace
}  // namespace rlimit_init

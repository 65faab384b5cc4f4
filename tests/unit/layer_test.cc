// SPDX-License-Identifier: Apache-2.0
#include "observe/layer.h"

#include <gtest/gtest.h>

#include "fake_system.h"
#include "fixture_tree.h"
#include "observe/observe.h"

namespace rlimit_init {
namespace {

TEST(Layer, SlurmWinsBecauseItPropagatesLimitsIntoContainers) {
  LayerHints h;
  h.slurm_env = true;
  h.kubernetes_env = true;
  h.dockerenv = true;
  DetectedLayer d = DetectLayer(h);
  EXPECT_EQ(d.layer, Layer::kSlurm);
  EXPECT_EQ(d.evidence, LayerEvidence::kSlurmEnv);
}

TEST(Layer, KubernetesFromEnvironmentOrCgroupPath) {
  LayerHints h;
  h.kubernetes_env = true;
  h.dockerenv = true;
  EXPECT_EQ(DetectLayer(h).evidence, LayerEvidence::kKubernetesEnv);
  LayerHints p;
  p.cgroup_path = "/kubepods.slice/kubepods-burstable.slice/cri-containerd-1.scope";
  DetectedLayer d = DetectLayer(p);
  EXPECT_EQ(d.layer, Layer::kKubernetes);
  EXPECT_EQ(d.runtime, Runtime::kContainerd);
  EXPECT_EQ(d.evidence, LayerEvidence::kKubepodsPath);
  EXPECT_EQ(d.evidence_path, p.cgroup_path);
}

TEST(Layer, ContainerEnginesFromMarkerFilesOrCgroupPath) {
  LayerHints docker;
  docker.dockerenv = true;
  EXPECT_EQ(DetectLayer(docker).layer, Layer::kDocker);
  LayerHints docker_path;
  docker_path.cgroup_path = "/docker/0123abcd";
  EXPECT_EQ(DetectLayer(docker_path).evidence, LayerEvidence::kEngineCgroup);
  EXPECT_EQ(DetectLayer(docker_path).evidence_path, "/docker/0123abcd");
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
  EXPECT_EQ(d.evidence, LayerEvidence::kServiceCgroup);
  EXPECT_EQ(d.evidence_path, "/system.slice/batch.service");
  EXPECT_EQ(d.unit, "batch.service");
  LayerHints env;
  env.systemd_env = true;
  EXPECT_EQ(DetectLayer(env).evidence, LayerEvidence::kInvocationEnv);
}

TEST(Layer, RuntimeFromTheContainerScopeName) {
  struct Row {
    const char* path;
    Runtime runtime;
  };
  const Row rows[] = {
      {"/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod1.slice/"
       "cri-containerd-0123.scope",
       Runtime::kContainerd},
      {"/kubepods.slice/kubepods-pod1.slice/crio-0123.scope", Runtime::kCrio},
      {"/kubepods/burstable/pod1/crio-0123", Runtime::kCrio},  // CRI-O under cgroupfs
      {"/system.slice/docker-0123.scope", Runtime::kDocker},
      {"/docker/0123", Runtime::kDocker},
      {"/machine.slice/libpod-0123.scope", Runtime::kPodman},
      {"/kubepods/burstable/pod1/0123", Runtime::kUnknown},  // not a container id
      // containerd (or cri-dockerd) under cgroupfs: the bare id, copied from a CRI container.
      {"/kubepods/burstable/pod39f2a80c-6d73-4ed3-9da7-d45083cf5594/"
       "36a22a2b0411d5733f5c0db1aeb82129be288adc275c8b5dbf077722d9dc22c0",
       Runtime::kContainerd},
      {"/36a22a2b0411d5733f5c0db1aeb82129be288adc275c8b5dbf077722d9dc22c0",
       Runtime::kUnknown},  // an id outside kubepods: no CRI container
      {"/system.slice/docker.service", Runtime::kUnknown},  // dockerd itself
      {"/", Runtime::kUnknown},
  };
  for (const Row& row : rows) EXPECT_EQ(RuntimeFromCgroupPath(row.path), row.runtime) << row.path;
}

TEST(Layer, KubernetesNamesTheRuntimeInItsEvidence) {
  LayerHints h;
  h.kubernetes_env = true;
  h.cgroup_path = "/kubepods.slice/kubepods-pod1.slice/crio-0123.scope";
  DetectedLayer d = DetectLayer(h);
  EXPECT_EQ(d.layer, Layer::kKubernetes);
  EXPECT_EQ(d.runtime, Runtime::kCrio);
  EXPECT_EQ(d.evidence, LayerEvidence::kKubernetesEnv);
  LayerHints scope;  // a CRI scope outside kubepods, without the environment
  scope.cgroup_path = "/system.slice/cri-containerd-0123.scope";
  EXPECT_EQ(DetectLayer(scope).evidence, LayerEvidence::kCriCgroup);
  EXPECT_EQ(DetectLayer(scope).runtime, Runtime::kContainerd);
  EXPECT_EQ(DetectLayer(scope).evidence_path, "/system.slice/cri-containerd-0123.scope");
}

// A CRI container whose /sys/fs/cgroup shows no cgroup filesystem (tree copied from one under
// containerd 1.6): the memory limit is unknown, but /proc/self/cgroup still names kubepods and
// the bare container id, so the layer is Kubernetes on containerd, not a bare container.
TEST(Layer, CriContainerWithoutACgroupMountIsReadFromProcSelfCgroup) {
  FakeSystem system;
  ASSERT_TRUE(LoadFixtureTree("v1-containerd-cri-no-cgroup-mount", &system));
  Observed observed = Observe(system, LimitPair{});
  EXPECT_EQ(observed.cgroup.unknown, CgroupNote{V1NotMountedNote{}});
  EXPECT_EQ(observed.layer.layer, Layer::kKubernetes);
  EXPECT_EQ(observed.layer.runtime, Runtime::kContainerd);
  EXPECT_EQ(observed.layer.evidence, LayerEvidence::kKubepodsPath);
  EXPECT_EQ(observed.layer.evidence_path,
            "/rlimit-init-cri-test-14923-95ba5e/kubepods/burstable/"
            "pod39f2a80c-6d73-4ed3-9da7-d45083cf5594/"
            "36a22a2b0411d5733f5c0db1aeb82129be288adc275c8b5dbf077722d9dc22c0");
}

TEST(Layer, DockerScopeIsDockerNotSystemd) {
  LayerHints h;
  h.cgroup_path = "/system.slice/docker-0123.scope";
  DetectedLayer d = DetectLayer(h);
  EXPECT_EQ(d.layer, Layer::kDocker);
  EXPECT_EQ(d.evidence, LayerEvidence::kEngineCgroup);
}

TEST(Layer, BareOciContainerFromMaskedProc) {
  // A runc or containerd container without an engine's marker file used to be "shell", and was
  // told to write to its cgroup as root.
  LayerHints h;
  h.masked_proc = "/proc/kcore";
  h.cgroup_path = "/default/job-1";
  DetectedLayer d = DetectLayer(h);
  EXPECT_EQ(d.layer, Layer::kContainer);
  EXPECT_EQ(d.evidence, LayerEvidence::kMaskedProc);
  EXPECT_EQ(d.evidence_path, "/proc/kcore");
  EXPECT_EQ(LayerName(d.layer), std::string("container"));
}

TEST(Layer, LoginSessionScopeIsAShell) {
  LayerHints h;
  h.cgroup_path = "/user.slice/user-1000.slice/session-3.scope";
  EXPECT_EQ(DetectLayer(h).layer, Layer::kShell);
}

TEST(Layer, ShellWhenNothingElseMatches) {
  DetectedLayer d = DetectLayer(LayerHints{});
  EXPECT_EQ(d.layer, Layer::kShell);
  EXPECT_EQ(d.evidence, LayerEvidence::kNothing);
  EXPECT_EQ(d.evidence_path, "");
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
  EXPECT_EQ(h.masked_proc, "");  // not read: the environment already names the layer
}

TEST(Layer, MaskedProcIsReadFromMountinfoOnlyWithoutOtherHints) {
  FakeSystem system;
  // The line runc writes for maskedPaths' /proc/kcore (copied from a runc container).
  system.host_files["/proc/self/mountinfo"] =
      "616 615 0:98 / / rw,relatime - overlay overlay rw\n"
      "640 617 0:6 /null /proc/kcore rw,nosuid - devtmpfs devtmpfs rw,mode=755\n";
  EXPECT_EQ(ReadLayerHints(system, "/x").masked_proc, "/proc/kcore");
  system.host_files["/.dockerenv"] = "";
  EXPECT_EQ(ReadLayerHints(system, "/x").masked_proc, "");
  FakeSystem host;
  host.host_files["/proc/self/mountinfo"] = "26 1 254:0 / / rw,relatime - ext4 /dev/vda rw\n";
  EXPECT_EQ(ReadLayerHints(host, "/x").masked_proc, "");
}

TEST(Layer, MaskedKeysTellAContainerOnAKernelWithoutKcore) {
  // A kernel built without CONFIG_PROC_KCORE has no /proc/kcore, and runc masks only what
  // exists: its container still has /proc/keys masked (runc 1.1.5 on this project's
  // development VM, whose kernel has no /proc/kcore).
  FakeSystem system;
  system.host_files["/proc/self/mountinfo"] =
      "267 284 0:44 /null /proc/keys rw,nosuid - tmpfs tmpfs rw,size=65536k,mode=755\n"
      "268 284 0:44 /null /proc/timer_list rw,nosuid - tmpfs tmpfs rw,size=65536k,mode=755\n";
  LayerHints h = ReadLayerHints(system, "/x");
  EXPECT_EQ(h.masked_proc, "/proc/keys");
  EXPECT_EQ(DetectLayer(h).evidence, LayerEvidence::kMaskedProc);
  EXPECT_EQ(DetectLayer(h).evidence_path, "/proc/keys");
}

}  // namespace
}  // namespace rlimit_init

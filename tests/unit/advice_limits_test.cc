// SPDX-License-Identifier: Apache-2.0
// The fix lines for every rlimit but the address space, from the rows of limit_names.cc: each
// layer names the resource the way its tool does, in the tool's unit. The exact lines for all
// fifteen resources in every layer are asserted on the real binary by
// tests/integration/test_rlimits_advice.py, and each is checked against its tool there.
#include <gtest/gtest.h>

#include "advice/advice.h"
#include "advice/limit_names.h"

namespace rlimit_init {
namespace {

constexpr std::uint64_t kMi = 1024ull * 1024;

AdviceInput On(Layer layer, Runtime runtime = Runtime::kUnknown, std::string unit = "") {
  AdviceInput input;
  input.layer = {layer, LayerEvidence::kNothing, runtime, std::move(unit)};
  return input;
}

Advice Hard(Resource resource, const AdviceInput& input, std::uint64_t needed) {
  return HardLimitAdvice(NamesOf(resource), input, needed);
}

const char kPodCapability[] =
    "run the container as root (runAsUser: 0) with securityContext.capabilities.add: "
    "[\"SYS_RESOURCE\"] and set limits.nofile.raiseHard: true, with user: to drop root before "
    "exec; rlimit-init then raises the hard limit itself";

TEST(AdviceLimits, EveryRowNamesItsOwnResource) {
  for (const ResourceRow& row : kResources) {
    const RlimitNames& names = NamesOf(row.resource);
    EXPECT_EQ(names.resource, row.resource) << row.name;
    EXPECT_EQ(names.oci_type, row.kernel_name) << row.name;
    EXPECT_EQ(names.systemd, row.systemd) << row.name;
    EXPECT_EQ(names.ulimit_option[1], row.ulimit_flag) << row.name;
    EXPECT_EQ(names.ulimit_unit, row.ulimit_scale) << row.name;
    EXPECT_EQ(names.go_units != nullptr, row.docker) << row.name;
    EXPECT_EQ(names.kubernetes != nullptr, row.kubernetes) << row.name;
    EXPECT_EQ(names.kubernetes_max != 0, row.kubernetes) << row.name;
  }
}

TEST(AdviceLimits, KubernetesOnCrioNamesDefaultUlimitsThenThePodField) {
  EXPECT_EQ(Hard(Resource::kNofile, On(Layer::kKubernetes, Runtime::kCrio), 65536),
            (Advice{"Kubernetes has no pod field for RLIMIT_NOFILE in any released version "
                    "(kubernetes/kubernetes#3595); on the node, CRI-O takes it from "
                    "default_ulimits = [\"nofile=65536:65536\"] in [crio.runtime] of "
                    "/etc/crio/crio.conf; then restart crio",
                    "with the NRI ulimit-adjuster plugin on the nodes (containerd 1.7+ or CRI-O "
                    "with NRI enabled), annotate the pod with "
                    "ulimits.noderesource.dev/container.<container name>: '[{type: "
                    "RLIMIT_NOFILE, soft: 65536, hard: 65536}]'",
                    "where the cluster has it (KEP-5758: alpha, behind the ContainerUlimits "
                    "feature gate, Kubernetes 1.38 at the earliest, and for privileged pods "
                    "only): securityContext: {ulimits: [{name: nofile, soft: 65536, hard: "
                    "65536}]} on this container",
                    kPodCapability}));
}

TEST(AdviceLimits, ThePodFieldIsLeftOutWhereKep5758WouldRejectTheValue) {
  auto has_pod_field = [](Resource resource, std::uint64_t value) {
    for (const std::string& line : Hard(resource, On(Layer::kKubernetes), value)) {
      if (line.find("securityContext: {ulimits") != std::string::npos) return true;
    }
    return false;
  };
  EXPECT_TRUE(has_pod_field(Resource::kNofile, 65536));
  EXPECT_FALSE(has_pod_field(Resource::kNofile, 65537));     // types.go: nofile 256-65536
  EXPECT_FALSE(has_pod_field(Resource::kNofile, kUnlimited));  // its -1 is 1048576
  EXPECT_TRUE(has_pod_field(Resource::kMemlock, kUnlimited));  // -1: unlimited
  EXPECT_FALSE(has_pod_field(Resource::kStack, (16 << 10) * kMi + 1));
  EXPECT_TRUE(has_pod_field(Resource::kNice, 40));
  EXPECT_FALSE(has_pod_field(Resource::kNproc, 100));  // not one of KEP-5758's six
}

TEST(AdviceLimits, KubernetesOnDockerNamesDockerdsDefaultUlimits) {
  EXPECT_EQ(Hard(Resource::kMemlock, On(Layer::kKubernetes, Runtime::kDocker), kUnlimited)[0],
            "Kubernetes has no pod field for RLIMIT_MEMLOCK in any released version "
            "(kubernetes/kubernetes#3595); on the node, give every container it: "
            "\"default-ulimits\": {\"memlock\": {\"Name\": \"memlock\", \"Hard\": -1, \"Soft\": "
            "-1}} in /etc/docker/daemon.json, then restart docker");
}

TEST(AdviceLimits, DockerNamesTheUlimitFlagInBytes) {
  Advice advice = Hard(Resource::kStack, On(Layer::kDocker), 64 * kMi);
  ASSERT_EQ(advice.size(), 3u);
  EXPECT_EQ(advice[0],
            "run the container with docker run --ulimit stack=67108864:67108864 (keeping the "
            "rest of the command)");
}

TEST(AdviceLimits, ShellCountsLimitsConfInItsOwnUnits) {
  EXPECT_EQ(Hard(Resource::kNofile, On(Layer::kShell), 65536)[1],
            "raise the \"nofile\" item of /etc/security/limits.conf (\"USER hard nofile 65536\") "
            "and log in again, and remove any ulimit -n from shell profiles and wrappers");
  EXPECT_EQ(Hard(Resource::kMemlock, On(Layer::kShell), 64 * kMi + 1)[1],
            "raise the \"memlock\" item of /etc/security/limits.conf (\"USER hard memlock "
            "65537\", in KiB) and log in again, and remove any ulimit -l from shell profiles and "
            "wrappers");
  EXPECT_EQ(Hard(Resource::kCpu, On(Layer::kShell), 3601)[1],
            "raise the \"cpu\" item of /etc/security/limits.conf (\"USER hard cpu 61\", in "
            "minutes) and log in again, and remove any ulimit -t from shell profiles and "
            "wrappers");
  EXPECT_EQ(Hard(Resource::kNice, On(Layer::kShell), 30)[1],
            "raise the \"nice\" item of /etc/security/limits.conf (\"USER hard nice -10\", a nice "
            "value: 20 minus the limit) and log in again, and remove any ulimit -e from shell "
            "profiles and wrappers");
  // pam_limits has no rttime item: only the ulimit line.
  EXPECT_EQ(Hard(Resource::kRttime, On(Layer::kShell), 1000),
            (Advice{"only root can raise a hard limit: as root, run ulimit -HR 1000 in the shell "
                    "that starts the job, or start it with prlimit --rttime=1000:1000 COMMAND"}));
}

TEST(AdviceLimits, SlurmSaysWhichLimitsItPropagates) {
  EXPECT_EQ(Hard(Resource::kNofile, On(Layer::kSlurm), 65536),
            (Advice{"the job's hard RLIMIT_NOFILE is slurmd's own, not the submit shell's "
                    "(PropagateResourceLimits passes on only the soft limit, lowered to that "
                    "hard limit): give slurmd a hard limit of at least 65536 and restart it: "
                    "LimitNOFILE=65536 in a drop-in for slurmd.service (systemctl edit slurmd), "
                    "or ulimit -n 65536 in the shell that starts slurmd"}));
  EXPECT_EQ(Hard(Resource::kRtprio, On(Layer::kSlurm), 50),
            (Advice{"the job's RLIMIT_RTPRIO is slurmd's own (PropagateResourceLimits cannot "
                    "name it): give slurmd a hard limit of at least 50 and restart it: "
                    "LimitRTPRIO=50 in a drop-in for slurmd.service (systemctl edit slurmd), or "
                    "ulimit -r 50 in the shell that starts slurmd"}));
}

TEST(AdviceLimits, PodmanNamesUlimitAndContainersConf) {
  EXPECT_EQ(Hard(Resource::kMemlock, On(Layer::kPodman), 8 * kMi),
            (Advice{"run the container with podman run --ulimit memlock=8388608:8388608 (-1 "
                    "means unlimited)",
                    "set default_ulimits = [\"memlock=8388608:8388608\"] in the [containers] "
                    "table of containers.conf for every container"}));
}

TEST(AdviceLimits, NprocAndRssSayWhatHoldsInEveryLayer) {
  Advice nproc = Hard(Resource::kNproc, On(Layer::kDocker), 8192);
  EXPECT_EQ(nproc.back(),
            "nproc counts every process of the job's user ID, in every container and session "
            "that shares that UID, not this container's alone, and root (UID 0) is not held to "
            "it: a UID of the job's own (user: in the policy) keeps other workloads from using "
            "it up");
  EXPECT_EQ(Hard(Resource::kRss, On(Layer::kShell), kMi).back(),
            "RLIMIT_RSS has no effect on Linux (systemd.exec(5)); a cgroup memory limit is what "
            "caps resident memory");
  EXPECT_EQ(Hard(Resource::kNofile, On(Layer::kShell), 8192).size(), 2u);  // no note
}

}  // namespace
}  // namespace rlimit_init

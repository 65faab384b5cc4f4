// SPDX-License-Identifier: Apache-2.0
#include "report/text_report.h"

#include <gtest/gtest.h>

#include "report/json_report.h"
#include "report/wording.h"

namespace rlimit_init {
namespace {

constexpr std::uint64_t kMi = 1024 * 1024;
constexpr std::uint64_t kGi = 1024 * kMi;

struct Scene {
  Policy policy;
  Observed observed;
};

Scene HardLimitScene(Layer layer, LayerEvidence evidence) {
  Scene s;
  s.policy.request = ParseAmount("6Gi", true).value();
  s.policy.request_origin = "addressSpace.request in /etc/rlimit-init/policy.yaml";
  s.observed.limit(Resource::kAs) = {kGi, 2 * kGi};
  s.observed.host.mem_total = 16 * kGi;
  s.observed.layer = {layer, evidence};
  return s;
}

std::string Text(const Scene& s, bool quiet = false) {
  return RenderText(Decide(s.policy, s.observed), s.observed, s.policy, quiet, false);
}

// The words of each kind of evidence for a layer (observe/layer.h finds it, layer_test.cc
// holds which), written once in report/wording.cc.
TEST(LayerEvidenceText, WordsEachEvidence) {
  struct Case {
    DetectedLayer layer;
    std::string text;
  };
  const std::string kPod = "/kubepods/burstable/pod1/crio-0123";
  const Case cases[] = {
      {{Layer::kShell, LayerEvidence::kNothing},
       "no container, scheduler or service manager detected"},
      {{Layer::kSlurm, LayerEvidence::kSlurmEnv}, "SLURM_JOB_ID is set"},
      {{Layer::kKubernetes, LayerEvidence::kKubernetesEnv}, "KUBERNETES_SERVICE_HOST is set"},
      {{Layer::kKubernetes, LayerEvidence::kKubernetesEnv, Runtime::kCrio},
       "KUBERNETES_SERVICE_HOST is set; the cgroup path names CRI-O"},
      {{Layer::kKubernetes, LayerEvidence::kKubepodsPath, Runtime::kUnknown, "", "/kubepods/x"},
       "cgroup path /kubepods/x is under kubepods"},
      {{Layer::kKubernetes, LayerEvidence::kKubepodsPath, Runtime::kCrio, "", kPod},
       "cgroup path " + kPod + " is under kubepods and names CRI-O"},
      {{Layer::kPodman, LayerEvidence::kContainerenv}, "/run/.containerenv exists"},
      {{Layer::kDocker, LayerEvidence::kDockerenv}, "/.dockerenv exists"},
      {{Layer::kDocker, LayerEvidence::kEngineCgroup, Runtime::kDocker, "", "/docker/0123"},
       "cgroup path /docker/0123 is a Docker cgroup"},
      {{Layer::kPodman, LayerEvidence::kEngineCgroup, Runtime::kPodman, "",
        "/machine.slice/libpod-1.scope"},
       "cgroup path /machine.slice/libpod-1.scope is a Podman cgroup"},
      {{Layer::kKubernetes, LayerEvidence::kCriCgroup, Runtime::kContainerd, "",
        "/system.slice/cri-containerd-0123.scope"},
       "cgroup path /system.slice/cri-containerd-0123.scope is a containerd CRI container"},
      {{Layer::kContainer, LayerEvidence::kMaskedProc, Runtime::kUnknown, "", "/proc/keys"},
       "/proc/keys is masked, as OCI runtimes do for containers"},
      {{Layer::kSystemd, LayerEvidence::kServiceCgroup, Runtime::kUnknown, "batch.service",
        "/system.slice/batch.service"},
       "cgroup path /system.slice/batch.service is a systemd service"},
      {{Layer::kSystemd, LayerEvidence::kInvocationEnv}, "INVOCATION_ID is set"},
  };
  for (const Case& c : cases) EXPECT_EQ(LayerEvidenceText(c.layer), c.text);
}

TEST(Report, HardLimitRefusalOnKubernetesNamesTheRuntimeSetting) {
  Scene s = HardLimitScene(Layer::kKubernetes, LayerEvidence::kKubernetesEnv);
  EXPECT_EQ(Text(s),
            "rlimit-init: refused: the job asks for 6 GiB (6442450944 bytes, ulimit -v 6291456) "
            "of address space, but the hard limit is 2 GiB (2147483648 bytes, ulimit -v 2097152) "
            "and raiseHard is not set\n"
            "  asked:   addressSpace.request in /etc/rlimit-init/policy.yaml = 6Gi (6442450944 "
            "bytes)\n"
            "  blocked: hard RLIMIT_AS 2 GiB (2147483648 bytes, ulimit -v 2097152), set before "
            "rlimit-init started\n"
            "  layer:   Kubernetes (KUBERNETES_SERVICE_HOST is set)\n"
            "  fix:     Kubernetes has no pod field for RLIMIT_AS (kubernetes/kubernetes#3595; "
            "the coming securityContext.ulimits, KEP-5758, excludes it); on the node, "
            "containerd takes it from base_runtime_spec: write a full OCI spec whose "
            "process.rlimits holds only this entry, ctr oci spec | jq '.process.rlimits = "
            "[{\"type\":\"RLIMIT_AS\",\"soft\":6442450944,\"hard\":6442450944}]' > "
            "/etc/containerd/cri-base.json (ctr oci spec's own RLIMIT_NOFILE 1024:1024 would "
            "lower every container's open-file limit; where a base_runtime_spec is already set, "
            "add the entry to its process.rlimits instead), named by base_runtime_spec = "
            "\"/etc/containerd/cri-base.json\" in "
            "[plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.runc] (containerd 1.x) or "
            "[plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc] (containerd 2.x); "
            "then restart containerd: containers created after that get it\n"
            "  or:      if the address-space cap is there to bound memory, cap RLIMIT_DATA in its "
            "place: put {\"type\":\"RLIMIT_DATA\",\"soft\":6442450944,\"hard\":6442450944} in "
            "base_runtime_spec's process.rlimits instead of RLIMIT_AS (or LimitDATA=6442450944 "
            "instead of LimitAS= on containerd.service); since Linux 4.7 RLIMIT_DATA counts "
            "private writable memory, not reserved address space, so it bounds what the job uses "
            "without breaking runtimes that reserve far more than they use (the JVM, Node.js's "
            "WebAssembly, Go; not AddressSanitizer, whose shadow it counts)\n"
            "  or:      CRI-O's default_ulimits cannot name it (docker/go-units rejects \"as\"), so "
            "set LimitAS=6442450944 in a drop-in for crio.service (systemctl edit crio.service), "
            "then restart crio: a container whose spec sets no RLIMIT_AS inherits the runtime's\n"
            "  or:      with the NRI ulimit-adjuster plugin on the nodes (containerd 1.7+ or CRI-O "
            "with NRI enabled), annotate the pod with "
            "ulimits.noderesource.dev/container.<container name>: '[{type: RLIMIT_AS, soft: "
            "6442450944, hard: 6442450944}]'\n"
            "  or:      run the container as root (runAsUser: 0) with "
            "securityContext.capabilities.add: [\"SYS_RESOURCE\"] and set addressSpace.raiseHard: "
            "true, with user: to drop root before exec; rlimit-init then raises the hard limit "
            "itself\n"
            "  or:      lower the request, or set addressSpace.minimum to at most 2Gi to accept "
            "the hard limit\n");
}

Scene CgroupScene(Layer layer) {
  Scene s;
  s.policy.request = ParseAmount("2Gi", true).value();
  s.policy.memory_require = 4 * kGi;
  s.policy.request_origin = "--as";
  s.observed.limit(Resource::kAs) = {kGi, kUnlimited};
  s.observed.host.mem_total = 16 * kGi;
  s.observed.cgroup.version = CgroupVersion::kV2;
  s.observed.cgroup.limit = kGi;
  s.observed.cgroup.limit_source = "/sys/fs/cgroup/job/memory.max";
  // What would point at each layer these scenes use.
  s.observed.layer = {layer, layer == Layer::kKubernetes ? LayerEvidence::kKubernetesEnv
                             : layer == Layer::kDocker   ? LayerEvidence::kDockerenv
                                                         : LayerEvidence::kNothing};
  return s;
}

TEST(Report, MemoryRequireRefusalBlock) {
  Scene s = CgroupScene(Layer::kKubernetes);
  EXPECT_EQ(Text(s),
            "rlimit-init: refused: the policy requires 4 GiB (4294967296 bytes, ulimit -v "
            "4194304) of memory, but the memory ceiling is 1 GiB (1073741824 bytes, ulimit -v "
            "1048576)\n"
            "  asked:   --as = 2Gi (2147483648 bytes)\n"
            "  blocked: memory limit 1 GiB (1073741824 bytes, ulimit -v 1048576) from "
            "/sys/fs/cgroup/job/memory.max\n"
            "  layer:   Kubernetes (KUBERNETES_SERVICE_HOST is set)\n"
            "  fix:     raise resources.limits.memory of this container to at least 4Gi (a "
            "LimitRange or ResourceQuota in the namespace may cap it)\n");
}

TEST(Report, AboveCgroupRefusalOffersTheAlternatives) {
  Scene s = CgroupScene(Layer::kDocker);
  s.policy.memory_require.reset();
  s.policy.above_cgroup = AboveCgroup::kRefuse;
  EXPECT_EQ(Text(s),
            "rlimit-init: refused: granting 2 GiB (2147483648 bytes, ulimit -v 2097152) of "
            "address space would exceed the cgroup memory limit 1 GiB (1073741824 bytes, ulimit "
            "-v 1048576), and addressSpace.aboveCgroup is refuse\n"
            "  asked:   --as = 2Gi (2147483648 bytes)\n"
            "  blocked: memory limit 1 GiB (1073741824 bytes, ulimit -v 1048576) from "
            "/sys/fs/cgroup/job/memory.max\n"
            "  layer:   Docker (/.dockerenv exists)\n"
            "  fix:     run the container with docker run --memory=2147483648 (keeping the rest of "
            "the command)\n"
            "  or:      lower the request to at most 1Gi, or set addressSpace.aboveCgroup to "
            "warn\n");
}

TEST(Report, AboveCgroupRefusalOfAShareAboveTheWholeLimitNamesNoLargerLimit) {
  // 150% of the cgroup limit stays above it whatever the limit: raising it cannot help.
  Scene s = CgroupScene(Layer::kKubernetes);
  s.policy.memory_require.reset();
  s.policy.request = ParseAmount("150%", true).value();
  s.policy.above_cgroup = AboveCgroup::kRefuse;
  Decision d = Decide(s.policy, s.observed);
  EXPECT_EQ(d.grant, 1536 * kMi);
  EXPECT_EQ(Remedies(d, s.observed, s.policy),
            Advice{"150% of the cgroup memory limit stays above it however high the limit is: "
                   "set addressSpace.aboveCgroup to warn (or allow) to grant it, or lower the "
                   "request to at most 100% (1Gi)"});
}

TEST(Report, AboveCgroupRefusalOfAShareOfMemTotalNamesALargerLimit) {
  // With MemTotal as the ceiling, a larger cgroup limit does not move the grant.
  Scene s = CgroupScene(Layer::kKubernetes);
  s.policy.memory_require.reset();
  s.policy.request = ParseAmount("150%", true).value();
  s.policy.above_cgroup = AboveCgroup::kRefuse;
  s.observed.cgroup.limit = 20 * kGi;
  Decision d = Decide(s.policy, s.observed);
  EXPECT_EQ(d.grant, 24 * kGi);
  EXPECT_EQ(Fix(d, s.observed, s.policy),
            "raise resources.limits.memory of this container to at least 24Gi (a LimitRange or "
            "ResourceQuota in the namespace may cap it)");
}

TEST(Report, UnlimitedRequestsAreWordedAsSuch) {
  Scene s = HardLimitScene(Layer::kShell, LayerEvidence::kNothing);
  s.policy.request = ParseAmount("unlimited", true).value();
  EXPECT_EQ(Summary(Decide(s.policy, s.observed), s.observed, s.policy),
            "refused: the job asks for unlimited address space, but the hard limit is 2 GiB "
            "(2147483648 bytes, ulimit -v 2097152) and raiseHard is not set");
}

TEST(Report, AboveCgroupRefusalNamesTheGrantRaiseHardWouldHaveMade) {
  // Raising the hard limit would grant the whole request, not the old hard limit.
  Scene s = CgroupScene(Layer::kShell);
  s.policy.memory_require.reset();
  s.policy.request = ParseAmount("6Gi", true).value();
  s.policy.raise_hard = true;
  s.policy.above_cgroup = AboveCgroup::kRefuse;
  s.observed.limit(Resource::kAs) = {256 * kMi, 512 * kMi};
  s.observed.may_raise_hard = true;
  Decision d = Decide(s.policy, s.observed);
  EXPECT_EQ(d.grant, 6 * kGi);
  EXPECT_EQ(Summary(d, s.observed, s.policy),
            "refused: granting 6 GiB (6442450944 bytes, ulimit -v 6291456) of address space "
            "would exceed the cgroup memory limit 1 GiB (1073741824 bytes, ulimit -v 1048576), "
            "and addressSpace.aboveCgroup is refuse");
  EXPECT_EQ(Fix(d, s.observed, s.policy),
            "as root, write 6442450944 or more to /sys/fs/cgroup/job/memory.max, or start the "
            "job outside that cgroup");
}

TEST(Report, SuccessLineAndWarningsAndQuiet) {
  Scene s = CgroupScene(Layer::kShell);
  s.policy.memory_require.reset();
  s.observed.limit(Resource::kAs) = {256 * kMi, kUnlimited};
  const std::string warning =
      "rlimit-init: warning: the address space granted (2 GiB) is above the cgroup memory limit "
      "1 GiB (/sys/fs/cgroup/job/memory.max): past 1 GiB the kernel OOM-kills the job instead "
      "of letting it catch MemoryError\n";
  EXPECT_EQ(Text(s),
            "rlimit-init: raised the soft address-space limit (RLIMIT_AS) from 256 MiB "
            "(268435456 bytes, ulimit -v 262144) to 2 GiB (2147483648 bytes, ulimit -v 2097152); "
            "hard limit unlimited; cgroup memory limit 1 GiB from "
            "/sys/fs/cgroup/job/memory.max\n" + warning);
  EXPECT_EQ(Text(s, /*quiet=*/true), warning);
}

TEST(Report, JsonCarriesEveryKey) {
  Scene s = HardLimitScene(Layer::kShell, LayerEvidence::kNothing);
  s.policy.minimum = ParseAmount("1Gi", false).value();
  Decision d = Decide(s.policy, s.observed);
  EXPECT_EQ(RenderJson(d, s.observed, s.policy),
            "{\"outcome\":\"partial\",\"request_bytes\":6442450944,\"minimum_bytes\":1073741824,"
            "\"soft_before\":1073741824,\"soft_after\":2147483648,\"hard_before\":2147483648,"
            "\"hard_after\":2147483648,\"memory_limit_bytes\":\"unlimited\","
            "\"memory_limit_source\":\"\",\"memory_limit_unknown\":null,"
            "\"memory_ceiling_bytes\":17179869184,"
            "\"memory_ceiling_source\":\"/proc/meminfo MemTotal\",\"cgroup_version\":\"none\","
            "\"layer\":\"shell\",\"blocker\":null,\"fix\":null,\"alternatives\":[],"
            "\"warnings\":[\"granted the hard "
            "limit 2 GiB, less than the 6 GiB requested; the minimum 1 GiB is met\"],\"limits\":[],"
            "\"message\":\"raised the soft address-space limit (RLIMIT_AS) from 1 GiB "
            "(1073741824 bytes, ulimit -v 1048576) to the hard limit 2 GiB (2147483648 bytes, "
            "ulimit -v 2097152), less than the 6 GiB requested; no cgroup memory limit; host "
            "MemTotal 16 GiB\"}\n");
}

// A cgroup that no mount shows (automaxprocs' "untranslatable").
Scene UnknownScene() {
  Scene s = CgroupScene(Layer::kShell);
  s.policy.memory_require.reset();
  s.observed.cgroup.limit = kUnlimited;
  s.observed.cgroup.limit_source = "";
  s.observed.cgroup.cgroup_path = "/a/b";
  s.observed.cgroup.unknown = OutsideMountNote{"/a/b", "/a/c", "/m"};
  return s;
}

constexpr char kUnknownFix[] =
    "  fix:     mount the cgroup hierarchy so that it shows cgroup /a/b, at a root that is that "
    "cgroup or an ancestor of it (a cgroup namespace of the job's own with its own cgroup mount "
    "gives that), or start the job in a cgroup the mount shows\n";

TEST(Report, UnknownLimitIsSaidWithItsReason) {
  Scene s = UnknownScene();
  EXPECT_EQ(Text(s),
            "rlimit-init: raised the soft address-space limit (RLIMIT_AS) from 1 GiB (1073741824 "
            "bytes, ulimit -v 1048576) to 2 GiB (2147483648 bytes, ulimit -v 2097152); hard "
            "limit unlimited; cgroup memory limit unknown (cgroup /a/b is not below the root "
            "/a/c of the cgroup mount at /m); host MemTotal 16 GiB\n"
            "rlimit-init: warning: the address space granted (2 GiB) may be above the cgroup "
            "memory limit, which is unknown: past that limit the kernel OOM-kills the job "
            "instead of letting it catch MemoryError\n");
  const std::string json = RenderJson(Decide(s.policy, s.observed), s.observed, s.policy);
  EXPECT_NE(json.find(",\"memory_limit_bytes\":null,\"memory_limit_source\":\"\","
                      "\"memory_limit_unknown\":\"cgroup /a/b is not below the root /a/c of "
                      "the cgroup mount at /m\",\"memory_ceiling_bytes\":null,"
                      "\"memory_ceiling_source\":\"\",\"cgroup_version\":\"v2\","),
            std::string::npos)
      << json;
}

TEST(Report, UnknownLimitRefusalsNameThePolicyKeyAndTheWayOut) {
  Scene s = UnknownScene();
  s.policy.above_cgroup = AboveCgroup::kRefuse;
  const std::string blocked =
      "  blocked: cgroup memory limit unknown: cgroup /a/b is not below the root /a/c of the "
      "cgroup mount at /m\n  layer:   shell (no container, scheduler or service manager "
      "detected)\n";
  EXPECT_EQ(Text(s),
            "rlimit-init: refused: addressSpace.aboveCgroup is refuse, but the cgroup memory "
            "limit is unknown, so a grant of 2 GiB (2147483648 bytes, ulimit -v 2097152) cannot "
            "be checked against it\n  asked:   --as = 2Gi (2147483648 bytes)\n" + blocked +
                kUnknownFix +
                "  or:      set addressSpace.aboveCgroup to warn to grant it without knowing the "
                "limit\n");
  s.policy.memory_require = kGi;
  EXPECT_EQ(Text(s),
            "rlimit-init: refused: the policy requires 1 GiB (1073741824 bytes, ulimit -v "
            "1048576) of memory, but the cgroup memory limit is unknown\n  asked:   --as = 2Gi "
            "(2147483648 bytes)\n" + blocked + kUnknownFix +
                "  or:      remove memory.require to start without checking the memory\n");
  s.policy.request = ParseAmount("80%", true).value();
  EXPECT_EQ(Text(s),
            "rlimit-init: refused: --as 80% is a share of the memory ceiling, but the cgroup "
            "memory limit is unknown\n  asked:   --as = 80%\n" + blocked + kUnknownFix +
                "  or:      give addressSpace.request as a quantity such as 4Gi instead of a "
                "percentage\n");
  Decision d = Decide(s.policy, s.observed);
  const std::string json = RenderJson(d, s.observed, s.policy);
  EXPECT_NE(json.find("\"blocker\":\"memory_limit_unknown\""), std::string::npos) << json;
}

TEST(Report, ErrorJsonEscapesControlCharacters) {
  EXPECT_EQ(RenderErrorJson(78, "bad \"x\"\n\x01"),
            "{\"outcome\":\"error\",\"exit_code\":78,\"message\":\"bad \\\"x\\\"\\n\\u0001\"}\n");
}

TEST(Report, OutOfMemoryJsonIsTheErrorDocumentOfItsText) {
  std::string_view message = kOutOfMemoryText;
  message.remove_prefix(std::string_view("rlimit-init: ").size());
  message.remove_suffix(1);
  EXPECT_EQ(RenderErrorJson(70, message), kOutOfMemoryJson);
}

}  // namespace
}  // namespace rlimit_init

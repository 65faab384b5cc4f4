// SPDX-License-Identifier: Apache-2.0
// The fix lines per layer, exactly. That each named setting is one its tool accepts is proven
// against the tools themselves in tests/integration/test_advice_*.py.
#include "advice/advice.h"

#include <gtest/gtest.h>

namespace rlimit_init {
namespace {

constexpr std::uint64_t kGi = 1024ull * 1024 * 1024;

AdviceInput On(Layer layer, Runtime runtime = Runtime::kUnknown, std::string unit = "") {
  AdviceInput input;
  input.layer = {layer, LayerEvidence::kNothing, runtime, std::move(unit)};
  return input;
}

Advice Hard(const AdviceInput& input, std::uint64_t needed = 6 * kGi) {
  return HardLimitAdvice(kAddressSpaceNames, input, needed);
}

const char kNoPodField[] =
    "Kubernetes has no pod field for RLIMIT_AS (kubernetes/kubernetes#3595; the coming "
    "securityContext.ulimits, KEP-5758, excludes it); on the node, ";
// Keeps only the entry asked for: ctr oci spec's own RLIMIT_NOFILE 1024:1024 would lower every
// container's open-file limit (test_cri_advice.py follows the recipe through containerd).
const char kContainerd[] =
    "containerd takes it from base_runtime_spec: write a full OCI spec whose process.rlimits "
    "holds only this entry, ctr oci spec | jq '.process.rlimits = [{\"type\":\"RLIMIT_AS\","
    "\"soft\":6442450944,\"hard\":6442450944}]' > /etc/containerd/cri-base.json (ctr oci spec's "
    "own RLIMIT_NOFILE 1024:1024 would lower every container's open-file limit; where a "
    "base_runtime_spec is already set, add the entry to its process.rlimits instead), named by "
    "base_runtime_spec = \"/etc/containerd/cri-base.json\" in "
    "[plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.runc] (containerd 1.x) or "
    "[plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc] (containerd 2.x); then "
    "restart containerd: containers created after that get it";
const char kCrio[] =
    "CRI-O's default_ulimits cannot name it (docker/go-units rejects \"as\"), so set "
    "LimitAS=6442450944 in a drop-in for crio.service (systemctl edit crio.service), then "
    "restart crio: a container whose spec sets no RLIMIT_AS inherits the runtime's";
const char kNri[] =
    "with the NRI ulimit-adjuster plugin on the nodes (containerd 1.7+ or CRI-O with NRI "
    "enabled), annotate the pod with ulimits.noderesource.dev/container.<container name>: "
    "'[{type: RLIMIT_AS, soft: 6442450944, hard: 6442450944}]'";
const char kContainerdService[] =
    "set LimitAS=6442450944 in a drop-in for containerd.service (systemctl edit "
    "containerd.service), then restart containerd: a container whose spec sets no RLIMIT_AS "
    "inherits the runtime's";
// On Kubernetes the pod's shim outlives the restart, and with it the old limit.
const char kContainerdServiceForPods[] =
    "set LimitAS=6442450944 in a drop-in for containerd.service (systemctl edit "
    "containerd.service), then restart containerd: a container whose spec sets no RLIMIT_AS "
    "inherits the runtime's; only pods created after the restart get it (a pod's containers "
    "inherit it from the pod's shim, which outlives the restart): delete and recreate running "
    "pods";
const char kPodCapability[] =
    "run the container as root (runAsUser: 0) with securityContext.capabilities.add: "
    "[\"SYS_RESOURCE\"] and set addressSpace.raiseHard: true, with user: to drop root before "
    "exec; rlimit-init then raises the hard limit itself";
const char kDocker[] =
    "Docker cannot set RLIMIT_AS per container (docker run --ulimit and daemon.json "
    "default-ulimits reject \"as\": docker/go-units); containers inherit it from containerd: "
    "set LimitAS=6442450944 in a drop-in for containerd.service docker.service (systemctl edit "
    "containerd.service docker.service), then restart both: a container whose spec sets no "
    "RLIMIT_AS inherits the runtime's (start the container again)";

// The RLIMIT_DATA line that follows an address-space fix (advice_data.cc), with the layer's own
// setting at the same 6 GiB.
std::string Data(const std::string& setting) {
  return "if the address-space cap is there to bound memory, cap RLIMIT_DATA in its place: " +
         setting +
         "; since Linux 4.7 RLIMIT_DATA counts private writable memory, not reserved address "
         "space, so it bounds what the job uses without breaking runtimes that reserve far more "
         "than they use (the JVM, Node.js's WebAssembly, Go; not AddressSanitizer, whose shadow "
         "it counts)";
}
const std::string kContainerdData =
    Data("put {\"type\":\"RLIMIT_DATA\",\"soft\":6442450944,\"hard\":6442450944} in "
         "base_runtime_spec's process.rlimits instead of RLIMIT_AS (or LimitDATA=6442450944 "
         "instead of LimitAS= on containerd.service)");
const std::string kDockerData =
    Data("run the container with docker run --ulimit data=6442450944:6442450944, with no "
         "LimitAS= on containerd.service and docker.service");

TEST(Advice, KubernetesLeadsWithContainerdWhenTheRuntimeIsUnknown) {
  EXPECT_EQ(Hard(On(Layer::kKubernetes)),
            (Advice{std::string(kNoPodField) + kContainerd, kContainerdData, kCrio, kNri,
                    kPodCapability}));
}

TEST(Advice, KubernetesOnContainerdNamesItsServiceNotCrio) {
  EXPECT_EQ(Hard(On(Layer::kKubernetes, Runtime::kContainerd)),
            (Advice{std::string(kNoPodField) + kContainerd, kContainerdData,
                    kContainerdServiceForPods, kNri, kPodCapability}));
}

TEST(Advice, KubernetesOnCrioLeadsWithCriosService) {
  EXPECT_EQ(Hard(On(Layer::kKubernetes, Runtime::kCrio)),
            (Advice{std::string(kNoPodField) + kCrio,
                    Data("set default_ulimits = [\"data=6442450944:6442450944\"] in "
                         "[crio.runtime] of /etc/crio/crio.conf, with no LimitAS= on "
                         "crio.service"),
                    kNri, kPodCapability}));
}

TEST(Advice, KubernetesOnDockerNamesDockersDaemons) {
  EXPECT_EQ(Hard(On(Layer::kKubernetes, Runtime::kDocker)),
            (Advice{std::string(kNoPodField) + kDocker,
                    Data("set \"default-ulimits\": {\"data\": {\"Name\": \"data\", \"Hard\": "
                         "6442450944, \"Soft\": 6442450944}} in /etc/docker/daemon.json, with "
                         "no LimitAS= on containerd.service and docker.service"),
                    kPodCapability}));
}

TEST(Advice, DockerNamesTheDaemonsAndTheCapability) {
  EXPECT_EQ(Hard(On(Layer::kDocker)),
            (Advice{kDocker, kDockerData,
                    "run the container as root with docker run --cap-add=SYS_RESOURCE and set "
                    "addressSpace.raiseHard: true, with user: to drop root before exec; "
                    "rlimit-init then raises the hard limit itself"}));
}

TEST(Advice, BareContainerNamesItsSpec) {
  EXPECT_EQ(Hard(On(Layer::kContainer)),
            (Advice{"the container's OCI spec sets it: put {\"type\":\"RLIMIT_AS\",\"soft\":"
                    "6442450944,\"hard\":6442450944} in process.rlimits of its config.json "
                    "(runc) or of the spec given to containerd",
                    Data("put {\"type\":\"RLIMIT_DATA\",\"soft\":6442450944,\"hard\":"
                         "6442450944} in process.rlimits of its config.json instead of RLIMIT_AS "
                         "(or LimitDATA=6442450944 instead of LimitAS= on containerd.service)"),
                    kContainerdService}));
}

TEST(Advice, SystemdNamesTheUnitFromTheCgroupPath) {
  EXPECT_EQ(Hard(On(Layer::kSystemd, Runtime::kUnknown, "batch.service")),
            (Advice{"set LimitAS=6442450944 in the [Service] section of batch.service or a "
                    "drop-in (systemctl edit batch.service), then restart it; systemctl show -p "
                    "LimitAS batch.service shows the value now",
                    Data("set LimitDATA=6442450944 in batch.service instead of LimitAS= "
                         "(DefaultLimitDATA= instead of DefaultLimitAS=)"),
                    "set DefaultLimitAS=6442450944 in /etc/systemd/system.conf (then systemctl "
                    "daemon-reexec) for every unit that sets no LimitAS= of its own"}));
  EXPECT_EQ(Hard(On(Layer::kSystemd))[0],
            "set LimitAS=6442450944 in the [Service] section of UNIT or a drop-in (systemctl "
            "edit UNIT), then restart it; systemctl show -p LimitAS UNIT shows the value now");
}

TEST(Advice, ShellNamesUlimitPrlimitAndLimitsConf) {
  EXPECT_EQ(Hard(On(Layer::kShell)),
            (Advice{"only root can raise a hard limit: as root, run ulimit -Hv 6291456 in the "
                    "shell that starts the job, or start it with prlimit "
                    "--as=6442450944:6442450944 COMMAND",
                    Data("run ulimit -d 6291456 instead of ulimit -v (prlimit "
                         "--data=6442450944:6442450944 instead of --as, the \"data\" item of "
                         "limits.conf instead of \"as\")"),
                    "raise the \"as\" item of /etc/security/limits.conf (\"USER hard as "
                    "6291456\", in KiB) and log in again, and remove any ulimit -v from shell "
                    "profiles and wrappers"}));
}

TEST(Advice, UlimitKiBAreRoundedUpToCoverTheRequest) {
  // 1 GiB + 1 byte needs 1048577 KiB: 1048576 would fall one byte short.
  EXPECT_EQ(Hard(On(Layer::kShell), kGi + 1)[0],
            "only root can raise a hard limit: as root, run ulimit -Hv 1048577 in the shell that "
            "starts the job, or start it with prlimit --as=1073741825:1073741825 COMMAND");
}

TEST(Advice, UnlimitedIsSpelledTheWayEachToolSpellsIt) {
  Advice shell = Hard(On(Layer::kShell), kUnlimited);
  EXPECT_EQ(shell[0],
            "only root can raise a hard limit: as root, run ulimit -Hv unlimited in the shell "
            "that starts the job, or start it with prlimit --as=unlimited:unlimited COMMAND");
  EXPECT_EQ(Hard(On(Layer::kSystemd, Runtime::kUnknown, "a.service"), kUnlimited)[0].substr(0, 23),
            "set LimitAS=infinity in");
  EXPECT_EQ(Hard(On(Layer::kContainer), kUnlimited)[0],
            "the container's OCI spec sets it: put {\"type\":\"RLIMIT_AS\",\"soft\":"
            "18446744073709551615,\"hard\":18446744073709551615} in process.rlimits of its "
            "config.json (runc) or of the spec given to containerd");
  // jq 1.6 reads numbers as doubles: it would write 18446744073709552000, which containerd
  // cannot read as a uint64. So unlimited is an edit by hand.
  const std::string containerd = Hard(On(Layer::kKubernetes, Runtime::kContainerd), kUnlimited)[0];
  EXPECT_NE(containerd.find("holds only this entry, ctr oci spec > /etc/containerd/cri-base.json, "
                            "then set its process.rlimits to [{\"type\":\"RLIMIT_AS\",\"soft\":"
                            "18446744073709551615,\"hard\":18446744073709551615}] in an editor "
                            "(jq 1.6 would round 18446744073709551615) (ctr oci spec's own"),
            std::string::npos)
      << containerd;
}

TEST(Advice, RealRootIsToldToSetRaiseHardFirst) {
  AdviceInput input = On(Layer::kDocker);
  input.may_raise_hard = true;
  Advice advice = Hard(input);
  ASSERT_EQ(advice.size(), 4u);
  EXPECT_EQ(advice[0],
            "this process has CAP_SYS_RESOURCE in the initial user namespace: set "
            "addressSpace.raiseHard: true in the policy and rlimit-init raises the hard limit "
            "itself");
  EXPECT_EQ(advice[1], kDocker);
  EXPECT_EQ(advice[2], kDockerData);  // after the layer's fix, not after raiseHard
  input.raise_hard = true;  // then the capability is not what is missing
  EXPECT_EQ(Hard(input)[0], kDocker);
}

// Every other rlimit: advice_limits_test.cc.

TEST(Advice, PodmanAndSlurmNameTheProcessThatSetsTheHardLimit) {
  EXPECT_EQ(Hard(On(Layer::kPodman))[0],
            "the container inherits RLIMIT_AS from the podman process (podman run --ulimit cannot "
            "set it): run podman from a shell that has run ulimit -v 6291456 (raising a hard "
            "limit needs root), or from a systemd unit with LimitAS=6442450944");
  EXPECT_EQ(Hard(On(Layer::kSlurm))[0],
            "the job's hard RLIMIT_AS is slurmd's own, not the submit shell's "
            "(PropagateResourceLimits passes on only the soft limit, lowered to that hard "
            "limit): give slurmd a hard limit of at least 6 GiB and restart it: "
            "LimitAS=6442450944 in a drop-in for slurmd.service (systemctl edit slurmd), or "
            "ulimit -v 6291456 in the shell that starts slurmd");
}

TEST(Advice, PodmanAndSlurmNameTheirDataSetting) {
  EXPECT_EQ(Hard(On(Layer::kPodman)),
            (Advice{Hard(On(Layer::kPodman))[0],
                    Data("run the container with podman run --ulimit "
                         "data=6442450944:6442450944, from a shell or unit without the ulimit -v "
                         "or LimitAS=")}));
  Advice slurm = Hard(On(Layer::kSlurm));
  ASSERT_EQ(slurm.size(), 3u);
  EXPECT_EQ(slurm[1], Data("give slurmd LimitDATA=6442450944 instead of LimitAS= in its drop-in "
                           "(ulimit -d 6291456 instead of ulimit -v in the shell that starts "
                           "slurmd)"));
  EXPECT_EQ(Hard(On(Layer::kKubernetes, Runtime::kPodman)), Hard(On(Layer::kPodman)));
}

TEST(Advice, DataLineOnlyForABoundedAddressSpace) {
  // Unlimited: no number to bound memory at. Any other rlimit: it is not about reservations.
  for (Layer layer : {Layer::kKubernetes, Layer::kDocker, Layer::kPodman, Layer::kSystemd,
                      Layer::kSlurm, Layer::kContainer, Layer::kShell}) {
    for (const std::string& line : Hard(On(layer), kUnlimited)) {
      EXPECT_EQ(line.find("RLIMIT_DATA"), std::string::npos) << line;
    }
  }
}

CgroupMemory V1Limit() {
  CgroupMemory cgroup;
  cgroup.version = CgroupVersion::kV1;
  cgroup.limit = kGi;
  cgroup.limit_source = "/sys/fs/cgroup/memory/job/memory.limit_in_bytes";
  return cgroup;
}

TEST(Advice, MemoryLimitPerLayer) {
  struct Row {
    AdviceInput input;
    Advice advice;
  };
  const Row rows[] = {
      {On(Layer::kKubernetes),
       {"raise resources.limits.memory of this container to at least 4Gi (a LimitRange or "
        "ResourceQuota in the namespace may cap it)"}},
      {On(Layer::kDocker),
       {"run the container with docker run --memory=4294967296 (keeping the rest of the "
        "command)"}},
      {On(Layer::kSystemd, Runtime::kUnknown, "batch.service"),
       {"set MemoryMax=4294967296 in the [Service] section of batch.service or a drop-in "
        "(systemctl edit batch.service), then restart it (systemd writes it to "
        "memory.limit_in_bytes on cgroup v1)"}},
      {On(Layer::kContainer),
       {"set linux.resources.memory.limit to at least 4294967296 in the container's "
        "config.json (runc)",
        "raise it on the running container from the host: runc update --memory 4294967296 "
        "CONTAINER"}},
      {On(Layer::kSlurm),
       {"submit with --mem=4096M or more: with ConstrainRAMSpace=yes in cgroup.conf, Slurm "
        "makes --mem the job's cgroup memory limit (times AllowedRAMSpace/100)"}},
      {On(Layer::kShell),
       {"as root, write 4294967296 or more to /sys/fs/cgroup/memory/job/memory.limit_in_bytes, "
        "or start the job outside that cgroup"}},
  };
  for (const Row& row : rows) {
    EXPECT_EQ(MemoryLimitAdvice(row.input, 4 * kGi, V1Limit()), row.advice)
        << LayerName(row.input.layer.layer);
  }
}

TEST(Advice, InvisibleAncestorLimitIsNotAFileToWrite) {
  CgroupMemory cgroup = V1Limit();
  cgroup.limit_source = "/sys/fs/cgroup/memory/memory.stat hierarchical_memory_limit";
  cgroup.limit_from_hierarchy_stat = true;
  EXPECT_EQ(MemoryLimitAdvice(On(Layer::kShell), 4 * kGi, cgroup),
            (Advice{"the limit is set on an ancestor cgroup this process cannot see "
                    "(/sys/fs/cgroup/memory/memory.stat hierarchical_memory_limit): raise it to "
                    "at least 4294967296 on the host, in whatever created that cgroup"}));
}

}  // namespace
}  // namespace rlimit_init

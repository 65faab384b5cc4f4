// SPDX-License-Identifier: Apache-2.0
// The address-space budget: the estimate, its warnings, the policy's env: and what is observed.
#include "decide/budget.h"

#include <gtest/gtest.h>

#include "observe/budget_host.h"
#include "decide/decision.h"
#include "fake_system.h"
#include "policy/policy.h"

namespace rlimit_init {
namespace {

constexpr std::uint64_t kMiB = 1ULL << 20;

BudgetHost Host(unsigned cpus, std::optional<unsigned> quota = std::nullopt) {
  BudgetHost host;
  host.affinity_cpus = cpus;
  host.quota_cpus = quota;
  if (quota) host.quota_source = "/sys/fs/cgroup/cpu/job/cpu.cfs_quota_us";
  return host;
}

TEST(BudgetQuota, ParsesV1AndV2RoundingUp) {
  EXPECT_EQ(QuotaCpus("150000\n", "100000\n"), 2u);
  EXPECT_EQ(QuotaCpus("100000", "100000"), 1u);
  EXPECT_EQ(QuotaCpus("-1\n", "100000\n"), std::nullopt);
  EXPECT_EQ(QuotaCpus("abc", "100000"), std::nullopt);
  EXPECT_EQ(QuotaCpus("100000", "0"), std::nullopt);
  EXPECT_EQ(CpuMaxCpus("max 100000\n"), std::nullopt);
  EXPECT_EQ(CpuMaxCpus("250000 100000\n"), 3u);
  EXPECT_EQ(CpuMaxCpus("garbage"), std::nullopt);
}

TEST(BudgetEnvName, AcceptsPortableNamesOnly) {
  EXPECT_EQ(EnvNameProblem("MALLOC_ARENA_MAX"), "");
  EXPECT_EQ(EnvNameProblem("_x1"), "");
  EXPECT_EQ(EnvNameProblem("1X"), "a name starts with a letter or '_'");
  EXPECT_EQ(EnvNameProblem("A=B"), "a name has only letters, digits and '_'");
  EXPECT_EQ(EnvNameProblem("A-B"), "a name has only letters, digits and '_'");
  EXPECT_EQ(EnvNameProblem(""), "an environment variable needs a name");
}

struct EstimateCase {
  const char* name;
  unsigned cpus;
  std::optional<unsigned> quota;
  EnvSettings inherited_env;  // set as inherited
  EnvSettings policy_env;
  std::uint64_t stack;
  unsigned threads, arena_limit, usable;
  std::uint64_t reserved;
};

class BudgetEstimate : public testing::TestWithParam<EstimateCase> {};

TEST_P(BudgetEstimate, CountsThreadsStacksAndBuffers) {
  const EstimateCase& c = GetParam();
  BudgetHost host = Host(c.cpus, c.quota);
  for (const auto& [name, value] : c.inherited_env) {
    for (std::size_t i = 0; i < std::size(kBudgetVariables); ++i) {
      if (kBudgetVariables[i] == name) host.inherited[i] = value;
    }
  }
  Budget b = EstimateBudget(host, c.policy_env, c.stack, kUnlimited);
  EXPECT_EQ(b.threads, c.threads);
  EXPECT_EQ(b.arena_limit, c.arena_limit);
  EXPECT_EQ(b.usable_cpus, c.usable);
  EXPECT_EQ(b.reserved, c.reserved);
}

constexpr std::uint64_t kU = kUnlimited;
const EstimateCase kEstimates[] = {
    {"two_cpus", 2, {}, {}, {}, 8 * kMiB, 2, 16, 2, 136 * kMiB},
    {"one_cpu_reserves_nothing", 1, {}, {}, {}, 8 * kMiB, 1, 8, 1, 0},
    {"unknown_cpus", 0, {}, {}, {}, 8 * kMiB, 0, 0, 0, 0},
    {"unlimited_stack_is_2mib", 2, {}, {}, {}, kU, 2, 16, 2, 130 * kMiB},
    {"sixty_four", 64, {}, {}, {}, 8 * kMiB, 64, 512, 64, 63 * 136 * kMiB},
    {"quota_does_not_change_the_runtimes", 64, 4, {}, {}, 8 * kMiB, 64, 512, 4,
     63 * 136 * kMiB},
    {"openblas_threads", 64, {}, {{"OPENBLAS_NUM_THREADS", "4"}}, {}, 8 * kMiB, 4, 512, 64,
     3 * 136 * kMiB},
    {"omp_list_reads_first", 64, {}, {{"OMP_NUM_THREADS", "8,2"}}, {}, 8 * kMiB, 8, 512, 64,
     7 * 136 * kMiB},
    {"openblas_before_omp", 64, {}, {{"OMP_NUM_THREADS", "8"}, {"OPENBLAS_NUM_THREADS", "2"}},
     {}, 8 * kMiB, 2, 512, 64, 136 * kMiB},
    {"threads_capped_at_cpus", 2, {}, {{"OPENBLAS_NUM_THREADS", "16"}}, {}, 8 * kMiB, 2, 16, 2,
     136 * kMiB},
    {"arena_max", 64, {}, {{"MALLOC_ARENA_MAX", "2"}}, {}, 8 * kMiB, 64, 2, 64, 63 * 136 * kMiB},
    {"tunable", 64, {},
     {{"GLIBC_TUNABLES", "glibc.malloc.tcache_count=0:glibc.malloc.arena_max=3"}}, {}, 8 * kMiB,
     64, 3, 64, 63 * 136 * kMiB},
    {"both_spellings_take_the_larger", 64, {},
     {{"GLIBC_TUNABLES", "glibc.malloc.arena_max=3"}, {"MALLOC_ARENA_MAX", "2"}}, {}, 8 * kMiB,
     64, 3, 64, 63 * 136 * kMiB},
    {"zero_is_unset", 2, {}, {{"MALLOC_ARENA_MAX", "0"}, {"OPENBLAS_NUM_THREADS", "0"}}, {},
     8 * kMiB, 2, 16, 2, 136 * kMiB},
    {"policy_over_inherited", 64, {}, {{"MALLOC_ARENA_MAX", "64"}},
     {{"MALLOC_ARENA_MAX", "2"}, {"OPENBLAS_NUM_THREADS", "4"}}, 8 * kMiB, 4, 2, 64,
     3 * 136 * kMiB},
};
INSTANTIATE_TEST_SUITE_P(Cases, BudgetEstimate, testing::ValuesIn(kEstimates),
                         [](const testing::TestParamInfo<EstimateCase>& param) {
                           return std::string(param.param.name);
                         });

TEST(BudgetWarnings, NoneUnderAnUnlimitedGrantOrWhenRoomy) {
  EXPECT_EQ(WarnThreads(Host(64), {}, 8 * kMiB, kUnlimited), std::nullopt);
  EXPECT_EQ(WarnThreads(Host(2), {}, 8 * kMiB, 272 * kMiB), std::nullopt);
}

// The words are report/warning_text.cc's (warning_text_test.cc); here the figures.
TEST(BudgetWarnings, MoreThanHalfTheGrantIsTight) {
  std::optional<ThreadsWarning> w = WarnThreads(Host(2), {}, 8 * kMiB, 272 * kMiB - 1);
  ASSERT_TRUE(w);
  EXPECT_EQ(w->grant, 272 * kMiB - 1);
  EXPECT_EQ(w->budget.threads, 2u);
  EXPECT_EQ(w->budget.threads_variable, std::nullopt);
  EXPECT_EQ(w->budget.stack, 8 * kMiB);
  EXPECT_EQ(w->budget.reserved, 136 * kMiB);
  EXPECT_EQ(w->budget.arena_limit, 16u);
  EXPECT_EQ(w->budget.arenas_variable, std::nullopt);
  EXPECT_FALSE(w->stack_unlimited);
  EXPECT_TRUE(w->set_arenas);
  EXPECT_EQ(w->set_threads, 1u);
  EXPECT_EQ(w->least_grant, 272 * kMiB);
}

TEST(BudgetWarnings, NamesTheQuotaAndTheSettingsThatFit) {
  std::optional<ThreadsWarning> w = WarnThreads(Host(64, 4), {}, kUnlimited, 8ULL << 30);
  ASSERT_TRUE(w);
  EXPECT_EQ(w->budget.cpus, 64u);
  EXPECT_EQ(w->budget.usable_cpus, 4u);
  EXPECT_EQ(w->budget.stack, kDefaultThreadStack);
  EXPECT_TRUE(w->stack_unlimited);
  EXPECT_EQ(w->set_threads, 4u);
  EXPECT_EQ(w->least_grant, 2 * 63 * 130 * kMiB);
  // The policy's settings are what the next estimate uses: 3 more threads fit.
  EXPECT_EQ(WarnThreads(Host(64, 4), {{"MALLOC_ARENA_MAX", "2"}, {"OPENBLAS_NUM_THREADS", "4"}},
                        kUnlimited, 8ULL << 30),
            std::nullopt);
}

TEST(BudgetWarnings, NamesTheVariablesThatSetThreadsAndArenas) {
  BudgetHost host = Host(8);
  host.inherited[1] = "glibc.malloc.arena_max=6";
  std::optional<ThreadsWarning> w =
      WarnThreads(host, {{"OMP_NUM_THREADS", "4,2"}}, 8 * kMiB, 256 * kMiB);
  ASSERT_TRUE(w);
  EXPECT_EQ(w->budget.threads_variable, 3u);  // OMP_NUM_THREADS
  EXPECT_EQ(w->budget.threads_value, "4,2");
  EXPECT_EQ(w->budget.arenas_variable, 1u);  // GLIBC_TUNABLES
  EXPECT_EQ(w->budget.arena_limit, 6u);
  w = WarnThreads(host, {{"MALLOC_ARENA_MAX", "7"}}, 8 * kMiB, 256 * kMiB);
  ASSERT_TRUE(w);
  EXPECT_EQ(w->budget.arenas_variable, 0u);  // MALLOC_ARENA_MAX
  EXPECT_EQ(w->budget.arenas_value, "7");
}

TEST(BudgetWarnings, GpuUnderAFiniteGrant) {
  BudgetHost host = Host(1);
  EXPECT_EQ(WarnGpu(host, 64ULL << 30), std::nullopt);
  host.gpu_devices = {"/dev/nvidia0", "/dev/nvidia1"};
  EXPECT_EQ(WarnGpu(host, kUnlimited), std::nullopt);
  EXPECT_EQ(WarnGpu(host, 64ULL << 30), GpuWarning{64ULL << 30});
}

TEST(BudgetHostObservation, TightestQuotaOverTheHierarchyAndGpus) {
  FakeSystem system;
  system.affinity_cpus = 8;
  system.env["MALLOC_ARENA_MAX"] = "4";
  system.host_files["/proc/self/cgroup"] = "3:cpu,cpuacct:/a/b\n0::/\n";
  system.host_files["/sys/fs/cgroup/cpu/cpu.cfs_quota_us"] = "-1\n";
  system.host_files["/sys/fs/cgroup/cpu/cpu.cfs_period_us"] = "100000\n";
  system.host_files["/sys/fs/cgroup/cpu/a/cpu.cfs_quota_us"] = "300000\n";
  system.host_files["/sys/fs/cgroup/cpu/a/cpu.cfs_period_us"] = "100000\n";
  system.host_files["/sys/fs/cgroup/cpu/a/b/cpu.cfs_quota_us"] = "500000\n";
  system.host_files["/sys/fs/cgroup/cpu/a/b/cpu.cfs_period_us"] = "100000\n";
  system.host_files["/dev/nvidia1"] = "";
  system.host_files["/dev/nvidia0"] = "";
  system.host_files["/dev/nvidiactl"] = "";
  system.host_files["/dev/null"] = "";
  BudgetHost host = ObserveBudgetHost(system);
  EXPECT_EQ(host.affinity_cpus, 8u);
  EXPECT_EQ(host.quota_cpus, 3u);
  EXPECT_EQ(host.quota_source, "/sys/fs/cgroup/cpu/a/cpu.cfs_quota_us");
  EXPECT_EQ(host.gpu_devices, (std::vector<std::string>{"/dev/nvidia0", "/dev/nvidia1"}));
  EXPECT_EQ(host.inherited[0], "4");
  EXPECT_EQ(host.inherited[2], std::nullopt);
}

TEST(BudgetHostObservation, AGpuNodeWithoutTheDriversControlNodeIsNoGpu) {
  FakeSystem system;
  system.host_files["/proc/self/cgroup"] = "0::/\n";
  system.host_files["/dev/nvidia0"] = "";
  BudgetHost host = ObserveBudgetHost(system);
  EXPECT_TRUE(host.gpu_devices.empty());
  system.host_files["/dev/nvidiactl"] = "";
  host = ObserveBudgetHost(system);
  EXPECT_EQ(host.gpu_devices, (std::vector<std::string>{"/dev/nvidia0"}));
}

TEST(BudgetHostObservation, CgroupV2CpuMaxAndAContainerOwnMount) {
  FakeSystem system;
  system.host_files["/proc/self/cgroup"] = "0::/kubepods/pod1\n";
  // Only the container's own cgroup is mounted: its directory is the mount's root.
  system.host_files["/sys/fs/cgroup/cpu.max"] = "150000 100000\n";
  BudgetHost host = ObserveBudgetHost(system);
  EXPECT_EQ(host.quota_cpus, 2u);
  EXPECT_EQ(host.quota_source, "/sys/fs/cgroup/cpu.max");
  EXPECT_TRUE(host.gpu_devices.empty());
}

TEST(PolicyEnv, ReadsNamesAndValuesInOrder) {
  Result<Policy> p = ParsePolicy(
      "apiVersion: rlimit-init/v1\naddressSpace:\n  request: 1Gi\nenv:\n"
      "  MALLOC_ARENA_MAX: \"2\"\n  OPENBLAS_NUM_THREADS: 4\n  EMPTY: \"\"\n",
      "policy.yaml");
  ASSERT_TRUE(p.ok()) << p.error();
  EXPECT_EQ(p->env, (EnvSettings{{"MALLOC_ARENA_MAX", "2"}, {"OPENBLAS_NUM_THREADS", "4"},
                                 {"EMPTY", ""}}));
}

TEST(PolicyEnv, RefusesBadNamesValuesAndDuplicates) {
  auto error = [](const std::string& env) {
    Result<Policy> p = ParsePolicy(
        "apiVersion: rlimit-init/v1\naddressSpace:\n  request: 1Gi\nenv:\n" + env, "p.yaml");
    return p.ok() ? std::string("parsed") : p.error();
  };
  EXPECT_EQ(error("  1BAD: x\n"),
            "p.yaml:5:3: env: a name starts with a letter or '_', got \"1BAD\"");
  EXPECT_EQ(error("  A-B: x\n"),
            "p.yaml:5:3: env: a name has only letters, digits and '_', got \"A-B\"");
  EXPECT_EQ(error("  A: [1]\n"),
            "p.yaml:5:6: env.A: expected a string (quote numbers: \"2\"), got a sequence");
  EXPECT_EQ(error("  A: x\n  A: y\n"), "p.yaml:6:3: env.A: duplicate key");
  EXPECT_EQ(ParsePolicy("apiVersion: rlimit-init/v1\naddressSpace:\n  request: 1Gi\nenv: 3\n",
                        "p.yaml")
                .error(),
            "p.yaml:4:6: env: expected a mapping, got a scalar");
}

TEST(DecisionBudget, WarnsWithTheStackTheWorkloadGets) {
  Policy policy;
  policy.request = {AmountSpec::Kind::kBytes, 256 * kMiB, 0, "256Mi"};
  Observed observed;
  observed.budget = Host(2);
  observed.limit(Resource::kStack) = {8 * kMiB, kUnlimited};
  observed.limit(Resource::kAs) = {128 * kMiB, kUnlimited};
  Decision d = Decide(policy, observed);
  ASSERT_EQ(d.warnings.size(), 1u);
  const ThreadsWarning* w = std::get_if<ThreadsWarning>(&d.warnings[0]);
  ASSERT_NE(w, nullptr);
  EXPECT_EQ(w->budget.reserved, 136 * kMiB);
  EXPECT_EQ(w->grant, 256 * kMiB);
  // The policy's env is what the workload runs with.
  policy.env = {{"OPENBLAS_NUM_THREADS", "1"}};
  EXPECT_TRUE(Decide(policy, observed).warnings.empty());
}

}  // namespace
}  // namespace rlimit_init

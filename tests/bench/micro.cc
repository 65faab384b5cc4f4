// SPDX-License-Identifier: Apache-2.0
// Micro-benchmarks of the pure functions a run passes through: the policy parser, the quantity
// parser, cgroup discovery over the host trees of tests/fixtures/hosts, and the decision.
// Build with -DRLIMIT_INIT_BENCH=ON and run build/micro_bench. These time in-process loops,
// where allocations are warm and the files are in memory (FakeSystem): they say where the CPU
// time of a run goes and catch a slower parser, not what a cold process start costs, which is
// what tests/bench/run.sh measures.
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "observe/cgroup.h"
#include "cli/cli.h"
#include "decide/decision.h"
#include "fake_system.h"
#include "fixture_tree.h"
#include "observe/observe.h"
#include "policy/policy.h"
#include "policy/policy_tree.h"
#include "base/quantity.h"

namespace rlimit_init {
namespace {

constexpr std::uint64_t kGiB = std::uint64_t{1} << 30;

// "" when the file cannot be read; each benchmark then stops with an error.
std::string BenchPolicy() { return ReadTestFile(RLIMIT_INIT_BENCH_POLICY).value_or(""); }

// A host tree loaded into a FakeSystem; aborts the benchmark when the tree is missing, so that
// an empty tree is never timed as a fast one.
FakeSystem Host(benchmark::State& state, const std::string& name) {
  FakeSystem system;
  if (!LoadFixtureTree(name, &system)) state.SkipWithError(("no fixture tree " + name).c_str());
  return system;
}

void BM_ParsePolicy(benchmark::State& state) {
  const std::string text = BenchPolicy();
  if (text.empty()) state.SkipWithError("cannot read " RLIMIT_INIT_BENCH_POLICY);
  for (auto _ : state) {
    Result<Policy> policy = ParsePolicy(text, "policy.yaml");
    if (!policy) state.SkipWithError(policy.error().c_str());
    benchmark::DoNotOptimize(policy);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * text.size()));
}
BENCHMARK(BM_ParsePolicy);

// The YAML layer alone: yaml-cpp's parse into the policy tree.
void BM_PolicyTree(benchmark::State& state) {
  const std::string text = BenchPolicy();
  for (auto _ : state) {
    Node root;
    TreeError error;
    if (!ParseYamlTree(text, &root, &error)) state.SkipWithError(error.message.c_str());
    benchmark::DoNotOptimize(root);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * text.size()));
}
BENCHMARK(BM_PolicyTree);

void BM_ParseQuantity(benchmark::State& state) {
  const std::vector<std::string> inputs = {"512Mi", "64Gi", "1.5Gi", "4G", "1073741824",
                                           "0.75Ti"};
  for (auto _ : state) {
    for (const std::string& input : inputs) benchmark::DoNotOptimize(ParseQuantity(input));
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * inputs.size()));
}
BENCHMARK(BM_ParseQuantity);

void BM_ParseCommandLine(benchmark::State& state) {
  const std::vector<const char*> argv = {"rlimit-init", "-p", "/etc/rlimit-init/policy.yaml",
                                         "--", "python3", "train.py"};
  for (auto _ : state) {
    benchmark::DoNotOptimize(ParseCommandLine(static_cast<int>(argv.size()), argv.data()));
  }
}
BENCHMARK(BM_ParseCommandLine);

// One tree per cgroup layout discovery distinguishes; FakeSystem hands out copies of the
// file contents, as the real reads would.
void BM_DiscoverCgroupMemory(benchmark::State& state, const char* tree) {
  FakeSystem system = Host(state, tree);
  for (auto _ : state) benchmark::DoNotOptimize(DiscoverCgroupMemory(system));
}
BENCHMARK_CAPTURE(BM_DiscoverCgroupMemory, v1_this_host, "v1-this-host");
BENCHMARK_CAPTURE(BM_DiscoverCgroupMemory, v1_container, "v1-container");
BENCHMARK_CAPTURE(BM_DiscoverCgroupMemory, v2_nested, "v2-nested");
BENCHMARK_CAPTURE(BM_DiscoverCgroupMemory, v2_cgroupns_container, "v2-cgroupns-container");

void BM_Decide(benchmark::State& state) {
  FakeSystem system = Host(state, "v1-leaf-limit");
  const Observed observed = Observe(system, {8 * kGiB, kUnlimited});
  Result<Policy> policy = ParsePolicy(BenchPolicy(), "policy.yaml");
  if (!policy) {
    state.SkipWithError(policy.error().c_str());
    return;
  }
  for (auto _ : state) benchmark::DoNotOptimize(Decide(*policy, observed));
}
BENCHMARK(BM_Decide);

}  // namespace
}  // namespace rlimit_init

BENCHMARK_MAIN();

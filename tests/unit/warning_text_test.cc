// SPDX-License-Identifier: Apache-2.0
// The words of each warning kind, written once in report/warning_text.cc. Decide's tests hold
// the figures (decision_test.cc, decision_limits_test.cc, budget_test.cc, runtime_test.cc);
// these hold the sentences, most of which no golden file reaches (a JVM, Node.js, a GPU ...).
#include "report/warning_text.h"

#include <gtest/gtest.h>

#include <string>

namespace rlimit_init {
namespace {

constexpr std::uint64_t kMiB = 1ULL << 20;
constexpr std::uint64_t kGiB = 1ULL << 30;

Observed Host() {
  Observed o;
  o.cgroup.version = CgroupVersion::kV1;
  o.cgroup.limit = kGiB;
  o.cgroup.limit_source = "/sys/fs/cgroup/memory/job/memory.limit_in_bytes";
  o.cgroup.notes = {HiddenAncestorsNote{"/"}};
  o.budget.quota_source = "/sys/fs/cgroup/cpu/job/cpu.cfs_quota_us";
  o.budget.gpu_devices = {"/dev/nvidia0", "/dev/nvidia1"};
  return o;
}

Policy Overrides() {
  Policy p;
  p.request_origin = "--as";
  LimitSpec nofile;
  nofile.origin = "RLIMIT_INIT_LIMITS nofile";
  p.limits[static_cast<std::size_t>(Resource::kNofile)] = nofile;
  return p;
}

std::string Text(const Warning& warning, const Observed& observed = Host()) {
  return WarningText(warning, observed, Overrides());
}

TEST(WarningText, CgroupNotesAreWordedAsCgroupNoteTextWordsThem) {
  EXPECT_EQ(Text(CgroupNoteWarning{0}),
            "cgroup namespace: limits set on ancestors above / are not visible");
}

TEST(WarningText, StrictOvercommitQuotesWhatIsLeftWhenKnown) {
  EXPECT_EQ(Text(StrictOvercommitWarning{9 * kGiB, 10 * kGiB}),
            "vm.overcommit_memory is 2 (strict accounting): allocations fail with MemoryError "
            "once Committed_AS reaches CommitLimit, whatever the address-space limit; 9 GiB of "
            "10 GiB is committed, 1 GiB left");
  EXPECT_EQ(Text(StrictOvercommitWarning{11 * kGiB, 10 * kGiB}),
            "vm.overcommit_memory is 2 (strict accounting): allocations fail with MemoryError "
            "once Committed_AS reaches CommitLimit, whatever the address-space limit; 11 GiB of "
            "10 GiB is committed, 0 bytes left");
  EXPECT_EQ(Text(StrictOvercommitWarning{}),
            "vm.overcommit_memory is 2 (strict accounting): allocations fail with MemoryError "
            "once Committed_AS reaches CommitLimit, whatever the address-space limit");
}

TEST(WarningText, LimitsOtherThanTheAddressSpaceAreNamedFirst) {
  EXPECT_EQ(Text(KeptHigherSoftWarning{Resource::kNofile, 4096, 20000}),
            "nofile: the request 4096 is below the inherited soft limit 20000, which is kept; "
            "set limits.nofile.lower: true to lower it");
  EXPECT_EQ(Text(BelowMinimumWarning{Resource::kNofile, 2048, 3000, 2500}),
            "nofile: RLIMIT_INIT_LIMITS nofile asks for 2048, below the policy's minimum 3000: "
            "the request wins, so the job gets 2500, less than its policy says it needs; ask "
            "for at least 3000, or lower the policy's minimum");
  EXPECT_EQ(Text(GrantedHardLimitWarning{Resource::kMemlock, 8 * kMiB, kGiB, 8 * kMiB}),
            "memlock: granted the hard limit 8 MiB, less than the 1 GiB requested; the minimum "
            "8 MiB is met");
  EXPECT_EQ(Text(NoCapabilityWarning{Resource::kMemlock, 8 * kMiB}),
            "memlock: raiseHard is set but the process lacks CAP_SYS_RESOURCE in the initial "
            "user namespace, so the hard limit stays 8 MiB");
}

TEST(WarningText, TheAddressSpaceGoesWithoutAName) {
  EXPECT_EQ(Text(BelowMinimumWarning{Resource::kAs, 256 * kMiB, 512 * kMiB, 256 * kMiB}),
            "--as asks for 256 MiB, below the policy's minimum 512 MiB: the request wins, so "
            "the job gets 256 MiB, less than its policy says it needs; ask for at least 512 MiB, "
            "or lower the policy's minimum");
  EXPECT_EQ(Text(GrantedHardLimitWarning{Resource::kAs, 384 * kMiB, 512 * kMiB, 300 * kMiB}),
            "granted the hard limit 384 MiB, less than the 512 MiB requested; the minimum "
            "300 MiB is met");
  EXPECT_EQ(Text(NoCapabilityWarning{Resource::kAs, 384 * kMiB}),
            "raiseHard is set but the process lacks CAP_SYS_RESOURCE in the initial user "
            "namespace, so the hard limit stays 384 MiB");
  EXPECT_EQ(Text(DataLimitWarning{128 * kMiB}),
            "the data limit (RLIMIT_DATA, ulimit -d) is 128 MiB: allocations past it still fail "
            "with MemoryError");
}

TEST(WarningText, AboveTheCgroupLimitKnownOrNot) {
  EXPECT_EQ(Text(AboveCgroupWarning{false, 2 * kGiB, kGiB}),
            "the address space granted (2 GiB) is above the cgroup memory limit 1 GiB "
            "(/sys/fs/cgroup/memory/job/memory.limit_in_bytes): past 1 GiB the kernel OOM-kills "
            "the job instead of letting it catch MemoryError");
  EXPECT_EQ(Text(AboveCgroupWarning{true, kUnlimited, kGiB}),
            "the inherited soft limit (unlimited) is above the cgroup memory limit 1 GiB "
            "(/sys/fs/cgroup/memory/job/memory.limit_in_bytes): past 1 GiB the kernel OOM-kills "
            "the job instead of letting it catch MemoryError; rlimit-init does not lower limits");
  EXPECT_EQ(Text(AboveCgroupWarning{false, 512 * kMiB, std::nullopt}),
            "the address space granted (512 MiB) may be above the cgroup memory limit, which is "
            "unknown: past that limit the kernel OOM-kills the job instead of letting it catch "
            "MemoryError");
  EXPECT_EQ(Text(AboveCgroupWarning{true, 256 * kMiB, std::nullopt}),
            "the inherited soft limit (256 MiB) may be above the cgroup memory limit, which is "
            "unknown: past that limit the kernel OOM-kills the job instead of letting it catch "
            "MemoryError; rlimit-init does not lower limits");
}

BudgetHost Cpus(unsigned cpus, std::optional<unsigned> quota = std::nullopt) {
  BudgetHost host;
  host.affinity_cpus = cpus;
  host.quota_cpus = quota;
  return host;
}

TEST(WarningText, ThreadsSayWhatReservesTheGrantAndTheSettingsThatFit) {
  EXPECT_EQ(Text(*WarnThreads(Cpus(2), {}, 8 * kMiB, 272 * kMiB - 1)),
            "address-space budget: 2 threads (one per CPU of the affinity mask, as OpenBLAS and "
            "OpenMP start them) reserve 136 MiB of the 271.99 MiB grant: 1 more stack of 8 MiB "
            "(RLIMIT_STACK) and OpenBLAS buffers of 128 MiB; threads that call malloc add up to "
            "15 malloc arenas of 64 MiB (8 x 2 CPUs); set env: {MALLOC_ARENA_MAX: \"2\", "
            "OPENBLAS_NUM_THREADS: \"1\"} in the policy, or grant at least 272 MiB");
  EXPECT_EQ(Text(*WarnThreads(Cpus(64, 4), {}, kUnlimited, 8ULL << 30)),
            "address-space budget: 64 threads (one per CPU of the affinity mask, as OpenBLAS and "
            "OpenMP start them) reserve 7.99 GiB of the 8 GiB grant: 63 more stacks of 2 MiB "
            "(glibc's default under an unlimited RLIMIT_STACK) and OpenBLAS buffers of 128 MiB; "
            "threads that call malloc add up to 511 malloc arenas of 64 MiB (8 x 64 CPUs); the "
            "cgroup CPU quota (/sys/fs/cgroup/cpu/job/cpu.cfs_quota_us) allows 4 CPUs; set env: "
            "{MALLOC_ARENA_MAX: \"2\", OPENBLAS_NUM_THREADS: \"4\"} in the policy, or grant at "
            "least 15.99 GiB");
  BudgetHost host = Cpus(8, 1);
  host.inherited[1] = "glibc.malloc.arena_max=2";
  EXPECT_EQ(Text(*WarnThreads(host, {{"OMP_NUM_THREADS", "4,2"}}, 8 * kMiB, 256 * kMiB)),
            "address-space budget: 4 threads (OMP_NUM_THREADS=4,2) reserve 408 MiB of the "
            "256 MiB grant: 3 more stacks of 8 MiB (RLIMIT_STACK) and OpenBLAS buffers of "
            "128 MiB; threads that call malloc add up to 1 malloc arenas of 64 MiB "
            "(glibc.malloc.arena_max=2); the cgroup CPU quota "
            "(/sys/fs/cgroup/cpu/job/cpu.cfs_quota_us) allows 1 CPU; set env: "
            "{OPENBLAS_NUM_THREADS: \"1\"} in the policy, or grant at least 816 MiB");
  EXPECT_EQ(Text(*WarnThreads(Cpus(2), {{"MALLOC_ARENA_MAX", "04"}}, 8 * kMiB, 256 * kMiB)),
            "address-space budget: 2 threads (one per CPU of the affinity mask, as OpenBLAS and "
            "OpenMP start them) reserve 136 MiB of the 256 MiB grant: 1 more stack of 8 MiB "
            "(RLIMIT_STACK) and OpenBLAS buffers of 128 MiB; threads that call malloc add up to "
            "3 malloc arenas of 64 MiB (MALLOC_ARENA_MAX=04); set env: {MALLOC_ARENA_MAX: \"2\", "
            "OPENBLAS_NUM_THREADS: \"1\"} in the policy, or grant at least 272 MiB");
}

TEST(WarningText, GpuNamesTheFirstDeviceNode) {
  EXPECT_EQ(Text(GpuWarning{64 * kGiB}),
            "address-space budget: GPU device node /dev/nvidia0 found under a finite grant of "
            "64 GiB: CUDA reserves tens of GiB of virtual address space when it starts and fails "
            "under RLIMIT_AS; request unlimited address space for a GPU job");
}

Observed Running(WorkloadRuntime runtime) {
  Observed o = Host();
  o.runtime = std::move(runtime);
  return o;
}

std::string RuntimeText(const WorkloadRuntime& runtime, unsigned arena_max,
                        std::uint64_t grant, std::optional<std::uint64_t> memory) {
  std::optional<RuntimeWarning> w = WarnRuntime(runtime, arena_max, grant, memory);
  if (!w) return "";
  return std::visit([&](const auto& kind) { return Text(kind, Running(runtime)); }, *w);
}

WorkloadRuntime Java() {
  WorkloadRuntime r;
  r.kind = RuntimeKind::kJava;
  r.program = "java";
  r.evidence = RuntimeEvidence::kName;
  return r;
}

TEST(WarningText, AJvmWithoutXmxGetsJavaToolOptionsThatFitTheGrant) {
  EXPECT_EQ(RuntimeText(Java(), 0, 2 * kGiB, 64 * kGiB),
            "address-space budget: java (a JVM, by its name) reserves about 2.92 GiB when it "
            "starts, over the 2 GiB grant: a heap of 1 GiB (no -Xmx: half the grant, as the JVM "
            "sizes it under RLIMIT_AS), 1 GiB of compressed class space, 240 MiB of code cache "
            "and about 669 MiB of malloc arenas, thread stacks and libraries; set env: "
            "{JAVA_TOOL_OPTIONS: \"-XX:CompressedClassSpaceSize=64m -XX:ReservedCodeCacheSize=32m "
            "-Xmx1024m\", MALLOC_ARENA_MAX: \"2\"} in the policy, or grant at least 4.25 GiB");
  // The heap a quarter of the memory, under a grant that holds it only with the fix.
  EXPECT_EQ(RuntimeText(Java(), 2, 2 * kGiB, 3 * kGiB),
            "address-space budget: java (a JVM, by its name) reserves about 2.35 GiB when it "
            "starts, over the 2 GiB grant: a heap of 768 MiB (no -Xmx: a quarter of the 3 GiB "
            "of memory), 1 GiB of compressed class space, 240 MiB of code cache and about "
            "347 MiB of malloc arenas, thread stacks and libraries; set env: {JAVA_TOOL_OPTIONS: "
            "\"-XX:CompressedClassSpaceSize=64m -XX:ReservedCodeCacheSize=32m -Xmx768m\"} in "
            "the policy, or grant at least 2.5 GiB");
}

TEST(WarningText, AnXmxOnTheCommandLineStaysAndTheGrantMustHoldIt) {
  WorkloadRuntime java = Java();
  java.java = {2 * kGiB, std::nullopt, std::nullopt, std::nullopt};
  java.java_fixed = {2 * kGiB, std::nullopt, std::nullopt, std::nullopt};
  java.java_tool_options = "-Dfile.encoding=UTF-8";
  EXPECT_EQ(RuntimeText(java, 2, kGiB, std::nullopt),
            "address-space budget: java (a JVM, by its name) reserves about 3.65 GiB when it "
            "starts, over the 1 GiB grant: a heap of 2 GiB (-Xmx2048m), 1 GiB of compressed "
            "class space, 240 MiB of code cache and about 347 MiB of malloc arenas, thread "
            "stacks and libraries; grant at least 2.75 GiB with env: {JAVA_TOOL_OPTIONS: "
            "\"-Dfile.encoding=UTF-8 -XX:CompressedClassSpaceSize=64m "
            "-XX:ReservedCodeCacheSize=32m\"} in the policy, or 4 GiB without");
  // Nothing left for the environment to lower: only the grant can move.
  java.java_fixed = {2 * kGiB, 64 * kMiB, std::nullopt, 32 * kMiB};
  java.java = {2 * kGiB, 64 * kMiB, std::nullopt, 32 * kMiB};
  EXPECT_EQ(RuntimeText(java, 2, kGiB, std::nullopt),
            "address-space budget: java (a JVM, by its name) reserves about 2.51 GiB when it "
            "starts, over the 1 GiB grant: a heap of 2 GiB (-Xmx2048m), 64 MiB of compressed "
            "class space, 32 MiB of code cache and about 347 MiB of malloc arenas, thread "
            "stacks and libraries; grant at least 2.75 GiB");
}

TEST(WarningText, NodeWasmAndItsSwitch) {
  WorkloadRuntime node;
  node.kind = RuntimeKind::kNode;
  node.program = "npm";
  node.evidence = RuntimeEvidence::kShebang;
  node.evidence_name = "node";
  node.node_options = "--max-old-space-size=512";
  EXPECT_EQ(RuntimeText(node, 0, 4 * kGiB, std::nullopt),
            "address-space budget: npm (Node.js, by its #! line runs node) reserves about "
            "711 MiB when it starts and 10 GiB more for each WebAssembly memory (V8's guard "
            "region; fetch() and many libraries use WebAssembly), so the 4 GiB grant holds "
            "none; set env: {NODE_OPTIONS: \"--max-old-space-size=512 "
            "--disable-wasm-trap-handler\"} in the policy (Node.js 20.15 and later; older "
            "versions have no such switch), or grant at least 11.25 GiB for one "
            "WebAssembly memory");
  node.node_options.clear();
  EXPECT_EQ(RuntimeText(node, 0, 512 * kMiB, std::nullopt),
            "address-space budget: npm (Node.js, by its #! line runs node) reserves about "
            "711 MiB when it starts and 10 GiB more for each WebAssembly memory (V8's guard "
            "region; fetch() and many libraries use WebAssembly), so the 512 MiB grant holds "
            "not even its start; grant at least 747 MiB with env: {NODE_OPTIONS: "
            "\"--disable-wasm-trap-handler\"} in the policy (Node.js 20.15 and later; older "
            "versions have no such switch), or 11.25 GiB for one WebAssembly memory");
  node.wasm_trap_handler_off = true;
  EXPECT_EQ(RuntimeText(node, 0, 512 * kMiB, std::nullopt),
            "address-space budget: npm (Node.js, by its #! line runs node) reserves about "
            "711 MiB when it starts, over the 512 MiB grant; grant at least 747 MiB");
}

TEST(WarningText, GoAndSanitizers) {
  WorkloadRuntime go;
  go.kind = RuntimeKind::kGo;
  go.program = "./server";
  go.evidence = RuntimeEvidence::kElfSection;
  go.evidence_name = ".go.buildinfo";
  EXPECT_EQ(RuntimeText(go, 0, 512 * kMiB, std::nullopt),
            "address-space budget: ./server (a Go program, by its ELF section .go.buildinfo) "
            "reserves about 695 MiB before main (its heap arena index and page summaries), over "
            "the 512 MiB grant, and its heap comes on top; GOMEMLIMIT does not lower it: grant "
            "at least 730 MiB and what the heap needs");
  WorkloadRuntime asan;
  asan.kind = RuntimeKind::kSanitizer;
  asan.program = "./test";
  asan.evidence = RuntimeEvidence::kNeededLibrary;
  asan.evidence_name = "libasan.so.8";
  asan.sanitizer = "AddressSanitizer";
  EXPECT_EQ(RuntimeText(asan, 0, 1024 * kGiB, std::nullopt),
            "address-space budget: ./test is built with AddressSanitizer (DT_NEEDED "
            "libasan.so.8): it reserves about 20 TiB of shadow memory when it starts and fails "
            "under any finite RLIMIT_AS, this 1 TiB grant included; request unlimited "
            "(addressSpace: {request: unlimited})");
  asan.sanitizer = "ThreadSanitizer";
  asan.evidence_name = "libtsan.so.2";
  EXPECT_EQ(RuntimeText(asan, 0, 1024 * kGiB, std::nullopt),
            "address-space budget: ./test is built with ThreadSanitizer (DT_NEEDED "
            "libtsan.so.2): it reserves terabytes of shadow memory when it starts and fails "
            "under any finite RLIMIT_AS, this 1 TiB grant included; request unlimited "
            "(addressSpace: {request: unlimited})");
  asan.sanitizer = "MemorySanitizer";
  asan.evidence = RuntimeEvidence::kSymbol;
  asan.evidence_name = "__msan_init";
  EXPECT_EQ(RuntimeText(asan, 0, 1024 * kGiB, std::nullopt),
            "address-space budget: ./test is built with MemorySanitizer (symbol __msan_init): "
            "it reserves terabytes of shadow memory when it starts and fails under any finite "
            "RLIMIT_AS, this 1 TiB grant included; request unlimited (addressSpace: {request: "
            "unlimited})");
  // Stripped, a statically linked runtime leaves only sanitizer_common's hook to tell it by.
  asan.sanitizer.clear();
  asan.evidence = RuntimeEvidence::kStrippedSymbol;
  asan.evidence_name = "__sanitizer_symbolize_code";
  EXPECT_EQ(RuntimeText(asan, 0, 1024 * kGiB, std::nullopt),
            "address-space budget: ./test is built with a sanitizer's runtime (symbol "
            "__sanitizer_symbolize_code, stripped): it reserves terabytes of shadow memory when "
            "it starts and fails under any finite RLIMIT_AS, this 1 TiB grant included; request "
            "unlimited (addressSpace: {request: unlimited})");
}

TEST(WarningText, TextAndJsonSayTheSameWords) {
  const Warnings warnings = {DataLimitWarning{128 * kMiB}, CgroupNoteWarning{0}};
  std::string text;
  AppendWarnings(&text, warnings, Host(), Overrides());
  EXPECT_EQ(text,
            "rlimit-init: warning: the data limit (RLIMIT_DATA, ulimit -d) is 128 MiB: "
            "allocations past it still fail with MemoryError\n"
            "rlimit-init: warning: cgroup namespace: limits set on ancestors above / are not "
            "visible\n");
  EXPECT_EQ(DumpJson(WarningsJson(warnings, Host(), Overrides())),
            "[\"the data limit (RLIMIT_DATA, ulimit -d) is 128 MiB: allocations past it still "
            "fail with MemoryError\",\"cgroup namespace: limits set on ancestors above / are not "
            "visible\"]\n");
}

}  // namespace
}  // namespace rlimit_init

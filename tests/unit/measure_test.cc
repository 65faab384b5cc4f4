// SPDX-License-Identifier: Apache-2.0
#include "run/measure.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <csignal>
#include <fstream>
#include <sstream>

#include "fake_processes.h"
#include "fake_system.h"
#include "fixture_tree.h"
#include "policy/policy.h"
#include "report/measure_report.h"
#include "run/run.h"

namespace rlimit_init {
namespace {

constexpr std::uint64_t kMi = 1024 * 1024;

std::string ReadFixture(const std::string& name) {
  std::ifstream in(std::string(RLIMIT_INIT_FIXTURES) + "/proc-status/" + name);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string Status(int tgid, const char* name, int peak_kib, int hwm_kib, int lck_kib,
                   int threads) {
  return "Name:\t" + std::string(name) + "\nTgid:\t" + std::to_string(tgid) +
         "\nVmPeak:\t" + std::to_string(peak_kib) + " kB\nVmLck:\t" +
         std::to_string(lck_kib) + " kB\nVmHWM:\t" + std::to_string(hwm_kib) +
         " kB\nThreads:\t" + std::to_string(threads) + "\n";
}

TEST(ParseStatus, ReadsARealPythonProcess) {
  std::optional<StatusFields> fields = ParseStatus(ReadFixture("python3-two-threads.txt"));
  ASSERT_TRUE(fields);
  EXPECT_EQ(fields->name, "python3");
  EXPECT_EQ(fields->tgid, 30840);
  EXPECT_EQ(fields->vm_peak, 155832u * 1024);
  EXPECT_EQ(fields->vm_hwm, 13524u * 1024);
  EXPECT_EQ(fields->vm_lck, 0u);
  EXPECT_EQ(fields->threads, 2);
}

TEST(ParseStatus, NeedsTheMemoryLinesAndRefusesGarbage) {
  // A zombie or kernel thread has no Vm* lines: nothing to measure, not zeros.
  EXPECT_FALSE(ParseStatus("Name:\tkthreadd\nTgid:\t2\nThreads:\t1\n"));
  EXPECT_FALSE(ParseStatus("Name:\tx\nTgid:\t2\nVmPeak:\t12 MB\nVmHWM:\t1 kB\n"));
  EXPECT_FALSE(ParseStatus("Name:\tx\nTgid:\t2\nVmPeak:\t-1 kB\nVmHWM:\t1 kB\n"));
  EXPECT_FALSE(ParseStatus("Name:\tx\nTgid:\t2\nVmPeak:\t99999999999999999999 kB\nVmHWM:\t1 kB\n"));
  EXPECT_FALSE(ParseStatus(""));
}

// The calls of the fake of the kinds named, in order.
std::vector<std::string> Calls(const FakeProcesses& processes, std::vector<std::string> kinds) {
  std::vector<std::string> calls;
  for (const std::string& call : processes.calls) {
    for (const std::string& kind : kinds) {
      if (call.starts_with(kind)) calls.push_back(call);
    }
  }
  return calls;
}

// The workload (100) execs, starts a worker (200; its fork is not notified) that calls
// exit_group, and calls exit_group itself: each is sampled while it waits there, and every
// notification is let go on after it.
TEST(Measurement, SamplesEachProcessAtItsExitGroupAndKeepsTheLargest) {
  FakeProcesses processes;
  processes.signals = {SIGCHLD, SIGCHLD};
  processes.samples[200] = {true, Status(200, "worker", 400000, 300000, 64, 1), 9};
  processes.samples[100] = {true, Status(100, "python3", 90000, 21000, 0, 2), 3};
  processes.exits = {{100, false, 0, Stop::kExec},
                     {200, false, 0, Stop::kBeforeExitGroup},
                     {0, false, 0},
                     {100, false, 7, Stop::kBeforeExitGroup},
                     {100, false, 7}};
  Measurement measurement(processes, 100);
  EXPECT_EQ(Supervise(processes, 100, false, &measurement), 7);
  const Usage& u = measurement.usage();
  EXPECT_TRUE(u.workload_execed);
  EXPECT_EQ(u.processes, 2);
  EXPECT_EQ(u.unmeasured, 0);
  EXPECT_EQ(u.vm_peak.value, 400000u * 1024);
  EXPECT_EQ(u.vm_peak.pid, 200);
  EXPECT_EQ(u.vm_peak.name, "worker");
  EXPECT_EQ(u.vm_hwm.value, 300000u * 1024);
  EXPECT_EQ(u.threads.value, 2u);
  EXPECT_EQ(u.threads.pid, 100);
  EXPECT_EQ(u.fds.value, 9u);
  EXPECT_EQ(u.vm_lck.value, 64u * 1024);
  EXPECT_EQ(Calls(processes, {"continue", "sample"}),
            (std::vector<std::string>{"continue 100", "sample 200", "continue 200",
                                      "sample 100", "continue 100"}));
}

// Issue 24.7: threads are not notified, so 2,000 short threads cost the job nothing. The most
// threads of a process and the most tasks at once are what the samples saw: the Threads: line
// of the process at its exit_group (here 3, of a thread that called it while two others ran).
TEST(Measurement, ThreadsAreReadFromTheSamplesNotCounted) {
  FakeProcesses processes;
  processes.signals = {SIGCHLD};
  processes.samples[102] = {true, Status(100, "python3", 90000, 21000, 0, 3), 3};
  processes.exits = {{100, false, 0, Stop::kExec},
                     {102, false, 0, Stop::kBeforeExitGroup},
                     {100, false, 0}};
  Measurement measurement(processes, 100);
  EXPECT_EQ(Supervise(processes, 100, false, &measurement), 0);
  const Usage& u = measurement.usage();
  EXPECT_EQ(Calls(processes, {"sample"}), std::vector<std::string>{"sample 102"});
  EXPECT_EQ(u.threads.pid, 100);
  EXPECT_EQ(u.threads.value, 3u);
  EXPECT_EQ(u.tasks_at_once, 3);
  EXPECT_EQ(u.processes, 1);
  // The thread's exit_group ended process 100: reaped, it is measured.
  EXPECT_EQ(u.unmeasured, 0);
}

std::string RuntimeMaps(const std::string& name) {
  std::ifstream in(std::string(RLIMIT_INIT_FIXTURES) + "/runtimes/maps/" + name);
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_FALSE(text.str().empty()) << name;
  return text.str();
}

TEST(Measurement, ReadsTheMapsOnlyOfTheProcessThatRaisesThePeak) {
  // A shell (no runtime) exits first, then a JVM above it, then a small helper below it: the
  // maps are read for the shell and the JVM, each when it set the peak, never for the helper;
  // the JVM's command line and environment only because it is one.
  FakeProcesses processes;
  processes.signals = {SIGCHLD, SIGCHLD};
  processes.samples[300] = {true, Status(300, "sh", 9000, 2000, 0, 1), 3};
  processes.samples[200] = {true, Status(200, "java", 4000000, 40000, 0, 18), 9};
  processes.samples[100] = {true, Status(100, "helper", 5000, 1000, 0, 1), 3};
  processes.proc_files[{200, "maps"}] = RuntimeMaps("java");
  processes.proc_files[{200, "cmdline"}] = std::string("java\0-version\0", 14);
  processes.proc_files[{200, "environ"}] = std::string("PATH=/usr/bin\0", 14);
  processes.exits = {{100, false, 0, Stop::kExec},
                     {300, false, 0, Stop::kBeforeExitGroup},
                     {200, false, 0, Stop::kBeforeExitGroup},
                     {0, false, 0},
                     {100, false, 0, Stop::kBeforeExitGroup},
                     {100, false, 0}};
  Measurement measurement(processes, 100);
  EXPECT_EQ(Supervise(processes, 100, false, &measurement), 0);
  EXPECT_EQ(processes.proc_reads,
            (std::vector<std::string>{"cmdline 300", "maps 300", "cmdline 200", "maps 200",
                                      "cmdline 200", "environ 200", "cmdline 100"}));
  const Usage& u = measurement.usage();
  ASSERT_TRUE(u.runtime);
  EXPECT_EQ(u.runtime->runtime.kind, MappedRuntimeKind::kJvm);
  EXPECT_EQ(u.runtime->pid, 200);
  EXPECT_EQ(u.runtime->name, "java");
  EXPECT_FALSE(u.runtime->max_heap_pinned);
}

// Seven processes end one after another; the breakdown keeps the five largest by VmPeak with
// the command line each had when it set its peak, and reads a command line only for a process
// that enters it. Process 100 fills 400 MB and execs a small program: its launcher's peak and
// command line stay; the small program's exit_group (from its thread 101) updates nothing.
TEST(Measurement, KeepsTheFiveLargestProcessesWithTheirCommandLines) {
  FakeProcesses processes;
  processes.signals = {SIGCHLD};
  std::vector<ChildExit> script = {{100, false, 0, Stop::kExec}};
  const int sizes[] = {3000, 1000, 5000, 2000, 7000, 4000, 6000};  // KiB of VmPeak, pids 201..
  for (int i = 0; i < 7; ++i) {
    const int pid = 201 + i;
    processes.samples[pid] = {true, Status(pid, "worker", sizes[i], sizes[i] / 2, 0, 1), 3};
    processes.proc_files[{pid, "cmdline"}] = std::string("worker\0", 7) + std::to_string(i) + '\0';
    script.push_back({pid, false, 0, Stop::kBeforeExitGroup});
  }
  processes.samples[100] = {true, Status(100, "launcher", 400000, 390000, 0, 2), 3};
  processes.proc_files[{100, "cmdline"}] = std::string("python3\0fill.py\0", 16);
  script.push_back({100, false, 0, Stop::kBeforeExec});
  processes.samples[101] = {true, Status(100, "small", 9000, 800, 0, 2), 3};
  processes.proc_files[{101, "cmdline"}] = std::string("small\0", 6);
  script.push_back({101, false, 0, Stop::kBeforeExitGroup});
  script.push_back({100, false, 0});
  processes.exits.assign(script.begin(), script.end());
  Measurement measurement(processes, 100);
  EXPECT_EQ(Supervise(processes, 100, false, &measurement), 0);
  const Usage& u = measurement.usage();
  std::vector<std::string> top;
  for (const ProcessPeak& p : u.top) {
    std::string command;
    for (const std::string& word : p.command) command += (command.empty() ? "" : " ") + word;
    top.push_back(std::to_string(p.pid) + " " + p.name + " " + std::to_string(p.vm_peak / 1024) +
                  " " + std::to_string(p.vm_hwm / 1024) + " " + command);
  }
  EXPECT_EQ(top, (std::vector<std::string>{"100 launcher 400000 390000 python3 fill.py",
                                           "205 worker 7000 3500 worker 4",
                                           "207 worker 6000 3000 worker 6",
                                           "203 worker 5000 2500 worker 2",
                                           "206 worker 4000 2000 worker 5"}));
  // 201..205 enter as they come; 206 and 207 push out smaller ones; 100 enters; its small
  // program is below its peak: no read.
  EXPECT_EQ(processes.proc_reads,
            (std::vector<std::string>{"cmdline 201", "maps 201", "cmdline 202", "cmdline 203",
                                      "maps 203", "cmdline 204", "cmdline 205", "maps 205",
                                      "cmdline 206", "cmdline 207", "cmdline 100", "maps 100"}));
  EXPECT_EQ(u.unmeasured, 0);
}

TEST(SplitCmdline, ArgumentsEndedByNulsAndALastOneWithout) {
  EXPECT_EQ(SplitCmdline(std::string("sh\0-c\0\0echo a\0", 14)),
            (std::vector<std::string>{"sh", "-c", "", "echo a"}));
  EXPECT_EQ(SplitCmdline("kthread"), (std::vector<std::string>{"kthread"}));
  EXPECT_EQ(SplitCmdline(""), (std::vector<std::string>{}));
}

TEST(JavaMaxHeapPinned, FromTheLaunchersOptionsOrTheVariablesTheJvmReads) {
  using namespace std::string_literals;
  const std::string env = "PATH=/usr/bin\0"s;
  EXPECT_FALSE(JavaMaxHeapPinned("java\0-version\0"s, env));
  EXPECT_TRUE(JavaMaxHeapPinned("/usr/bin/java\0-Xmx256m\0-version\0"s, env));
  EXPECT_TRUE(JavaMaxHeapPinned("java\0-XX:MaxHeapSize=1g\0-jar\0app.jar\0"s, env));
  // An -Xmx after the main class is the program's argument, not the JVM's.
  EXPECT_FALSE(JavaMaxHeapPinned("java\0-cp\0.\0Main\0-Xmx1g\0"s, env));
  EXPECT_TRUE(JavaMaxHeapPinned("java\0-version\0"s, "A=1\0JAVA_TOOL_OPTIONS=-Xss1m -Xmx2g\0"s));
  EXPECT_TRUE(JavaMaxHeapPinned("java\0Main\0"s, "_JAVA_OPTIONS=-Xmx512m\0"s));
  EXPECT_TRUE(JavaMaxHeapPinned("java\0Main\0"s, "JDK_JAVA_OPTIONS=-Xmx512m\0"s));
  // PySpark's python: its argv is no JVM's; only the variables count.
  EXPECT_FALSE(JavaMaxHeapPinned("python3\0-Xmx1g\0job.py\0"s, env));
  EXPECT_FALSE(JavaMaxHeapPinned("java\0Main\0"s, "MY_JAVA_TOOL_OPTIONS=-Xmx1g\0"s));
}

TEST(Recommend, ASanitizerBuildGetsUnlimitedAndTheFileSaysWhy) {
  Usage usage;
  usage.processes = 1;
  usage.vm_peak = {21990268596224ull, 42, "asanhello"};
  usage.vm_hwm = {5677056, 42, "asanhello"};
  usage.runtime = PeakRuntime{*RuntimeFromMaps(RuntimeMaps("asan")), 42, "asanhello", false};
  std::optional<Recommendation> r = Recommend(usage, std::nullopt, RunSettings{});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->request, kUnlimited);
  EXPECT_EQ(r->minimum, 20971555 * kMi);
  const std::string policy = RenderRecommendedPolicy(*r, usage, "./asanhello");
  EXPECT_NE(policy.find("  request: unlimited  # AddressSanitizer (libasan.so.8.0.0"
                        " in its maps) in pid 42 (asanhello): its shadow memory is a fixed "
                        "reservation (AddressSanitizer's about 20 TiB, docs/runtimes.md) that "
                        "no finite grant is meant for: request unlimited, not the peak + 25%\n"),
            std::string::npos)
      << policy;
  // Without the runtime the same peak gets the peak + 25%.
  usage.runtime.reset();
  EXPECT_EQ(Recommend(usage, std::nullopt, RunSettings{})->request, 26214464 * kMi);
}

// Killed by SIGKILL before any sample: the kernel reports only its end.
TEST(Measurement, CountsAChildThatEndsWithoutItsExitGroupAsNotMeasured) {
  FakeProcesses processes;
  processes.signals = {SIGCHLD};
  processes.exits = {{100, false, 0, Stop::kExec}, {100, true, SIGKILL}};
  Measurement measurement(processes, 100);
  EXPECT_EQ(Supervise(processes, 100, false, &measurement), 137);
  EXPECT_EQ(measurement.usage().unmeasured, 1);
  EXPECT_EQ(measurement.usage().processes, 0);
  EXPECT_FALSE(Recommend(measurement.usage(), std::nullopt, RunSettings{}));
}

Usage SeedUsage() {
  // The seed job as measured on the development machine.
  Usage u;
  u.vm_peak = {328859648, 42, "python3"};
  u.vm_hwm = {322924544, 42, "python3"};
  u.threads = {1, 42, "python3"};
  u.fds = {5, 42, "python3"};
  u.vm_lck = {0, 42, "python3"};
  u.processes = 1;
  u.tasks_at_once = 1;
  u.workload_execed = true;
  return u;
}

TEST(Recommend, PeakPlusHeadroomRoundedUpAndCountsFromTheNeedNotTheMachine) {
  std::optional<Recommendation> r = Recommend(SeedUsage(), std::nullopt, RunSettings{});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->request, 448 * kMi);  // 313.62 MiB * 1.25 = 392.03 MiB, up to 64 MiB steps
  EXPECT_EQ(r->minimum, 314 * kMi);
  EXPECT_EQ(r->require, 308 * kMi);
  EXPECT_FALSE(r->require_from_cgroup);
  EXPECT_EQ(r->nofile, 64u);
  EXPECT_EQ(r->nproc, 64u);
  EXPECT_TRUE(r->env.empty());
  // The job's own cgroup peak, where there is one, is what memory.require comes from.
  Usage busy = SeedUsage();
  busy.fds.value = 3003;
  busy.tasks_at_once = 65;
  r = Recommend(busy, 400 * kMi + 1, RunSettings{});
  EXPECT_EQ(r->require, 401 * kMi);
  EXPECT_TRUE(r->require_from_cgroup);
  EXPECT_EQ(r->nofile, 3776u);  // 3003 * 1.25 = 3753.75, up to 64
  EXPECT_EQ(r->nproc, 128u);
}

TEST(Recommend, PinsTheRunsArenaAndThreadSettings) {
  RunSettings two_cpus{2, 2, std::nullopt, std::nullopt, std::nullopt, std::nullopt};
  std::vector<std::pair<std::string, std::string>> pinned;
  const Recommendation on_two = Recommend(SeedUsage(), std::nullopt, two_cpus).value();
  for (const PinnedVariable& v : on_two.env) {
    pinned.emplace_back(v.name, v.value);
  }
  EXPECT_EQ(pinned, (std::vector<std::pair<std::string, std::string>>{
                        {"MALLOC_ARENA_MAX", "16"}, {"OMP_NUM_THREADS", "2"},
                        {"OPENBLAS_NUM_THREADS", "2"}}));
  // What the run had set is kept as it was; OpenBLAS follows OMP_NUM_THREADS.
  RunSettings set{2, 1, "4", "glibc.malloc.arena_max=3", "3", std::nullopt};
  pinned.clear();
  const Recommendation with_set = Recommend(SeedUsage(), std::nullopt, set).value();
  for (const PinnedVariable& v : with_set.env) {
    pinned.emplace_back(v.name, v.value);
  }
  EXPECT_EQ(pinned, (std::vector<std::pair<std::string, std::string>>{
                        {"GLIBC_TUNABLES", "glibc.malloc.arena_max=3"},
                        {"MALLOC_ARENA_MAX", "4"}, {"OMP_NUM_THREADS", "3"},
                        {"OPENBLAS_NUM_THREADS", "3"}}));
}

TEST(CountCpuList, CountsRangesAndSingles) {
  EXPECT_EQ(CountCpuList("0-1\n"), 2u);
  EXPECT_EQ(CountCpuList("0-31"), 32u);
  EXPECT_EQ(CountCpuList("0,2-5,7"), 6u);
  EXPECT_EQ(CountCpuList(""), std::nullopt);
  EXPECT_EQ(CountCpuList("3-1"), std::nullopt);
  EXPECT_EQ(CountCpuList("a"), std::nullopt);
}

// A launcher (100) fills 400 MiB and execs a small program: the stop before its execve is the
// last moment that peak can be read, and rlimit-init's own exec of the workload is not sampled.
TEST(Measurement, SamplesBeforeEachExecOfTheJobButNotRlimitInitsOwn) {
  FakeProcesses processes;
  processes.signals = {SIGCHLD, SIGCHLD};
  processes.samples[100] = {true, Status(100, "python3", 430000, 420000, 0, 1), 4};
  // rlimit-init's child tries two paths of PATH before the exec that succeeds.
  processes.exits = {{100, false, 0, Stop::kBeforeExec}, {100, false, 0, Stop::kBeforeExec},
                     {100, false, 0, Stop::kExec},       {100, false, 0, Stop::kBeforeExec},
                     {0, false, 0}};
  Measurement measurement(processes, 100);
  // The script ends the workload after the second SIGCHLD (FakeProcesses::kScriptEnded).
  EXPECT_EQ(Supervise(processes, 100, false, &measurement), FakeProcesses::kScriptEnded);
  EXPECT_EQ(Calls(processes, {"sample"}), std::vector<std::string>{"sample 100"});
  EXPECT_EQ(measurement.usage().vm_peak.value, 430000u * 1024);
  EXPECT_EQ(measurement.usage().vm_peak.name, "python3");
}

// Descriptors 3 to 3002 opened, then closed: each close from the floor is notified; one that
// raises the need and is open is counted, with the task's name read once it does.
TEST(Measurement, CountsTheHighestDescriptorAtItsClose) {
  FakeProcesses processes;
  processes.signals = {SIGCHLD};
  processes.samples[100] = {true, Status(100, "python3", 9000, 8000, 0, 1), 3};
  processes.open_fds[100] = {3002};
  ChildExit close_open{100, false, 3002, Stop::kBeforeClose};
  ChildExit close_shut{100, false, 4000, Stop::kBeforeClose};  // EBADF: not open
  processes.exits = {{100, false, 0, Stop::kExec}, close_shut, close_open};
  Measurement measurement(processes, 100);
  Supervise(processes, 100, false, &measurement);
  EXPECT_EQ(measurement.usage().fds.value, 3003u);
  EXPECT_EQ(measurement.usage().fds.name, "python3");
}

TEST(Recommend, ThePolicyItWritesIsAValidPolicyWithTheSameValues) {
  Usage u = SeedUsage();
  RunSettings two_cpus{2, 2, std::nullopt, std::nullopt, std::nullopt, std::nullopt};
  Recommendation r = Recommend(u, std::nullopt, two_cpus).value();
  const std::string text = RenderRecommendedPolicy(r, u, "python3 job.py\n# not a key: 1");
  EXPECT_EQ(text,
            "# recommended by rlimit-init measure from one run of: python3 job.py\\n# not a key: 1\n"
            "\n"
            "apiVersion: rlimit-init/v1\n"
            "addressSpace:\n"
            "  request: 448Mi  # largest VmPeak 313.62 MiB in pid 42 (python3) + 25%, rounded up to "
            "64 MiB\n"
            "  minimum: 314Mi  # largest VmPeak, rounded up to 1 MiB\n"
            "memory:\n"
            "  require: 308Mi  # largest resident peak (VmHWM) of one process in pid 42 (python3), "
            "rounded up to 1 MiB\n"
            "limits:\n"
            "  nofile:\n"
            "    request: 64  # descriptors needed 5 + 25%, rounded up to 64: a higher soft limit is "
            "kept, a lower hard limit refuses the job\n"
            "    minimum: 64\n"
            "  nproc:\n"
            "    request: 64  # most tasks alive at once 1 + 25%, rounded up to 64: a higher soft "
            "limit is kept, a lower hard limit refuses the job\n"
            "    minimum: 64\n"
            "env:  # the run's arena and thread settings, pinned: the peaks above hold on a node with "
            "more CPUs only with them (or measure there)\n"
            "  MALLOC_ARENA_MAX: \"16\"  # glibc's cap in the run: 8 arenas x 2 online CPUs; pinned "
            "so that a node with more CPUs makes no more\n"
            "  OMP_NUM_THREADS: \"2\"  # OpenMP's threads in the run: one per CPU of its affinity "
            "mask; pinned\n"
            "  OPENBLAS_NUM_THREADS: \"2\"  # OpenBLAS's threads in the run: one per CPU of its "
            "affinity mask; pinned\n");
  Result<Policy> policy = ParsePolicy(text, "recommended.yaml");
  ASSERT_TRUE(policy) << policy.error();
  ASSERT_TRUE(policy->minimum);
  EXPECT_EQ(policy->env.size(), 3u);
}

class MeasureRunTest : public testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(LoadFixtureTree("v1-this-host", &system_));
    system_.limit(Resource::kAs) = {256 * kMi, kUnlimited};
    invocation_.mode = Mode::kMeasure;
    invocation_.command = {"python3", "job.py"};
    invocation_.quiet = true;
  }
  int RunIt() {
    return rlimit_init::Run(invocation_, system_, processes_, system_.limit(Resource::kAs));
  }
  FakeSystem system_;
  FakeProcesses processes_;
  Invocation invocation_;
};

TEST_F(MeasureRunTest, TracesTheChildBeforeItsExecAndReportsOnStderr) {
  processes_.run_child = true;
  processes_.signals = {SIGCHLD};
  processes_.samples[100] = {true, Status(100, "python3", 321152, 315356, 0, 1), 5};
  processes_.exits = {{100, false, 0, Stop::kExec},
                      {100, false, 0, Stop::kBeforeExitGroup},
                      {100, false, 0}};
  EXPECT_EQ(RunIt(), 0);
  // The socket pair is made before the fork; the child installs its filter and hands the
  // listener over before its exec (which the fake System makes fail: the child says so); the
  // parent takes the listener, then supervises; what is left of the job is ended after it.
  EXPECT_EQ(std::vector<std::string>(processes_.calls.begin(), processes_.calls.begin() + 8),
            (std::vector<std::string>{"block", "subreaper", "prepare", "spawn", "isolate", "await",
                                      "exec failed", "trace 100"}));
  EXPECT_EQ(processes_.calls.back(), "end trace");
  EXPECT_TRUE(system_.stdout_text.empty());
  EXPECT_NE(system_.stderr_text.find("rlimit-init: measured python3 job.py: exit status 0; 1 "
                                     "process measured at exit\n  address space: largest VmPeak "
                                     "313.62 MiB (328859648 bytes, ulimit -v 321152) in pid 100 "
                                     "(python3)\n"),
            std::string::npos)
      << system_.stderr_text;
}

TEST_F(MeasureRunTest, AWorkloadThatNeverExecsGetsNoReport) {
  processes_.run_child = true;
  processes_.signals = {SIGCHLD};
  processes_.exits = {{100, false, 127}};
  EXPECT_EQ(RunIt(), 127);
  EXPECT_EQ(system_.stderr_text.find("measured"), std::string::npos) << system_.stderr_text;
}

TEST_F(MeasureRunTest, ATraceFailureKillsTheWaitingChildAndIsAnInternalError) {
  processes_.trace_error = EPERM;
  EXPECT_EQ(RunIt(), kExitInternal);
  EXPECT_EQ(system_.stderr_text,
            "rlimit-init: measure cannot trace the workload: recvmsg(SCM_RIGHTS) of the seccomp "
            "listener failed: Operation not permitted; nothing was executed\n");
  EXPECT_EQ(processes_.calls.back(), "kill 100 9");
}

// The child could not install its filter (and said so itself): the parent says nothing more and
// ends with the child's code.
TEST_F(MeasureRunTest, AChildThatFailedBeforeHandingOverItsListenerHasSaidWhy) {
  processes_.trace_error = ECHILD;
  processes_.signals = {SIGCHLD};
  processes_.exits = {{100, false, kExitInternal}};
  EXPECT_EQ(RunIt(), kExitInternal);
  EXPECT_EQ(system_.stderr_text, "");
  EXPECT_EQ(std::count(processes_.calls.begin(), processes_.calls.end(), "kill 100 9"), 0);
}

}  // namespace
}  // namespace rlimit_init

namespace rlimit_init {
namespace {

TEST(UsedBetween, CountsAreDifferencesAndMaxRssTheKernelsRunningMaximum) {
  const ChildrenUsage before{1000, 2000, 5000, 1, 100, 10, 3};
  const ChildrenUsage after{251000, 32000, 9000, 4, 1100, 17, 5};
  const ChildrenUsage used = UsedBetween(before, after);
  EXPECT_EQ(used.user_us, 250000u);
  EXPECT_EQ(used.system_us, 30000u);
  EXPECT_EQ(used.max_rss_kib, 9000u);
  EXPECT_EQ(used.major_faults, 3u);
  EXPECT_EQ(used.minor_faults, 1000u);
  EXPECT_EQ(used.voluntary_switches, 7u);
  EXPECT_EQ(used.involuntary_switches, 2u);
}

// The report says them as /usr/bin/time -v does: m:ss.cc under an hour, h:mm:ss from one,
// seconds to the hundredth (truncated, as time's own).
TEST(RenderMeasureText, SaysTimeFaultsAndMaxRssAsUsrBinTimeDoes) {
  MeasureReport report;
  report.command = {"job"};
  report.times = {83456789, {1234567, 50000, 308124, 2, 12345, 40, 7}};
  std::string text = RenderMeasureText(report);
  EXPECT_NE(text.find("\n  time:          elapsed 1:23.45, user 1.23 s, system 0.05 s (the job's "
                      "processes, as /usr/bin/time -v)\n"
                      "  faults:        major 2, minor 12345; context switches: voluntary 40, "
                      "involuntary 7\n"
                      "  max RSS:       300.9 MiB (308124 kbytes, ru_maxrss: the largest of one "
                      "process)\n"),
            std::string::npos)
      << text;
  report.times.elapsed_us = 3723000000;
  text = RenderMeasureText(report);
  EXPECT_NE(text.find("  time:          elapsed 1:02:03, user"), std::string::npos) << text;
}

}  // namespace
}  // namespace rlimit_init

namespace rlimit_init {
namespace {

std::string Running(int tgid, const char* name, int size_kib, int rss_kib, int threads = 1) {
  return "Name:\t" + std::string(name) + "\nTgid:\t" + std::to_string(tgid) +
         "\nVmPeak:\t" + std::to_string(size_kib) + " kB\nVmSize:\t" + std::to_string(size_kib) +
         " kB\nVmHWM:\t" + std::to_string(rss_kib) + " kB\nVmRSS:\t" + std::to_string(rss_kib) +
         " kB\nThreads:\t" + std::to_string(threads) + "\n";
}

// The timer reads every process of the job once per tick (Processes::Descendants): the resident
// sum's peak is the largest sum over one tick, the most tasks at once the largest sum of their
// threads; a sample that raises a peak reads the command line and maps as an exit's would.
TEST(Measurement, TheTimerSamplesEveryProcessOncePerTickAndSumsThem) {
  FakeProcesses processes;
  processes.clock = {1000, 101000, 101000, 201000, 201000};
  Measurement measurement(processes, 100);
  EXPECT_EQ(measurement.UntilTick(), 100000);  // the first call starts the clock
  measurement.Stopped({100, false, 0, Stop::kExec});
  processes.descendants = {{100, 200}, {100, 200}};
  processes.proc_files[{100, "status"}] = Running(100, "python3", 50000, 20000, 3);
  processes.proc_files[{200, "status"}] = Running(200, "worker", 90000, 70000, 1);
  EXPECT_EQ(measurement.UntilTick(), 0);
  measurement.Tick();
  processes.proc_files[{200, "status"}] = Running(200, "worker", 90000, 10000, 1);
  EXPECT_EQ(measurement.UntilTick(), 0);
  measurement.Tick();
  EXPECT_EQ(processes.proc_reads,
            (std::vector<std::string>{"status 100", "cmdline 100", "maps 100", "status 200",
                                      "cmdline 200", "maps 200", "status 100", "status 200"}));
  const Usage& u = measurement.usage();
  EXPECT_EQ(u.tasks_at_once, 4);
  EXPECT_EQ(u.threads.value, 3u);
  EXPECT_EQ(u.vm_peak.pid, 200);
  EXPECT_EQ(u.processes, 0);  // none measured where it ended
  const Timeline& t = u.timeline;
  EXPECT_EQ(t.samples, 2u);
  EXPECT_EQ(t.interval_us, 100000u);
  EXPECT_EQ(t.rss_sum_peak, 90000u * 1024);
  EXPECT_EQ(t.rss_sum_peak_at_us, 100000u);
  ASSERT_EQ(t.processes.size(), 2u);
  EXPECT_EQ(t.processes[0].pid, 100);
  EXPECT_EQ(t.processes[1].name, "worker");
  ASSERT_EQ(t.processes[1].points.size(), 2u);
  EXPECT_EQ(t.processes[1].points[1].at_us, 200000u);
  EXPECT_EQ(t.processes[1].points[1].vm_size, 90000u * 1024);
  EXPECT_EQ(t.processes[1].points[1].vm_rss, 10000u * 1024);
}

// A process the samples saw alive that ends without an exit_group (a signal killed it) was not
// read where it ended: it is counted not measured, and its last sample's peaks stand. One read
// in the sweep before measure forwarded a signal is not: that sweep was its last moment.
TEST(Measurement, AProcessThatEndsUnseenIsNotMeasuredUnlessSweptBeforeASignal) {
  FakeProcesses processes;
  processes.clock = {0, 100000, 100000, 200000, 200000};
  Measurement measurement(processes, 100);
  measurement.UntilTick();
  measurement.Stopped({100, false, 0, Stop::kExec});
  processes.descendants = {{100, 200, 300}, {100, 300}, {100}};
  processes.proc_files[{100, "status"}] = Running(100, "sh", 5000, 1000);
  processes.proc_files[{200, "status"}] = Running(200, "filler", 800000, 700000);
  processes.proc_files[{300, "status"}] = Running(300, "worker", 9000, 2000);
  processes.samples[300] = {true, Running(300, "worker", 9000, 2000), 4};
  measurement.UntilTick();
  measurement.Tick();           // sees 100, 200, 300
  processes.samples[100] = {true, Running(100, "sh", 5000, 1000), 3};
  measurement.BeforeSignal();   // 200 has gone unseen; 100 and 300 are swept
  measurement.UntilTick();
  measurement.Tick();           // 300, killed by the signal, has gone: swept, so measured
  measurement.Stopped({100, false, 0, Stop::kBeforeExitGroup});
  measurement.Ended({100, false, 0});
  const Usage& u = measurement.usage();
  EXPECT_EQ(u.unmeasured, 1);
  EXPECT_EQ(u.processes, 2);  // 100 at its exit_group, 300 in the sweep before its signal
  EXPECT_EQ(u.vm_peak.value, 800000u * 1024);
  EXPECT_EQ(u.vm_peak.name, "filler");
  EXPECT_EQ(u.fds.value, 4u);          // a sweep lists the descriptors
  EXPECT_EQ(u.timeline.samples, 2u);  // and adds no point to the timeline
}

// A signal the job sends that may end its target (abort's SIGABRT, os.kill, a shell's kill) is
// notified: the target is read first, or every process for a group (0); each then ends measured.
TEST(Measurement, ASignalTheJobSendsReadsItsTargetFirst) {
  FakeProcesses processes;
  processes.signals = {SIGCHLD, SIGCHLD};
  processes.descendants = {{100, 200, 300}, {100, 300}, {100, 300}};
  processes.samples[100] = {true, Running(100, "sh", 5000, 1000), 3};
  processes.proc_files[{200, "status"}] = Running(200, "cc1plus", 700000, 600000);
  processes.samples[200] = {true, Running(200, "cc1plus", 700000, 600000), 3};
  processes.samples[300] = {true, Running(300, "worker", 9000, 2000), 3};
  processes.proc_files[{4242, "status"}] = Running(4242, "rlimit-init", 9000000, 9000000);
  processes.exits = {{100, false, 0, Stop::kExec},
                     {200, false, 200, Stop::kBeforeKill},   // abort(): its own SIGABRT
                     {100, false, 4242, Stop::kBeforeKill},  // to measure: not the job's
                     {100, false, 0, Stop::kBeforeKill},     // kill(0, SIGTERM): its group
                     {0, false, 0},
                     {100, true, SIGTERM}};
  Measurement measurement(processes, 100);
  EXPECT_EQ(Supervise(processes, 100, false, &measurement), 128 + SIGTERM);
  const Usage& u = measurement.usage();
  EXPECT_EQ(u.vm_peak.value, 700000u * 1024);
  EXPECT_EQ(u.vm_peak.name, "cc1plus");
  EXPECT_EQ(u.processes, 1);  // 100, reaped after the sweep; 200 and 300 were not seen to end
  EXPECT_EQ(u.unmeasured, 0);
  EXPECT_EQ(Calls(processes, {"descendants", "sample", "continue"}),
            (std::vector<std::string>{"continue 100", "descendants", "sample 200",
                                      "continue 200", "descendants", "continue 100",
                                      "descendants", "sample 100", "sample 300",
                                      "continue 100"}));
}

// measure reads every process of the job before it forwards a signal (SIGTERM here), which may
// kill them before any exit_group: the sweep comes first, then the kill.
TEST(Measurement, SupervisionSweepsTheJobBeforeItForwardsASignal) {
  FakeProcesses processes;
  processes.signals = {SIGCHLD, SIGTERM, SIGCHLD};
  processes.descendants = {{100}};
  processes.samples[100] = {true, Running(100, "python3", 50000, 20000), 3};
  processes.exits = {{100, false, 0, Stop::kExec}, {0, false, 0}, {100, true, SIGTERM}};
  Measurement measurement(processes, 100);
  EXPECT_EQ(Supervise(processes, 100, false, &measurement), 128 + SIGTERM);
  EXPECT_EQ(Calls(processes, {"descendants", "sample", "kill"}),
            (std::vector<std::string>{"descendants", "sample 100", "kill 100 15"}));
  EXPECT_EQ(measurement.usage().vm_peak.value, 50000u * 1024);
  EXPECT_EQ(measurement.usage().unmeasured, 0);
}

TEST(ThinTimeline, KeepsEveryOtherSampleAndDoublesTheInterval) {
  Timeline t;
  t.samples = 5;
  t.processes = {{7, "a", {{0, 0, 1, 1}, {1, 100, 2, 2}, {2, 200, 3, 3}, {3, 300, 4, 4},
                           {4, 400, 5, 5}}}};
  ThinTimeline(&t);
  EXPECT_EQ(t.samples, 3u);
  EXPECT_EQ(t.interval_us, 200000u);
  std::vector<std::pair<std::size_t, std::uint64_t>> kept;
  for (const TimelinePoint& p : t.processes[0].points) kept.push_back({p.tick, p.at_us});
  EXPECT_EQ(kept, (std::vector<std::pair<std::size_t, std::uint64_t>>{{0, 0}, {1, 200}, {2, 400}}));
}

TEST(RenderMeasureText, SaysWhereTheWholeTreesPeakCameFrom) {
  MeasureReport report;
  report.command = {"job"};
  report.cgroup.missing = CgroupPeakMissing::kShared;
  EXPECT_NE(RenderMeasureText(report).find(
                "\n  whole tree:    not sampled: the job ended before the first sample (every "
                "100 ms); as the only process of a cgroup it gets the cgroup's exact peak\n"),
            std::string::npos);
  report.usage.timeline.samples = 3;
  report.usage.timeline.rss_sum_peak = 300 * kMi;
  report.usage.timeline.rss_sum_peak_at_us = 1234567;
  EXPECT_NE(RenderMeasureText(report).find(
                "\n  whole tree:    300 MiB (314572800 bytes) at once, 1.23 s in: the largest sum "
                "of the processes' resident sets, sampled every 100 ms (a peak between two "
                "samples is missed)\n"),
            std::string::npos);
  report.cgroup.bytes = 310 * kMi;
  EXPECT_NE(RenderMeasureText(report).find(
                "\n  whole tree:    310 MiB (325058560 bytes) at once: the cgroup's peak\n"),
            std::string::npos);
}

}  // namespace
}  // namespace rlimit_init

#include "report/measure_plot.h"

namespace rlimit_init {
namespace {

TEST(XmlText, EscapesMarkupAndMakesControlCharactersPrintable) {
  EXPECT_EQ(XmlText("a<b>&\"c'"), "a&lt;b&gt;&amp;&quot;c&apos;");
  EXPECT_EQ(XmlText(std::string("x\x01y\nz", 5)), "x\\x01y\\nz");
}

}  // namespace
}  // namespace rlimit_init

namespace rlimit_init {
namespace {

TEST(MergeRuns, EachFigureTheLargerAndTheBreakdownOfTheLargerVmPeak) {
  Usage first, second;
  first.vm_peak = {500, 10, "a"};
  first.vm_hwm = {400, 10, "a"};
  first.tasks_at_once = 9;
  first.top = {{10, "a", 500, 400, {"a"}}};
  second.vm_peak = {700, 20, "b"};
  second.vm_hwm = {300, 20, "b"};
  second.tasks_at_once = 4;
  second.top = {{20, "b", 700, 300, {"b"}}};
  second.timeline.rss_sum_peak = 900;
  const Usage merged = MergeRuns(first, second);
  EXPECT_EQ(merged.vm_peak.pid, 20);
  EXPECT_EQ(merged.vm_hwm.value, 400u);
  EXPECT_EQ(merged.vm_hwm.pid, 10);
  EXPECT_EQ(merged.tasks_at_once, 9);
  EXPECT_EQ(merged.top[0].pid, 20);
  EXPECT_EQ(merged.timeline.rss_sum_peak, 900u);
}

TEST(RenderMeasureText, SaysTheSpreadOfSeveralRuns) {
  MeasureReport report;
  report.command = {"job"};
  report.runs = {{0, 100 * kMi, 50 * kMi, 0, 1500000, 0, 0},
                 {0, 120 * kMi, 40 * kMi, 60 * kMi, 2250000, 0, 0}};
  EXPECT_NE(RenderMeasureText(report).find(
                "\n  runs:          2, each figure above the largest of them; min to max: VmPeak "
                "100 MiB to 120 MiB, VmHWM 40 MiB to 50 MiB, sampled resident sum 0 bytes to 60 "
                "MiB, elapsed 0:01.50 to 0:02.25\n"),
            std::string::npos)
      << RenderMeasureText(report);
}

TEST(SpreadOf, TheLeastAndTheLargestOfOneFigureOverTheRuns) {
  std::vector<RunFigures> runs(3);
  runs[0].vm_peak = 300;
  runs[1].vm_peak = 100;
  runs[2].vm_peak = 200;
  const std::optional<FigureSpread> spread = SpreadOf(runs, &RunFigures::vm_peak);
  ASSERT_TRUE(spread);
  EXPECT_EQ(spread->min, 100u);
  EXPECT_EQ(spread->max, 300u);
  EXPECT_FALSE(SpreadOf({}, &RunFigures::vm_peak));
}

}  // namespace
}  // namespace rlimit_init

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

// A traced run as the kernel reports it: the workload (100) execs, starts a thread (101) and a
// child process (200, the big one). The child is killed by SIGTERM and stops at its exit; the
// thread ends with no exit stop; the workload, alone again, stops before its exit_group.
TEST(Measurement, SamplesEachProcessWhereItEndsAndKeepsTheLargest) {
  FakeProcesses processes;
  processes.signals = {SIGCHLD, SIGCHLD, SIGCHLD};
  processes.samples[200] = {true, Status(200, "worker", 400000, 300000, 64, 1), 9};
  processes.samples[100] = {true, Status(100, "python3", 90000, 21000, 0, 1), 3};
  processes.proc_files[{100, "comm"}] = "python3\n";
  processes.exits = {{100, false, SIGTRAP, Stop::kExec},       {100, false, 101, Stop::kNewThread},
                     {100, false, 200, Stop::kNewTask},        {101, false, SIGTRAP, Stop::kOther},
                     {200, false, SIGTERM, Stop::kSignal},     {0, false, 0},
                     {101, false, 0},                          {200, true, SIGTERM, Stop::kExit},
                     {200, true, SIGTERM},                     {0, false, 0},
                     {100, false, 7, Stop::kBeforeExitGroup},  {100, false, 7}};
  Measurement measurement(processes, 100);
  EXPECT_EQ(Supervise(processes, 100, false, &measurement), 7);
  const Usage& u = measurement.usage();
  EXPECT_TRUE(u.workload_execed);
  EXPECT_EQ(u.processes, 2);
  EXPECT_EQ(u.tasks_at_once, 3);
  EXPECT_EQ(u.unmeasured, 0);
  EXPECT_EQ(u.vm_peak.value, 400000u * 1024);
  EXPECT_EQ(u.vm_peak.pid, 200);
  EXPECT_EQ(u.vm_peak.name, "worker");
  EXPECT_EQ(u.vm_hwm.value, 300000u * 1024);
  EXPECT_EQ(u.threads.value, 2u);
  EXPECT_EQ(u.threads.pid, 100);
  EXPECT_EQ(u.threads.name, "python3");
  EXPECT_EQ(u.fds.value, 9u);
  EXPECT_EQ(u.vm_lck.value, 64u * 1024);
  // Every stop is resumed, the signal-delivery stop with its signal and nothing else with one;
  // the workload, sampled at its exit_group, takes no exit stop after it.
  std::vector<std::string> resumes;
  for (const std::string& call : processes.calls) {
    if (call.starts_with("resume") || call.starts_with("sample") ||
        call.find("exit stops") != call.npos) {
      resumes.push_back(call);
    }
  }
  EXPECT_EQ(resumes, (std::vector<std::string>{"resume 100 0", "resume 100 0", "resume 100 0",
                                                "resume 101 0", "resume 200 15", "sample 200",
                                                "resume 200 0", "sample 100",
                                                "no exit stops 100", "resume 100 0"}));
}

std::vector<std::string> SamplesAndExitStops(const FakeProcesses& processes) {
  std::vector<std::string> calls;
  for (const std::string& call : processes.calls) {
    if (call.starts_with("sample") || call.find("exit stops") != call.npos) calls.push_back(call);
  }
  return calls;
}

// Issue 24.7: 2,000 short threads cost 4 times the job when each stopped at its exit. A thread
// shares its process's address space and descriptors: none is sampled, and the most threads at
// once is counted from the clones and ends (here 3: threads 101 and 102 together).
TEST(Measurement, ThreadsTakeNoExitStopAndAreCountedFromTheirClones) {
  FakeProcesses processes;
  processes.signals = {SIGCHLD, SIGCHLD, SIGCHLD, SIGCHLD};
  processes.samples[100] = {true, Status(100, "python3", 90000, 21000, 0, 1), 3};
  processes.proc_files[{100, "comm"}] = "python3\n";
  processes.exits = {{100, false, SIGTRAP, Stop::kExec},     {100, false, 101, Stop::kNewThread},
                     {101, false, 102, Stop::kNewThread},    {0, false, 0},
                     {101, false, 0},                        {100, false, 103, Stop::kNewThread},
                     {0, false, 0},
                     {102, false, 0},                        {103, false, 0},
                     {0, false, 0},
                     {100, false, 0, Stop::kBeforeExitGroup}, {100, false, 0}};
  Measurement measurement(processes, 100);
  EXPECT_EQ(Supervise(processes, 100, false, &measurement), 0);
  const Usage& u = measurement.usage();
  EXPECT_EQ(SamplesAndExitStops(processes),
            (std::vector<std::string>{"sample 100", "no exit stops 100"}));
  EXPECT_EQ(u.threads.pid, 100);
  EXPECT_EQ(u.threads.value, 3u);
  EXPECT_EQ(u.tasks_at_once, 3);
  EXPECT_EQ(u.processes, 1);
  EXPECT_EQ(u.unmeasured, 0);
  // The name is read once per rise of the count, not once per thread (the command line for
  // the breakdown and the maps at the peak).
  EXPECT_EQ(processes.proc_reads,
            (std::vector<std::string>{"comm 100", "comm 100", "cmdline 100", "maps 100"}));
}

// A thread that calls exit_group while others live ends its process, and the kernel kills the
// leader without its exit stop: the thread gets one, sampled after the others are killed.
TEST(Measurement, AThreadsExitGroupIsSampledAtItsExitStop) {
  FakeProcesses processes;
  processes.signals = {SIGCHLD, SIGCHLD, SIGCHLD};
  processes.samples[101] = {true, Status(100, "go", 700000, 9000, 0, 2), 3};
  processes.exits = {{100, false, SIGTRAP, Stop::kExec},     {100, false, 101, Stop::kNewThread},
                     {0, false, 0},
                     {101, false, 3, Stop::kBeforeExitGroup}, {0, false, 0},
                     {101, false, 3, Stop::kExit},           {101, false, 3},
                     {100, false, 3}};
  Measurement measurement(processes, 100);
  EXPECT_EQ(Supervise(processes, 100, false, &measurement), 3);
  EXPECT_EQ(SamplesAndExitStops(processes),
            (std::vector<std::string>{"exit stops 101", "sample 101"}));
  EXPECT_EQ(measurement.usage().vm_peak.value, 700000u * 1024);
  EXPECT_EQ(measurement.usage().unmeasured, 0);
}

// A signal may kill the process from the thread it is delivered to (a SIGSEGV in a worker):
// that thread gets an exit stop, once however many signals it takes.
TEST(Measurement, AThreadThatTakesASignalGetsAnExitStop) {
  FakeProcesses processes;
  processes.signals = {SIGCHLD, SIGCHLD, SIGCHLD};
  processes.samples[101] = {true, Status(100, "app", 50000, 9000, 0, 2), 3};
  processes.exits = {{100, false, SIGTRAP, Stop::kExec},     {100, false, 101, Stop::kNewThread},
                     {101, false, SIGURG, Stop::kSignal},     {0, false, 0},
                     {101, false, SIGSEGV, Stop::kSignal},    {0, false, 0},
                     {101, true, SIGSEGV, Stop::kExit},      {101, true, SIGSEGV},
                     {100, true, SIGSEGV}};
  Measurement measurement(processes, 100);
  EXPECT_EQ(Supervise(processes, 100, false, &measurement), 128 + SIGSEGV);
  EXPECT_EQ(SamplesAndExitStops(processes),
            (std::vector<std::string>{"exit stops 101", "sample 101"}));
  EXPECT_EQ(measurement.usage().unmeasured, 0);
}

// A leader that leaves with pthread_exit does not end its process: sampled, but a process whose
// last thread then ends unseen is said to be not measured.
TEST(Measurement, ALeadersOwnExitIsNotItsProcesssEnd) {
  FakeProcesses processes;
  processes.signals = {SIGCHLD, SIGCHLD};
  processes.samples[100] = {true, Status(100, "app", 50000, 9000, 0, 2), 3};
  processes.exits = {{100, false, SIGTRAP, Stop::kExec}, {100, false, 101, Stop::kNewThread},
                     {100, false, 0, Stop::kExit},       {0, false, 0},
                     {101, false, 0},                    {100, false, 0}};
  Measurement measurement(processes, 100);
  EXPECT_EQ(Supervise(processes, 100, false, &measurement), 0);
  EXPECT_EQ(SamplesAndExitStops(processes), std::vector<std::string>{"sample 100"});
  EXPECT_EQ(measurement.usage().processes, 1);
  EXPECT_EQ(measurement.usage().unmeasured, 1);
}

// A thread that execs becomes its process (the kernel gives it the leader's pid): it needs the
// exit stop a process has.
TEST(Measurement, AThreadThatExecsGetsAnExitStop) {
  FakeProcesses processes;
  processes.signals = {SIGCHLD};
  processes.samples[101] = {true, Status(100, "launcher", 50000, 9000, 0, 2), 3};
  processes.exits = {{100, false, SIGTRAP, Stop::kExec}, {100, false, 101, Stop::kNewThread},
                     {101, false, SIGTRAP, Stop::kBeforeExec}};
  Measurement measurement(processes, 100);
  Supervise(processes, 100, false, &measurement);
  EXPECT_EQ(SamplesAndExitStops(processes),
            (std::vector<std::string>{"sample 101", "exit stops 101"}));
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
  processes.signals = {SIGCHLD, SIGCHLD, SIGCHLD};
  processes.samples[300] = {true, Status(300, "sh", 9000, 2000, 0, 1), 3};
  processes.samples[200] = {true, Status(200, "java", 4000000, 40000, 0, 18), 9};
  processes.samples[100] = {true, Status(100, "helper", 5000, 1000, 0, 1), 3};
  processes.proc_files[{200, "maps"}] = RuntimeMaps("java");
  processes.proc_files[{200, "cmdline"}] = std::string("java\0-version\0", 14);
  processes.proc_files[{200, "environ"}] = std::string("PATH=/usr/bin\0", 14);
  processes.exits = {{100, false, SIGTRAP, Stop::kExec},    {100, false, 300, Stop::kNewTask},
                     {100, false, 200, Stop::kNewTask},     {0, false, 0},
                     {300, false, SIGTRAP, Stop::kExit},    {300, false, 0},
                     {200, false, SIGTRAP, Stop::kExit},    {200, false, 0},
                     {0, false, 0},
                     {100, false, SIGTRAP, Stop::kExit},    {100, false, 0}};
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
// command line stay; its thread's exit (101) updates nothing.
TEST(Measurement, KeepsTheFiveLargestProcessesWithTheirCommandLines) {
  FakeProcesses processes;
  processes.signals = {SIGCHLD};
  std::vector<ChildExit> script = {{100, false, SIGTRAP, Stop::kExec}};
  const int sizes[] = {3000, 1000, 5000, 2000, 7000, 4000, 6000};  // KiB of VmPeak, pids 201..
  for (int i = 0; i < 7; ++i) {
    const int pid = 201 + i;
    processes.samples[pid] = {true, Status(pid, "worker", sizes[i], sizes[i] / 2, 0, 1), 3};
    processes.proc_files[{pid, "cmdline"}] = std::string("worker\0", 7) + std::to_string(i) + '\0';
    script.push_back({pid, false, SIGTRAP, Stop::kExit});
    script.push_back({pid, false, 0});
  }
  processes.samples[100] = {true, Status(100, "launcher", 400000, 390000, 0, 2), 3};
  processes.proc_files[{100, "cmdline"}] = std::string("python3\0fill.py\0", 16);
  script.push_back({100, false, SIGTRAP, Stop::kBeforeExec});
  processes.samples[101] = {true, Status(100, "small", 9000, 800, 0, 2), 3};
  processes.proc_files[{101, "cmdline"}] = std::string("small\0", 6);
  script.push_back({101, false, SIGTRAP, Stop::kExit});
  script.push_back({101, false, 0});
  script.push_back({100, false, 0});
  processes.exits.assign(script.begin(), script.end());
  Measurement measurement(processes, 100);
  // The workload's own exec: the stop before it is rlimit-init's, not the job's.
  measurement.Stopped({100, false, SIGTRAP, Stop::kExec});
  processes.exits.pop_front();
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
  // 201..205 enter as they come; 206 and 207 push out smaller ones; 100 enters; 101 is its
  // thread, below its peak: no read.
  EXPECT_EQ(processes.proc_reads,
            (std::vector<std::string>{"cmdline 201", "maps 201", "cmdline 202", "cmdline 203",
                                      "maps 203", "cmdline 204", "cmdline 205", "maps 205",
                                      "cmdline 206", "cmdline 207", "cmdline 100", "maps 100"}));
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

TEST(Measurement, CountsTasksThatEndWithoutAnExitStop) {
  FakeProcesses processes;
  processes.signals = {SIGCHLD};
  // Killed by SIGKILL before its exit stop: the kernel reports only its end.
  processes.exits = {{100, false, SIGTRAP, Stop::kExec}, {100, true, SIGKILL}};
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
  processes.exits = {{100, false, SIGTRAP, Stop::kBeforeExec}, {100, false, SIGTRAP, Stop::kExec},
                     {100, false, SIGTRAP, Stop::kBeforeExec}, {0, false, 0},
                     {100, false, SIGTRAP, Stop::kExec}};
  Measurement measurement(processes, 100);
  // The script ends the workload after the second exec (FakeProcesses::kScriptEnded).
  EXPECT_EQ(Supervise(processes, 100, false, &measurement), FakeProcesses::kScriptEnded);
  std::vector<std::string> samples;
  for (const std::string& call : processes.calls) {
    if (call.starts_with("sample")) samples.push_back(call);
  }
  EXPECT_EQ(samples, std::vector<std::string>{"sample 100"});
  // After the workload's own exec no exec of its is reported after the fact: once, for it.
  EXPECT_EQ(std::count(processes.calls.begin(), processes.calls.end(), "no exec stops 100"), 1);
  EXPECT_EQ(measurement.usage().vm_peak.value, 430000u * 1024);
  EXPECT_EQ(measurement.usage().vm_peak.name, "python3");
}

// Descriptors 3 to 3002 opened, then closed: each close from the floor stops; one that raises
// the need and is open is counted, with the task's name read once it does.
TEST(Measurement, CountsTheHighestDescriptorAtItsClose) {
  FakeProcesses processes;
  processes.signals = {SIGCHLD};
  processes.samples[100] = {true, Status(100, "python3", 9000, 8000, 0, 1), 3};
  processes.open_fds[100] = {3002};
  ChildExit close_open{100, false, 3002, Stop::kBeforeClose};
  ChildExit close_shut{100, false, 4000, Stop::kBeforeClose};  // EBADF: not open
  processes.exits = {{100, false, SIGTRAP, Stop::kExec}, close_shut, close_open};
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
  processes_.exits = {{100, false, SIGTRAP, Stop::kExec},
                      {100, false, SIGTRAP, Stop::kExit},
                      {100, false, 0}};
  EXPECT_EQ(RunIt(), 0);
  // The child waits for the tracer before it execs; the parent traces it, then supervises.
  EXPECT_EQ(std::vector<std::string>(processes_.calls.begin(), processes_.calls.begin() + 6),
            (std::vector<std::string>{"block", "subreaper", "spawn", "isolate", "await",
                                      "trace 100"}));
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

TEST_F(MeasureRunTest, ATraceFailureKillsTheStoppedChildAndIsAnInternalError) {
  processes_.trace_error = EPERM;
  EXPECT_EQ(RunIt(), kExitInternal);
  EXPECT_EQ(system_.stderr_text,
            "rlimit-init: measure cannot trace the workload: ptrace(PTRACE_SEIZE) failed: "
            "Operation not permitted; nothing was executed\n");
  EXPECT_EQ(processes_.calls.back(), "kill 100 9");
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

std::string Running(int tgid, const char* name, int size_kib, int rss_kib) {
  return "Name:\t" + std::string(name) + "\nTgid:\t" + std::to_string(tgid) +
         "\nVmPeak:\t" + std::to_string(size_kib) + " kB\nVmSize:\t" + std::to_string(size_kib) +
         " kB\nVmHWM:\t" + std::to_string(rss_kib) + " kB\nVmRSS:\t" + std::to_string(rss_kib) +
         " kB\nThreads:\t1\n";
}

// The timer samples every process once per tick: a thread (101) is read once to learn its
// process, then never again; the resident sum's peak is the largest sum over one tick.
TEST(Measurement, TheTimerSamplesEachProcessOncePerTickAndSumsTheirResidentSets) {
  FakeProcesses processes;
  processes.clock = {1000, 101000, 101000, 201000, 201000};
  Measurement measurement(processes, 100);
  EXPECT_EQ(measurement.UntilTick(), 100000);  // the first call starts the clock
  measurement.Stopped({100, false, SIGTRAP, Stop::kExec});
  measurement.Stopped({101, false, SIGSTOP, Stop::kOther});  // a thread of 100
  measurement.Stopped({200, false, SIGSTOP, Stop::kOther});  // a child process
  processes.proc_files[{100, "status"}] = Running(100, "python3", 50000, 20000);
  processes.proc_files[{101, "status"}] = Running(100, "python3", 50000, 20000);
  processes.proc_files[{200, "status"}] = Running(200, "worker", 90000, 70000);
  EXPECT_EQ(measurement.UntilTick(), 0);
  measurement.Tick();
  processes.proc_files[{200, "status"}] = Running(200, "worker", 90000, 10000);
  EXPECT_EQ(measurement.UntilTick(), 0);
  measurement.Tick();
  EXPECT_EQ(processes.proc_reads,
            (std::vector<std::string>{"status 100", "status 101", "status 200", "status 100",
                                      "status 200"}));
  const Timeline& t = measurement.usage().timeline;
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

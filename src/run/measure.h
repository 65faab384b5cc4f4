// SPDX-License-Identifier: Apache-2.0
// `rlimit-init measure`: what a traced workload used, read from /proc at each task's exit stop
// (before its address space is torn down), and the policy that run recommends. Pure except
// for the Processes seam the Measurement reads samples through.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "base/json.h"
#include "observe/cgroup.h"
#include "observe/runtime_maps.h"
#include "os/processes.h"
#include "run/supervise.h"

namespace rlimit_init {

class System;

/// The fields of /proc/PID/status that measure reads, in bytes where the kernel says kB.
struct StatusFields {
  int tgid = 0;
  std::string name;
  std::uint64_t vm_peak = 0;  // VmPeak: the most address space the process ever had
  std::uint64_t vm_hwm = 0;   // VmHWM: its resident peak
  std::uint64_t vm_lck = 0;   // VmLck: locked memory now
  std::uint64_t vm_size = 0;  // VmSize: its address space now (the timeline)
  std::uint64_t vm_rss = 0;   // VmRSS: its resident set now (the timeline)
  int threads = 0;
};

/// Parses /proc/PID/status text; nullopt unless Tgid, VmPeak and VmHWM are all there (a
/// kernel thread or a task whose address space is gone has no Vm* lines).
std::optional<StatusFields> ParseStatus(std::string_view text);

/// One largest value and the process it was seen in.
struct Peak {
  std::uint64_t value = 0;
  int pid = 0;
  std::string name;
};

/// The runtime of the process that set the largest VmPeak, named from its /proc/PID/maps.
struct PeakRuntime {
  MappedRuntime runtime;
  int pid = 0;
  std::string name;
  // A JVM: whether its command line or JAVA_TOOL_OPTIONS, _JAVA_OPTIONS, JDK_JAVA_OPTIONS fix
  // the heap (-Xmx, -XX:MaxHeapSize=); without it the JVM sizes the heap from the host's RAM.
  bool max_heap_pinned = false;
};

/// Pure. Whether a JVM's heap is pinned, from its /proc/PID/cmdline and /proc/PID/environ
/// (NUL-separated): the launcher's options when argv[0] is java, then the variables the JVM
/// and the launcher read.
bool JavaMaxHeapPinned(std::string_view cmdline, std::string_view environ);

/// One process of the run, by the most address space it had: the per-process breakdown.
struct ProcessPeak {
  int pid = 0;  // its thread group id
  std::string name;  // comm, when it set its VmPeak
  std::uint64_t vm_peak = 0;
  std::uint64_t vm_hwm = 0;
  std::vector<std::string> command;  // /proc/PID/cmdline when it set its VmPeak; empty: none
};

/// How many processes the breakdown keeps: the largest by VmPeak.
inline constexpr std::size_t kTopProcesses = 5;

/// Splits /proc/PID/cmdline (arguments each ended by a NUL) into its arguments.
std::vector<std::string> SplitCmdline(std::string_view cmdline);

/// How often measure samples each process of the job for the timeline and the whole tree's
/// resident sum, and how many samples it keeps: at kMaxSamples every other one is dropped and
/// the interval doubles, so that a long job's report stays a few hundred KiB.
inline constexpr std::uint64_t kSampleIntervalUs = 100000;
inline constexpr std::size_t kMaxSamples = 1000;

/// One sample of one process.
struct TimelinePoint {
  std::size_t tick = 0;    // which sample of the run
  std::uint64_t at_us = 0;  // since the job started
  std::uint64_t vm_size = 0;
  std::uint64_t vm_rss = 0;
};

/// One process's samples; `name` is its comm at its last sample.
struct ProcessTimeline {
  int pid = 0;
  std::string name;
  std::vector<TimelinePoint> points;
};

/// What the timer in Supervise's loop saw: every process of the job at each sample.
struct Timeline {
  std::uint64_t interval_us = kSampleIntervalUs;
  std::size_t samples = 0;
  std::vector<ProcessTimeline> processes;  // in the order each was first sampled
  std::uint64_t rss_sum_peak = 0;          // the largest sum of VmRSS over one sample
  std::uint64_t rss_sum_peak_at_us = 0;
};

/// Pure. Keeps every other sample (ticks 0, 2, 4, ... renumbered 0, 1, 2, ...) and doubles
/// the interval.
void ThinTimeline(Timeline* timeline);

/// What a whole traced run used.
struct Usage {
  Peak vm_peak;                 // largest VmPeak of one process (RLIMIT_AS is per process)
  Peak vm_hwm;                  // largest resident peak of one process
  Peak threads;                 // most threads in one process (counted: clones minus ends)
  Peak fds;                     // highest descriptor number + 1 in one process (its need)
  Peak vm_lck;                  // most locked memory in one process
  int processes = 0;            // processes measured at their exit
  int tasks_at_once = 0;        // most tasks (processes and threads) alive at once: RLIMIT_NPROC
  int unmeasured = 0;           // processes that ended without a stop at their end (SIGKILL)
  bool workload_execed = false; // the workload's exec succeeded
  std::optional<PeakRuntime> runtime;  // the runtime of vm_peak's process, when its maps show one
  std::vector<ProcessPeak> top;  // the kTopProcesses largest processes by VmPeak, largest first
  Timeline timeline;
};

/// Watches a traced run (a TaskObserver for Supervise) and samples each process where it ends:
/// at its exit_group, or at the exit stop of the task that ends it. Threads have no exit stop
/// (Processes::SetExitStops) unless one may end their process: at a signal (which may kill it),
/// an exec (the thread becomes the process) or an exit_group while other threads are alive.
class Measurement : public TaskObserver {
 public:
  Measurement(Processes& processes, int workload_pid)
      : processes_(processes), workload_pid_(workload_pid), alive_(1) {
    processes_alive_[workload_pid] = {};
  }

  void Stopped(const ChildExit& event) override;
  void Ended(const ChildExit& event) override;
  void Add(const StatusFields& fields, int fds);
  std::int64_t UntilTick() override;
  void Tick() override;  // samples VmSize and VmRSS of every process of the job

  const Usage& usage() const { return usage_; }

 private:
  // A process alive: its tasks as the kernel counts them (Threads:, RLIMIT_NPROC), ended
  // threads until they are reaped included, and how far its end has been seen.
  struct Alive {
    int tasks = 1;
    bool ending = false;    // exit_group called while other tasks were alive
    bool measured = false;  // sampled where it ends
  };

  bool SampleNow(int pid);  // Sample and Add; false when /proc had no address space to read
  void NameRuntime(int pid);  // reads the maps of the process that has just raised the peak
  // Keeps the sample in the breakdown when its process is among the largest; reads the
  // command line only then.
  void Rank(int pid, const StatusFields& fields);
  int ProcessOf(int pid) const;  // the thread group id of a traced task
  void ExitStopsForThread(int pid);  // a thread that may end its process: give it an exit stop

  // The timer's state (measure_sample.cc): the tasks alive, each with its thread group id once
  // a sample has read it (0 before), and when the next sample is due.
  std::map<int, int> tasks_;
  std::map<int, std::size_t> timeline_index_;  // a process's place in usage_.timeline
  std::uint64_t start_us_ = 0;
  std::uint64_t next_tick_us_ = 0;

  Processes& processes_;
  int workload_pid_;
  int alive_;
  std::map<int, Alive> processes_alive_;  // by thread group id, until the leader is reaped
  std::map<int, int> threads_;             // a thread's group id, by thread id, until reaped
  std::set<int> thread_exit_stops_;        // threads given an exit stop back
  std::set<int> processes_seen_;  // thread group ids sampled
  Usage usage_;
};

/// The headroom added to the largest peak for addressSpace.request, and the step it is rounded
/// up to: both stated in the report and in the recommended policy.
inline constexpr unsigned kHeadroomPercent = 25;
inline constexpr std::uint64_t kRequestStep = 64ull << 20;
inline constexpr std::uint64_t kCountStep = 64;

/// What the run had that sets how much memory a job's threads take: the CPUs glibc, OpenMP and
/// OpenBLAS size themselves by, and the variables that override them (nullopt: not set).
struct RunSettings {
  unsigned online_cpus = 0;    // /sys/devices/system/cpu/online: glibc 2.36 makes up to 8
                               // malloc arenas per CPU counted there
  unsigned affinity_cpus = 0;  // the affinity mask: OpenMP and OpenBLAS start a thread per CPU
  std::optional<std::string> malloc_arena_max, glibc_tunables, omp_num_threads,
      openblas_num_threads;
};

/// Counts the CPUs of a kernel CPU list ("0-1", "0,2-5\n"); nullopt when it is not one.
std::optional<unsigned> CountCpuList(std::string_view text);

/// Reads the run's settings (before the workload starts, with the policy's env: applied).
RunSettings ObserveRunSettings(System& system);

/// A variable the recommended policy pins in env:, and why it has that value.
struct PinnedVariable {
  std::string name;
  std::string value;
  std::string reason;
};

/// The policy a run recommends.
struct Recommendation {
  std::uint64_t request = 0;  // addressSpace.request; kUnlimited for a sanitizer build
  std::uint64_t minimum = 0;  // addressSpace.minimum: the peak, to the MiB
  std::uint64_t require = 0;  // memory.require: the resident peak, to the MiB
  bool require_from_cgroup = false;
  // limits.nofile and limits.nproc: what the run needed with the headroom, as both the request
  // and the minimum: a soft limit at or above it is kept without a word, a hard limit below it
  // refuses the job before it starts. Never this machine's own limits.
  std::uint64_t nofile = 0;
  std::uint64_t nproc = 0;
  // env: the run's thread and arena settings, pinned so that the peaks hold on a node with more
  // CPUs than the one measured on.
  std::vector<PinnedVariable> env;
};

/// Nothing when no process was measured. `cgroup_peak` is the job's own cgroup's peak, which
/// memory.require then comes from.
std::optional<Recommendation> Recommend(const Usage& usage,
                                        std::optional<std::uint64_t> cgroup_peak,
                                        const RunSettings& settings);

/// The cgroup's own peak, or why there is none.
struct CgroupPeak {
  std::optional<std::uint64_t> bytes;
  std::string source;  // the file it was read from
  std::string note;    // why it was not read
};

/// The job's time, faults and context switches, as /usr/bin/time -v prints them for its child.
struct JobTimes {
  std::uint64_t elapsed_us = 0;  // wall clock from before the fork to the workload's end
  ChildrenUsage usage;           // getrusage(RUSAGE_CHILDREN) once the workload is reaped
};

/// Pure. What the children reaped between two getrusage(RUSAGE_CHILDREN) calls used: each
/// count and time the difference; ru_maxrss `after`'s, since the kernel keeps only a running
/// maximum of it (with --runs, the largest of every run so far).
ChildrenUsage UsedBetween(const ChildrenUsage& before, const ChildrenUsage& after);

/// One run's figures, for --runs' spread.
struct RunFigures {
  int exit_code = 0;
  std::uint64_t vm_peak = 0;
  std::uint64_t vm_hwm = 0;
  std::uint64_t tree_sampled = 0;  // the largest resident sum the timer saw
  std::uint64_t elapsed_us = 0;
  std::uint64_t user_us = 0;
  std::uint64_t system_us = 0;
};

RunFigures RunFiguresOf(int exit_code, const Usage& usage, const JobTimes& times);

/// Pure. Two runs as one, each figure the larger: the per-process figures (the breakdown, the
/// runtime, the timeline) are the run's with the larger VmPeak; the other peaks, the tasks at
/// once and the resident sum are each the larger of the two.
Usage MergeRuns(const Usage& so_far, const Usage& next);

/// Everything `measure` reports.
struct MeasureReport {
  std::vector<std::string> command;
  int exit_code = 0;
  Usage usage;
  CgroupPeak cgroup;
  RunSettings settings;
  JobTimes times;                 // the run with the largest VmPeak's
  std::vector<RunFigures> runs;   // each run's, in order (one without --runs)
  std::optional<Recommendation> recommendation;
  std::string run_text;  // the decision's text report (text), said before the measurement
  Json run_json;         // the decision's JSON object (json), else null
  std::string report_error;     // why --report's file could not be written, else ""
  std::string recommend_error;  // why --recommend's file could not be written, else ""
  std::string plot_error;       // why --plot's file could not be written, else ""
};

/// Why the cgroup this process is in cannot give the job's own peak ("" when it can: no other
/// process is in it). Read before the workload starts.
std::string CgroupSharedNote(System& system, const CgroupMemory& memory, int own_pid);

/// The job's cgroup peak (v2 memory.peak, v1 memory.max_usage_in_bytes) when `shared_note` is
/// empty, else that note.
CgroupPeak ReadCgroupPeak(System& system, const CgroupMemory& memory,
                          const std::string& shared_note);

}  // namespace rlimit_init

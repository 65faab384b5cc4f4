// SPDX-License-Identifier: Apache-2.0
// What a `measure` run used, as Measurement (run/measure.h) gathers it and the reports and the
// recommendation read it; pure functions over it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "observe/runtime_maps.h"
#include "os/processes.h"

namespace rlimit_init {

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

/// What a whole measured run used.
struct Usage {
  Peak vm_peak;                 // largest VmPeak of one process (RLIMIT_AS is per process)
  Peak vm_hwm;                  // largest resident peak of one process
  Peak threads;                 // most threads in one process (counted: clones minus ends)
  Peak fds;                     // highest descriptor number + 1 in one process (its need)
  Peak vm_lck;                  // most locked memory in one process
  int processes = 0;            // processes measured where they ended (or exec'd)
  int tasks_at_once = 0;        // most tasks (processes and threads) seen alive at once in one
                                // sample: RLIMIT_NPROC
  int unmeasured = 0;           // processes that ended unseen (a signal from outside, a fault)
  bool workload_execed = false; // the workload's exec succeeded
  std::optional<PeakRuntime> runtime;  // the runtime of vm_peak's process, when its maps show one
  std::vector<ProcessPeak> top;  // the kTopProcesses largest processes by VmPeak, largest first
  Timeline timeline;
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

/// The least and the largest of one figure over the runs.
struct FigureSpread {
  std::uint64_t min = 0;
  std::uint64_t max = 0;
};

/// Pure. nullopt without a run.
std::optional<FigureSpread> SpreadOf(const std::vector<RunFigures>& runs,
                                     std::uint64_t RunFigures::*figure);

/// Pure. Two runs as one, each figure the larger: the per-process figures (the breakdown, the
/// runtime, the timeline) are the run's with the larger VmPeak; the other peaks, the tasks at
/// once and the resident sum are each the larger of the two.
Usage MergeRuns(const Usage& so_far, const Usage& next);

}  // namespace rlimit_init

// SPDX-License-Identifier: Apache-2.0
// `rlimit-init measure`'s watcher: what a traced workload used, read from /proc at each task's
// exit stop (before its address space is torn down). Pure except for the Processes seam the
// Measurement reads samples through; what it gathers is decide/usage.h's Usage.
#pragma once

#include <cstdint>
#include <map>
#include <set>

#include "decide/usage.h"
#include "observe/proc_text.h"
#include "os/processes.h"
#include "run/supervise.h"

namespace rlimit_init {

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

  // The timer's state (Tick): the tasks alive, each with its thread group id once
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

}  // namespace rlimit_init

// SPDX-License-Identifier: Apache-2.0
// `rlimit-init measure`'s watcher: what a measured workload used, read from /proc while each
// process waits in its exit_group or exec (before its address space is torn down). Pure except
// for the Processes seam the Measurement reads samples through; what it gathers is
// decide/usage.h's Usage.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>

#include "decide/usage.h"
#include "observe/proc_text.h"
#include "os/processes.h"
#include "run/supervise.h"

namespace rlimit_init {

/// Watches a measured run (a TaskObserver for Supervise): samples each process where it ends
/// (its exit_group) and before each exec, from the job's seccomp notifications; and every
/// process of the job at each tick of its timer and before a signal is forwarded. Threads and
/// forks are not notified: the most threads and tasks at once are the largest the samples saw.
/// A signal sent by the job or forwarded by measure reads the processes it may end first.
class Measurement : public TaskObserver {
 public:
  Measurement(Processes& processes, int workload_pid)
      : processes_(processes), workload_pid_(workload_pid) {}

  void Stopped(const ChildExit& event) override;
  void Ended(const ChildExit& event) override;
  void BeforeSignal() override;  // samples every process of the job
  std::int64_t UntilTick() override;
  void Tick() override;  // samples every process of the job, a point of the timeline each

  const Usage& usage() const { return usage_; }

 private:
  // Samples the waiting task `pid` where its process ends or execs; false when /proc had no
  // address space to read. `tgid` is its process.
  bool SampleNow(int pid, int* tgid);
  // Raises the peaks with one sample of process `pid` (`fds` -1: not listed).
  void Take(int pid, const StatusFields& fields, int fds);
  void NameRuntime(int pid);  // reads the maps of the process that has just raised the peak
  // Keeps the sample in the breakdown when its process is among the largest; reads the
  // command line only then.
  void Rank(int pid, const StatusFields& fields);
  // Reads every process of the job now; with `timeline`, a point of the timeline each.
  void SampleEveryProcess(bool timeline, std::uint64_t now);
  // Reads a process a signal may end, with its descriptors (swept_); nothing when it has no
  // address space to read.
  std::optional<StatusFields> Sweep(int pid);
  // A process seen alive has ended without an exit_group: measured if swept, else not.
  void Gone(int tgid);

  std::map<int, std::size_t> timeline_index_;  // a process's place in usage_.timeline
  std::uint64_t start_us_ = 0;
  std::uint64_t next_tick_us_ = 0;

  Processes& processes_;
  int workload_pid_;
  std::set<int> alive_;   // processes seen alive (a sample, a notification) and not seen end
  std::set<int> ended_;   // processes sampled at their exit_group, until their pid is seen again
  std::set<int> swept_;   // processes read before a signal that may kill them (kBeforeKill, and
                          // BeforeSignal's sweep before measure forwards one)
  std::set<int> processes_seen_;  // processes sampled where they end or exec
  Usage usage_;
};

}  // namespace rlimit_init

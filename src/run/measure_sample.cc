// SPDX-License-Identifier: Apache-2.0
// measure's timer: every kSampleIntervalUs, from Supervise's loop (never a stop of the job), the
// address space and resident set of every process of the job, from /proc/PID/status. It gives
// the timeline and, when the cgroup's own peak is not the job's, the whole tree's resident
// peak: the largest sum over one sample, which misses a peak between two samples.
#include <algorithm>
#include <set>

#include "run/measure.h"

namespace rlimit_init {

std::int64_t Measurement::UntilTick() {
  const std::uint64_t now = processes_.NowMicroseconds();
  if (next_tick_us_ == 0) {
    start_us_ = now;
    next_tick_us_ = now + usage_.timeline.interval_us;
    tasks_.emplace(workload_pid_, 0);
  }
  return next_tick_us_ > now ? static_cast<std::int64_t>(next_tick_us_ - now) : 0;
}

void Measurement::Tick() {
  const std::uint64_t now = processes_.NowMicroseconds();
  Timeline& timeline = usage_.timeline;
  next_tick_us_ = std::max(next_tick_us_ + timeline.interval_us, now + 1);
  // Before its exec the workload is rlimit-init's own child, not the job.
  if (!usage_.workload_execed) return;
  std::set<int> sampled;
  std::uint64_t sum = 0;
  for (auto& [tid, tgid] : tasks_) {
    if (tgid != 0 && sampled.contains(tgid)) continue;  // a thread of a process sampled already
    // A task not yet known is read itself (its status names its process); a known one's
    // process is read through its thread group id.
    const std::optional<StatusFields> fields =
        ParseStatus(processes_.ReadProcFile(tgid != 0 ? tgid : tid, "status"));
    if (!fields) continue;  // ended, or a zombie leader: no address space to read
    tgid = fields->tgid;
    if (!sampled.insert(tgid).second) continue;
    sum += fields->vm_rss;
    auto [place, added] = timeline_index_.emplace(tgid, timeline.processes.size());
    if (added) timeline.processes.push_back({tgid, "", {}});
    ProcessTimeline& process = timeline.processes[place->second];
    process.name = fields->name;
    process.points.push_back({timeline.samples, now - start_us_, fields->vm_size,
                              fields->vm_rss});
  }
  if (sum > timeline.rss_sum_peak) {
    timeline.rss_sum_peak = sum;
    timeline.rss_sum_peak_at_us = now - start_us_;
  }
  if (++timeline.samples >= kMaxSamples) ThinTimeline(&timeline);
}

}  // namespace rlimit_init

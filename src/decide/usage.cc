// SPDX-License-Identifier: Apache-2.0
#include "decide/usage.h"

#include <algorithm>
#include <utility>

namespace rlimit_init {

void ThinTimeline(Timeline* timeline) {
  for (ProcessTimeline& process : timeline->processes) {
    std::vector<TimelinePoint> kept;
    for (TimelinePoint point : process.points) {
      if (point.tick % 2 != 0) continue;
      point.tick /= 2;
      kept.push_back(point);
    }
    process.points = std::move(kept);
  }
  timeline->samples = (timeline->samples + 1) / 2;
  timeline->interval_us *= 2;
}

RunFigures RunFiguresOf(int exit_code, const Usage& usage, const JobTimes& times) {
  return {exit_code,           usage.vm_peak.value, usage.vm_hwm.value,
          usage.timeline.rss_sum_peak, times.elapsed_us, times.usage.user_us,
          times.usage.system_us};
}

std::optional<FigureSpread> SpreadOf(const std::vector<RunFigures>& runs,
                                     std::uint64_t RunFigures::*figure) {
  if (runs.empty()) return std::nullopt;
  FigureSpread spread{runs.front().*figure, runs.front().*figure};
  for (const RunFigures& run : runs) {
    spread.min = std::min(spread.min, run.*figure);
    spread.max = std::max(spread.max, run.*figure);
  }
  return spread;
}

Usage MergeRuns(const Usage& so_far, const Usage& next) {
  const bool next_larger = next.vm_peak.value > so_far.vm_peak.value;
  Usage merged = next_larger ? next : so_far;
  const Usage& other = next_larger ? so_far : next;
  for (auto [mine, theirs] : {std::pair{&merged.vm_hwm, &other.vm_hwm},
                              std::pair{&merged.threads, &other.threads},
                              std::pair{&merged.fds, &other.fds},
                              std::pair{&merged.vm_lck, &other.vm_lck}}) {
    if (theirs->value > mine->value) *mine = *theirs;
  }
  merged.tasks_at_once = std::max(merged.tasks_at_once, other.tasks_at_once);
  merged.unmeasured += other.unmeasured;
  if (other.timeline.rss_sum_peak > merged.timeline.rss_sum_peak) {
    merged.timeline.rss_sum_peak = other.timeline.rss_sum_peak;
    merged.timeline.rss_sum_peak_at_us = other.timeline.rss_sum_peak_at_us;
  }
  return merged;
}

ChildrenUsage UsedBetween(const ChildrenUsage& before, const ChildrenUsage& after) {
  return {after.user_us - before.user_us,
          after.system_us - before.system_us,
          after.max_rss_kib,
          after.major_faults - before.major_faults,
          after.minor_faults - before.minor_faults,
          after.voluntary_switches - before.voluntary_switches,
          after.involuntary_switches - before.involuntary_switches};
}

}  // namespace rlimit_init

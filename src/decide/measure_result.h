// SPDX-License-Identifier: Apache-2.0
// Everything `measure` reports about a run, gathered by run/run.cc and rendered by
// report/measure_report and report/measure_plot.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "base/json.h"
#include "decide/recommend.h"
#include "decide/usage.h"
#include "observe/cgroup_peak.h"
#include "observe/run_settings.h"

namespace rlimit_init {

/// Everything `measure` reports.
struct MeasureReport {
  std::vector<std::string> command;
  int exit_code = 0;
  Usage usage;
  CgroupPeak cgroup;
  // The job's own pids cgroup's most tasks at once, or why it has none; when read, it is
  // usage.tasks_at_once unless the samples saw more.
  TasksPeak pids;
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

}  // namespace rlimit_init

// SPDX-License-Identifier: Apache-2.0
// The report's word on where the most tasks at once came from: the pids cgroup's peak, or the
// samples and why not the cgroup's.
#include <gtest/gtest.h>

#include <string>

#include "base/json.h"
#include "decide/measure_result.h"
#include "report/measure_report.h"

namespace rlimit_init {
namespace {

const std::string kCounts = "(processes and threads, as RLIMIT_NPROC counts them): ";

std::string TasksLine(const MeasureReport& report) {
  const std::string text = RenderMeasureText(report);
  const std::size_t at = text.find("  tasks at once: ");
  if (at == std::string::npos) return text;
  return text.substr(at, text.find('\n', at) - at);
}

Json TasksPeakJson(const MeasureReport& report) {
  return Json::parse(RenderMeasureJson(report))["tasks_peak"];
}

MeasureReport Report(int sampled) {
  MeasureReport report;
  report.command = {"job"};
  report.usage.tasks_at_once = sampled;
  return report;
}

TEST(TasksAtOnce, ExactFromThePidsCgroupsPeak) {
  MeasureReport report = Report(301);
  report.pids.tasks = 301;
  report.pids.source = "/sys/fs/cgroup/pids/job/pids.peak";
  EXPECT_EQ(TasksLine(report), "  tasks at once: 301 " + kCounts +
                                   "exact, from /sys/fs/cgroup/pids/job/pids.peak less measure's "
                                   "own task");
  EXPECT_EQ(TasksPeakJson(report),
            Json::parse(R"({"source": "cgroup", "file": "/sys/fs/cgroup/pids/job/pids.peak",
                            "note": null})"));
}

TEST(TasksAtOnce, SampledSaysWhyThePidsPeakWasNotRead) {
  const std::string sampled = "sampled, a burst between two samples is missed; ";
  MeasureReport report = Report(3);
  report.pids.missing = CgroupPeakMissing::kShared;
  report.pids.path = "/sys/fs/cgroup/pids";
  report.pids.others = 93;
  const std::string shared =
      "pids.peak not read: the cgroup /sys/fs/cgroup/pids held 93 other processes when the job "
      "started, so its peak is not the job's (run measure as the only process of a cgroup, such "
      "as a container's entrypoint, to get it)";
  EXPECT_EQ(TasksLine(report), "  tasks at once: 3 " + kCounts + sampled + shared);
  EXPECT_EQ(TasksPeakJson(report),
            Json({{"source", "sampled"}, {"file", nullptr}, {"note", shared}}));
  report.pids.missing = CgroupPeakMissing::kOtherTasks;
  report.pids.others = 1;
  EXPECT_EQ(TasksLine(report),
            "  tasks at once: 3 " + kCounts + sampled +
                "pids.peak not read: the cgroup /sys/fs/cgroup/pids and the cgroups below it held "
                "1 other task when the job started, so its peak is not the job's (run measure as "
                "the only process of a cgroup, such as a container's entrypoint, to get it)");
  report.pids.missing = CgroupPeakMissing::kUnreadable;
  report.pids.path = "/sys/fs/cgroup/job/pids.peak";
  EXPECT_EQ(TasksLine(report), "  tasks at once: 3 " + kCounts + sampled +
                                   "pids.peak not read: cannot read /sys/fs/cgroup/job/pids.peak");
  report.pids.missing = CgroupPeakMissing::kNoDirectory;
  EXPECT_EQ(TasksLine(report), "  tasks at once: 3 " + kCounts + sampled +
                                   "pids.peak not read: no cgroup pids controller directory was "
                                   "found for this process");
  // The memory peak's own reason still names its controller.
  report.cgroup.missing = CgroupPeakMissing::kNoDirectory;
  EXPECT_NE(RenderMeasureText(report).find("  cgroup peak:   not read: no cgroup memory "
                                           "controller directory was found for this process\n"),
            std::string::npos);
}

TEST(TasksAtOnce, SampledWhenTheSamplesSawMoreThanTheCgroup) {
  // run.cc keeps the larger figure: here a task of the job left the cgroup.
  MeasureReport report = Report(5);
  report.pids.tasks = 2;
  report.pids.source = "/sys/fs/cgroup/pids/job/pids.peak";
  const std::string note =
      "pids.peak not used: /sys/fs/cgroup/pids/job/pids.peak less measure's own task is 2, "
      "below the samples: a task of the job left its cgroup";
  EXPECT_EQ(TasksLine(report), "  tasks at once: 5 " + kCounts +
                                   "sampled, a burst between two samples is missed; " + note);
  EXPECT_EQ(TasksPeakJson(report)["note"], note);
}

}  // namespace
}  // namespace rlimit_init

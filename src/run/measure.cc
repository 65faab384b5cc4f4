// SPDX-License-Identifier: Apache-2.0
#include "run/measure.h"

#include <algorithm>
#include <charconv>
#include <set>
#include <vector>

#include "observe/cgroup.h"
#include "base/limit.h"
#include "observe/meminfo.h"
#include "observe/runtime.h"

namespace rlimit_init {
namespace {

void Raise(Peak* peak, std::uint64_t value, const StatusFields& fields) {
  if (value <= peak->value && peak->pid != 0) return;
  *peak = {value, fields.tgid, fields.name};
}

}  // namespace

void Measurement::Stopped(const ChildExit& event) {
  if (event.stop == Stop::kExec) {
    if (event.pid == workload_pid_) usage_.workload_execed = true;
    return;
  }
  // Before its exec the workload is rlimit-init's own child, not the job: its exec, and the exit
  // of one that failed, are not measured.
  if (!usage_.workload_execed) return;
  int tgid = 0;
  switch (event.stop) {
    case Stop::kBeforeExitGroup:
      // The one moment the process's memory can still be read: past it the kernel tears the
      // address space down and /proc shows no Vm* lines. Its other threads still run until the
      // kernel kills them, and ask for nothing more.
      if (SampleNow(event.pid, &tgid)) {
        alive_.erase(tgid);
        swept_.erase(tgid);
        ended_.insert(tgid);
      }
      break;
    case Stop::kBeforeExec:
      // The last moment the old program's peaks can be read: once the exec succeeds its address
      // space is gone. The process lives on as the new program.
      if (SampleNow(event.pid, &tgid)) {
        ended_.erase(tgid);
        alive_.insert(tgid);
      }
      break;
    case Stop::kBeforeClose:
      // A close below the floor is not notified (see kStoppedCloseFloor); close_range says no
      // descriptor (-1): the list is read.
      if (event.value < 0) {
        SampleNow(event.pid, &tgid);
      } else if (static_cast<std::uint64_t>(event.value) + 1 > usage_.fds.value &&
                 processes_.DescriptorOpen(event.pid, event.value)) {
        ProcessSample sample = processes_.Sample(event.pid);
        std::optional<StatusFields> fields;
        if (sample.ok) fields = ParseStatus(sample.status);
        if (fields) Raise(&usage_.fds, static_cast<std::uint64_t>(event.value) + 1, *fields);
      }
      break;
    case Stop::kBeforeKill:
      // The signal may end its target without a call of the target's own: it is read now, as
      // every process is before measure forwards a signal of its own.
      if (event.value > 0) {
        // Only a process of the job is read: a signal to measure itself or to a process
        // outside the job tells nothing of the job.
        const std::optional<StatusFields> target =
            ParseStatus(processes_.ReadProcFile(event.value, "status"));
        const std::vector<int> job = target ? processes_.Descendants() : std::vector<int>();
        if (std::find(job.begin(), job.end(), target ? target->tgid : 0) != job.end()) {
          Sweep(target->tgid);
        }
      } else {
        SampleEveryProcess(false, 0);
      }
      break;
    case Stop::kNone:
    case Stop::kExec:
      break;
  }
}

std::optional<StatusFields> Measurement::Sweep(int pid) {
  const ProcessSample sample = processes_.Sample(pid);
  std::optional<StatusFields> fields;
  if (sample.ok) fields = ParseStatus(sample.status);
  if (!fields) return fields;
  Take(fields->tgid, *fields, sample.fds);
  swept_.insert(fields->tgid);
  return fields;
}

bool Measurement::SampleNow(int pid, int* tgid) {
  ProcessSample sample = processes_.Sample(pid);
  std::optional<StatusFields> fields;
  if (sample.ok) fields = ParseStatus(sample.status);
  if (!fields) return false;
  *tgid = fields->tgid;
  if (processes_seen_.insert(fields->tgid).second) ++usage_.processes;
  Take(pid, *fields, sample.fds);
  return true;
}

void Measurement::Take(int pid, const StatusFields& fields, int fds) {
  const Peak before = usage_.vm_peak;
  Raise(&usage_.vm_peak, fields.vm_peak, fields);
  Raise(&usage_.vm_hwm, fields.vm_hwm, fields);
  Raise(&usage_.threads, static_cast<std::uint64_t>(fields.threads), fields);
  Raise(&usage_.vm_lck, fields.vm_lck, fields);
  if (fds >= 0) Raise(&usage_.fds, static_cast<std::uint64_t>(fds), fields);
  usage_.tasks_at_once = std::max(usage_.tasks_at_once, fields.threads);
  Rank(pid, fields);
  // Only the process that sets the peak is the one whose runtime decides the recommendation,
  // so the maps are read only when a sample raises it: once per rise, not once per process.
  if (usage_.vm_peak.value != before.value || usage_.vm_peak.pid != before.pid) NameRuntime(pid);
}

void Measurement::Rank(int pid, const StatusFields& fields) {
  std::vector<ProcessPeak>& top = usage_.top;
  auto same = std::find_if(top.begin(), top.end(),
                           [&](const ProcessPeak& p) { return p.pid == fields.tgid; });
  if (same != top.end()) {
    // A thread's exit or an exec of the same process: the process keeps its highest VmPeak,
    // with the program that set it (a launcher that filled 400 MB, not what it exec'd).
    same->vm_hwm = std::max(same->vm_hwm, fields.vm_hwm);
    if (fields.vm_peak <= same->vm_peak) return;
    same->vm_peak = fields.vm_peak;
    same->name = fields.name;
    same->command = SplitCmdline(processes_.ReadProcFile(pid, "cmdline"));
  } else {
    // Only a process that enters the breakdown costs a read of its command line: a job of
    // thousands of equal short processes reads a handful.
    if (top.size() == kTopProcesses && fields.vm_peak <= top.back().vm_peak) return;
    top.push_back({fields.tgid, fields.name, fields.vm_peak, fields.vm_hwm,
                   SplitCmdline(processes_.ReadProcFile(pid, "cmdline"))});
  }
  std::stable_sort(top.begin(), top.end(), [](const ProcessPeak& a, const ProcessPeak& b) {
    return a.vm_peak > b.vm_peak;
  });
  if (top.size() > kTopProcesses) top.pop_back();
}

void Measurement::NameRuntime(int pid) {
  usage_.runtime.reset();
  std::optional<MappedRuntime> runtime = RuntimeFromMaps(processes_.ReadProcFile(pid, "maps"));
  if (!runtime) return;
  PeakRuntime peak{*runtime, usage_.vm_peak.pid, usage_.vm_peak.name, false};
  if (runtime->jvm()) {
    const std::string cmdline = processes_.ReadProcFile(pid, "cmdline");
    peak.max_heap_pinned = JavaMaxHeapPinned(cmdline, processes_.ReadProcFile(pid, "environ"));
  }
  usage_.runtime = std::move(peak);
}

void Measurement::Ended(const ChildExit& event) {
  // A child of rlimit-init: the workload, or an orphan it adopted. One that ended by exit_group
  // was read there.
  alive_.erase(event.pid);
  if (ended_.erase(event.pid) == 0) Gone(event.pid);
}

void Measurement::Gone(int tgid) {
  // Read just before a signal that may have killed it: that was its last moment, measured.
  if (swept_.erase(tgid) == 0) {
    ++usage_.unmeasured;
  } else if (processes_seen_.insert(tgid).second) {
    ++usage_.processes;
  }
}

void Measurement::BeforeSignal() {
  if (usage_.workload_execed) SampleEveryProcess(false, 0);
}

// measure's timer: every kSampleIntervalUs, from Supervise's loop (never a stop of the job), the
// address space and resident set of every process of the job, from /proc/PID/status. It gives
// the timeline, the most tasks at once (the sum of the processes' threads) and, when the
// cgroup's own peak is not the job's, the whole tree's resident peak: the largest sum over one
// sample, which misses a peak between two samples.
std::int64_t Measurement::UntilTick() {
  const std::uint64_t now = processes_.NowMicroseconds();
  if (next_tick_us_ == 0) {
    start_us_ = now;
    next_tick_us_ = now + usage_.timeline.interval_us;
  }
  return next_tick_us_ > now ? static_cast<std::int64_t>(next_tick_us_ - now) : 0;
}

void Measurement::Tick() {
  const std::uint64_t now = processes_.NowMicroseconds();
  next_tick_us_ = std::max(next_tick_us_ + usage_.timeline.interval_us, now + 1);
  if (usage_.workload_execed) SampleEveryProcess(true, now);
}

void Measurement::SampleEveryProcess(bool timeline, std::uint64_t now) {
  Timeline& t = usage_.timeline;
  std::set<int> alive;
  std::uint64_t rss = 0;
  int tasks = 0;
  for (int pid : processes_.Descendants()) {
    // A sweep lists the descriptors too: it may be the process's last sample.
    const std::optional<StatusFields> fields =
        timeline ? ParseStatus(processes_.ReadProcFile(pid, "status")) : Sweep(pid);
    if (!fields) continue;  // ended: a zombie has no address space to read
    alive.insert(fields->tgid);
    rss += fields->vm_rss;
    tasks += fields->threads;
    if (!timeline) continue;
    Take(fields->tgid, *fields, -1);
    auto [place, added] = timeline_index_.emplace(fields->tgid, t.processes.size());
    if (added) t.processes.push_back({fields->tgid, "", {}});
    ProcessTimeline& process = t.processes[place->second];
    process.name = fields->name;
    process.points.push_back({t.samples, now - start_us_, fields->vm_size, fields->vm_rss});
  }
  usage_.tasks_at_once = std::max(usage_.tasks_at_once, tasks);
  for (int tgid : alive_) {
    if (!alive.contains(tgid)) Gone(tgid);
  }
  alive_.clear();
  for (int tgid : alive) {
    if (!ended_.contains(tgid)) alive_.insert(tgid);
  }
  if (!timeline) return;
  if (rss > t.rss_sum_peak) {
    t.rss_sum_peak = rss;
    t.rss_sum_peak_at_us = now - start_us_;
  }
  if (++t.samples >= kMaxSamples) ThinTimeline(&t);
}

}  // namespace rlimit_init

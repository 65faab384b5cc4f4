// SPDX-License-Identifier: Apache-2.0
#include "run/measure.h"

#include <algorithm>
#include <charconv>
#include <set>

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
  if (event.stop == Stop::kOther) tasks_.emplace(event.pid, 0);  // a new task's first stop
  switch (event.stop) {
    case Stop::kExit: {
      // The one moment the task's memory can still be read: past it the kernel tears the
      // address space down and /proc shows no Vm* lines. A process ends here when this task
      // called exit_group or dies of a signal (its whole process with it), or is its last task;
      // a thread or a leader leaving others behind (pthread_exit) does not end it.
      auto it = processes_alive_.find(ProcessOf(event.pid));
      const bool ends = it == processes_alive_.end() || it->second.ending || event.signaled ||
                        it->second.tasks == 1;
      if (SampleNow(event.pid) && ends && it != processes_alive_.end()) {
        it->second.measured = true;
      }
      break;
    }
    case Stop::kBeforeExitGroup: {
      // Its process ends. Alone, it is sampled now and needs no exit stop after; with other
      // tasks alive (still running until the kernel kills them) it is sampled at its exit
      // stop, which a thread is given for it.
      const int process = ProcessOf(event.pid);
      Alive& alive = processes_alive_[process];
      if (alive.tasks == 1 && SampleNow(event.pid)) {
        alive.measured = true;
        processes_.SetExitStops(event.pid, false);
      } else {
        alive.ending = true;
        if (event.pid != process) ExitStopsForThread(event.pid);
      }
      break;
    }
    case Stop::kBeforeExec:
      // The last moment the old program's peaks can be read: by PTRACE_EVENT_EXEC its address
      // space is gone. rlimit-init's own child execing the workload is not the job. A thread
      // that execs becomes its process, which needs its exit stop.
      if (event.pid != workload_pid_ || usage_.workload_execed) SampleNow(event.pid);
      ExitStopsForThread(event.pid);
      break;
    case Stop::kBeforeClose:
      // A close below the floor does not stop (see kStoppedCloseFloor); close_range says no
      // descriptor (-1): the list is read.
      if (event.value < 0) {
        SampleNow(event.pid);
      } else if (static_cast<std::uint64_t>(event.value) + 1 > usage_.fds.value &&
                 processes_.DescriptorOpen(event.pid, event.value)) {
        ProcessSample sample = processes_.Sample(event.pid);
        std::optional<StatusFields> fields;
        if (sample.ok) fields = ParseStatus(sample.status);
        if (fields) Raise(&usage_.fds, static_cast<std::uint64_t>(event.value) + 1, *fields);
      }
      break;
    case Stop::kExec:
      if (event.pid == workload_pid_ && !usage_.workload_execed) {
        usage_.workload_execed = true;
        processes_.StopReportingExecs(event.pid);
      }
      break;
    case Stop::kNewTask:
      ++alive_;
      if (alive_ > usage_.tasks_at_once) usage_.tasks_at_once = alive_;
      processes_alive_[event.value] = {};
      break;
    case Stop::kNewThread: {
      ++alive_;
      if (alive_ > usage_.tasks_at_once) usage_.tasks_at_once = alive_;
      // Counted, not sampled: each clone and each end is seen, so the most threads a process
      // had at once is exact without a stop at each thread's exit.
      const int process = ProcessOf(event.pid);
      threads_[event.value] = process;
      const int tasks = ++processes_alive_[process].tasks;
      if (static_cast<std::uint64_t>(tasks) > usage_.threads.value) {
        StatusFields fields;
        fields.tgid = process;
        fields.name = std::string(TrimWhitespace(processes_.ReadProcFile(process, "comm")));
        Raise(&usage_.threads, static_cast<std::uint64_t>(tasks), fields);
      }
      break;
    }
    case Stop::kSignal:
      // A fatal signal ends the process from the thread that takes it, and the others skip
      // their exit stops: the thread needs its own.
      ExitStopsForThread(event.pid);
      break;
    case Stop::kNone:
    case Stop::kOther:
      break;
  }
}

int Measurement::ProcessOf(int pid) const {
  auto it = threads_.find(pid);
  return it == threads_.end() ? pid : it->second;
}

void Measurement::ExitStopsForThread(int pid) {
  if (!threads_.contains(pid) || !thread_exit_stops_.insert(pid).second) return;
  processes_.SetExitStops(pid, true);
}

bool Measurement::SampleNow(int pid) {
  ProcessSample sample = processes_.Sample(pid);
  std::optional<StatusFields> fields;
  if (sample.ok) fields = ParseStatus(sample.status);
  if (!fields) return false;
  const Peak before = usage_.vm_peak;
  Add(*fields, sample.fds);
  Rank(pid, *fields);
  // Only the process that sets the peak is the one whose runtime decides the recommendation,
  // so the maps are read only when a sample raises it: once per rise, not once per task.
  if (usage_.vm_peak.value != before.value || usage_.vm_peak.pid != before.pid) NameRuntime(pid);
  return true;
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
  tasks_.erase(event.pid);
  --alive_;
  thread_exit_stops_.erase(event.pid);
  if (auto thread = threads_.find(event.pid); thread != threads_.end()) {
    --processes_alive_[thread->second].tasks;
    threads_.erase(thread);
    return;
  }
  // A leader is reaped only once its threads are: its process has ended.
  auto process = processes_alive_.find(event.pid);
  if (process == processes_alive_.end() || !process->second.measured) ++usage_.unmeasured;
  if (process != processes_alive_.end()) processes_alive_.erase(process);
}

void Measurement::Add(const StatusFields& fields, int fds) {
  if (usage_.tasks_at_once == 0) usage_.tasks_at_once = 1;
  if (processes_seen_.insert(fields.tgid).second) ++usage_.processes;
  Raise(&usage_.vm_peak, fields.vm_peak, fields);
  Raise(&usage_.vm_hwm, fields.vm_hwm, fields);
  Raise(&usage_.threads, static_cast<std::uint64_t>(fields.threads), fields);
  Raise(&usage_.vm_lck, fields.vm_lck, fields);
  if (fds >= 0) Raise(&usage_.fds, static_cast<std::uint64_t>(fds), fields);
}

// measure's timer: every kSampleIntervalUs, from Supervise's loop (never a stop of the job), the
// address space and resident set of every process of the job, from /proc/PID/status. It gives
// the timeline and, when the cgroup's own peak is not the job's, the whole tree's resident
// peak: the largest sum over one sample, which misses a peak between two samples.
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

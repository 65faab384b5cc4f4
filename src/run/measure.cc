// SPDX-License-Identifier: Apache-2.0
#include "run/measure.h"

#include <algorithm>
#include <charconv>

#include "observe/cgroup.h"
#include "base/limit.h"
#include "observe/meminfo.h"
#include "observe/runtime.h"

namespace rlimit_init {
namespace {

constexpr std::uint64_t kMiB = 1ull << 20;

std::optional<int> ParseCount(std::string_view text) {
  text = TrimWhitespace(text);
  int value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || value < 0) return std::nullopt;
  return value;
}

void Raise(Peak* peak, std::uint64_t value, const StatusFields& fields) {
  if (value <= peak->value && peak->pid != 0) return;
  *peak = {value, fields.tgid, fields.name};
}

std::uint64_t RoundUp(std::uint64_t value, std::uint64_t step) {
  return (value + step - 1) / step * step;
}

std::uint64_t WithHeadroom(std::uint64_t value) {
  return value + (value * kHeadroomPercent + 99) / 100;
}

}  // namespace

std::optional<StatusFields> ParseStatus(std::string_view text) {
  StatusFields fields;
  bool tgid = false, peak = false, hwm = false;
  while (!text.empty()) {
    const std::size_t newline = text.find('\n');
    const std::string_view line = text.substr(0, newline);
    text = newline == text.npos ? "" : text.substr(newline + 1);
    const std::size_t colon = line.find(':');
    if (colon == line.npos) continue;
    const std::string_view key = line.substr(0, colon);
    const std::string_view value = line.substr(colon + 1);
    if (key == "Name") {
      fields.name = std::string(TrimWhitespace(value));
    } else if (key == "Tgid") {
      std::optional<int> number = ParseCount(value);
      if (!number) return std::nullopt;
      fields.tgid = *number;
      tgid = true;
    } else if (key == "Threads") {
      fields.threads = ParseCount(value).value_or(0);
    } else if (key == "VmPeak" || key == "VmHWM" || key == "VmLck" || key == "VmSize" ||
               key == "VmRSS") {
      std::optional<std::uint64_t> bytes = ParseKiB(value);
      if (!bytes) return std::nullopt;
      if (key == "VmPeak") fields.vm_peak = *bytes, peak = true;
      if (key == "VmHWM") fields.vm_hwm = *bytes, hwm = true;
      if (key == "VmLck") fields.vm_lck = *bytes;
      if (key == "VmSize") fields.vm_size = *bytes;
      if (key == "VmRSS") fields.vm_rss = *bytes;
    }
  }
  if (!tgid || !peak || !hwm) return std::nullopt;
  return fields;
}

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

std::vector<std::string> SplitCmdline(std::string_view cmdline) {
  std::vector<std::string> words;
  while (!cmdline.empty()) {
    const std::size_t nul = cmdline.find('\0');
    words.emplace_back(cmdline.substr(0, nul));
    cmdline.remove_prefix(nul == cmdline.npos ? cmdline.size() : nul + 1);
  }
  return words;
}

void Measurement::NameRuntime(int pid) {
  usage_.runtime.reset();
  std::optional<MappedRuntime> runtime = RuntimeFromMaps(processes_.ReadProcFile(pid, "maps"));
  if (!runtime) return;
  PeakRuntime peak{*runtime, usage_.vm_peak.pid, usage_.vm_peak.name, false};
  if (runtime->jvm) {
    const std::string cmdline = processes_.ReadProcFile(pid, "cmdline");
    peak.max_heap_pinned = JavaMaxHeapPinned(cmdline, processes_.ReadProcFile(pid, "environ"));
  }
  usage_.runtime = std::move(peak);
}

bool JavaMaxHeapPinned(std::string_view cmdline, std::string_view environ) {
  const auto split = SplitCmdline;
  JavaSizes sizes;
  // The JVM reads JAVA_TOOL_OPTIONS, then the launcher's JDK_JAVA_OPTIONS and command line,
  // then _JAVA_OPTIONS; any -Xmx among them pins the heap, whichever wins.
  for (const std::string& variable : split(environ)) {
    for (std::string_view name : {"JAVA_TOOL_OPTIONS=", "JDK_JAVA_OPTIONS=", "_JAVA_OPTIONS="}) {
      if (std::string_view(variable).substr(0, name.size()) != name) continue;
      for (const std::string& option : SplitOptions(variable.substr(name.size()))) {
        ApplyJavaOption(option, &sizes);
      }
    }
  }
  const std::vector<std::string> argv = split(cmdline);
  if (!argv.empty() && BaseName(argv[0]) == "java") {
    for (const std::string& option : JavaLauncherOptions(argv)) ApplyJavaOption(option, &sizes);
  }
  return sizes.max_heap.has_value();
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

std::optional<Recommendation> Recommend(const Usage& usage,
                                        std::optional<std::uint64_t> cgroup_peak,
                                        const RunSettings& settings) {
  if (usage.processes == 0) return std::nullopt;
  Recommendation r;
  r.request = RoundUp(WithHeadroom(usage.vm_peak.value), kRequestStep);
  // A sanitizer's shadow memory is a fixed reservation (AddressSanitizer's: 20 TiB + 35 MiB
  // least, docs/runtimes.md): the peak + 25% is no grant it is ever meant to run under.
  if (usage.runtime && usage.runtime->runtime.sanitizer) r.request = kUnlimited;
  r.minimum = RoundUp(usage.vm_peak.value, kMiB);
  r.require_from_cgroup = cgroup_peak.has_value();
  r.require = RoundUp(cgroup_peak.value_or(usage.vm_hwm.value), kMiB);
  // Counts never below one step: a minimum of 0 descriptors would be no use to anyone.
  r.nofile = RoundUp(WithHeadroom(usage.fds.value) | 1, kCountStep);
  r.nproc = RoundUp(WithHeadroom(static_cast<std::uint64_t>(usage.tasks_at_once)) | 1,
                    kCountStep);
  // The peaks hold where as many arenas and threads are made as here. glibc's cap is 8 arenas
  // per online CPU on 64-bit unless MALLOC_ARENA_MAX (or glibc.malloc.arena_max, which wins)
  // says otherwise; OpenMP starts a thread per CPU of the affinity mask unless OMP_NUM_THREADS
  // says, and OpenBLAS reads OPENBLAS_NUM_THREADS, then OMP_NUM_THREADS.
  const std::string online = std::to_string(settings.online_cpus);
  const std::string affinity = std::to_string(settings.affinity_cpus);
  if (settings.glibc_tunables) {
    r.env.push_back({"GLIBC_TUNABLES", *settings.glibc_tunables, "as the run had it"});
  }
  if (settings.malloc_arena_max) {
    r.env.push_back({"MALLOC_ARENA_MAX", *settings.malloc_arena_max, "as the run had it"});
  } else if (settings.online_cpus > 0) {
    r.env.push_back({"MALLOC_ARENA_MAX", std::to_string(8 * settings.online_cpus),
                     "glibc's cap in the run: 8 arenas x " + online +
                         " online CPUs; pinned so that a node with more CPUs makes no more"});
  }
  if (settings.omp_num_threads) {
    r.env.push_back({"OMP_NUM_THREADS", *settings.omp_num_threads, "as the run had it"});
  } else if (settings.affinity_cpus > 0) {
    r.env.push_back({"OMP_NUM_THREADS", affinity,
                     "OpenMP's threads in the run: one per CPU of its affinity mask; pinned"});
  }
  if (settings.openblas_num_threads) {
    r.env.push_back({"OPENBLAS_NUM_THREADS", *settings.openblas_num_threads,
                     "as the run had it"});
  } else if (settings.omp_num_threads) {
    r.env.push_back({"OPENBLAS_NUM_THREADS", *settings.omp_num_threads,
                     "OpenBLAS's threads in the run: OMP_NUM_THREADS; pinned"});
  } else if (settings.affinity_cpus > 0) {
    r.env.push_back({"OPENBLAS_NUM_THREADS", affinity,
                     "OpenBLAS's threads in the run: one per CPU of its affinity mask; pinned"});
  }
  return r;
}

RunFigures RunFiguresOf(int exit_code, const Usage& usage, const JobTimes& times) {
  return {exit_code,           usage.vm_peak.value, usage.vm_hwm.value,
          usage.timeline.rss_sum_peak, times.elapsed_us, times.usage.user_us,
          times.usage.system_us};
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

std::optional<unsigned> CountCpuList(std::string_view text) {
  text = TrimWhitespace(text);
  if (text.empty()) return std::nullopt;
  unsigned count = 0;
  while (!text.empty()) {
    const std::size_t comma = text.find(',');
    const std::string_view range = text.substr(0, comma);
    text = comma == text.npos ? "" : text.substr(comma + 1);
    const std::size_t dash = range.find('-');
    std::optional<int> first = ParseCount(range.substr(0, dash));
    std::optional<int> last = dash == range.npos ? first : ParseCount(range.substr(dash + 1));
    if (!first || !last || *last < *first) return std::nullopt;
    count += static_cast<unsigned>(*last - *first + 1);
  }
  return count;
}

}  // namespace rlimit_init

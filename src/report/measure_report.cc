// SPDX-License-Identifier: Apache-2.0
#include "report/measure_report.h"

#include <algorithm>
#include <string>

#include "base/json.h"
#include "base/limit.h"
#include "base/quantity.h"
#include "base/text.h"
#include "policy/policy_writer.h"

namespace rlimit_init {
namespace {

// Why a pinned variable has its value, as the recommended policy's comment says it.
std::string PinReasonText(const PinnedVariable& pinned) {
  const std::string cpus = std::to_string(pinned.cpus);
  switch (pinned.reason) {
    case PinReason::kAsRun:
      return "as the run had it";
    case PinReason::kArenaCap:
      return "glibc's cap in the run: 8 arenas x " + cpus +
             " online CPUs; pinned so that a node with more CPUs makes no more";
    case PinReason::kOpenMpAffinity:
      return "OpenMP's threads in the run: one per CPU of its affinity mask; pinned";
    case PinReason::kOpenBlasFromOpenMp:
      return "OpenBLAS's threads in the run: OMP_NUM_THREADS; pinned";
    case PinReason::kOpenBlasAffinity:
      return "OpenBLAS's threads in the run: one per CPU of its affinity mask; pinned";
  }
  return "";
}

// Why the job's own cgroup peak (CgroupPeak, TasksPeak) of `controller`'s cgroup was not read.
template <typename CgroupPeakOf>
std::string PeakNote(const CgroupPeakOf& peak, const char* controller) {
  const std::string not_the_jobs =
      " when the job started, so its peak is not the job's (run measure as the only process of "
      "a cgroup, such as a container's entrypoint, to get it)";
  switch (peak.missing) {
    case CgroupPeakMissing::kNone:
      return "";
    case CgroupPeakMissing::kNoDirectory:
      return std::string("no cgroup ") + controller +
             " controller directory was found for this process";
    case CgroupPeakMissing::kUnreadable:
      return "cannot read " + peak.path;
    case CgroupPeakMissing::kShared:
      return "the cgroup " + peak.path + " held " + std::to_string(peak.others) +
             (peak.others == 1 ? " other process" : " other processes") + not_the_jobs;
    case CgroupPeakMissing::kOtherTasks:
      return "the cgroup " + peak.path + " and the cgroups below it held " +
             std::to_string(peak.others) + (peak.others == 1 ? " other task" : " other tasks") +
             not_the_jobs;
  }
  return "";
}

std::string CgroupPeakNote(const CgroupPeak& peak) { return PeakNote(peak, "memory"); }

// Whether the most tasks at once is the pids cgroup's (it is, unless the samples saw more: a
// task of the job left the cgroup).
bool TasksFromPids(const MeasureReport& report) {
  return report.pids.tasks && *report.pids.tasks == report.usage.tasks_at_once;
}

// Why the most tasks at once is not the pids cgroup's peak ("" when it is).
std::string NoPidsPeakNote(const MeasureReport& report) {
  const TasksPeak& pids = report.pids;
  if (TasksFromPids(report)) return "";
  if (pids.tasks) {
    return "pids.peak not used: " + pids.source + " less measure's own task is " +
           std::to_string(*pids.tasks) + ", below the samples: a task of the job left its cgroup";
  }
  return "pids.peak not read: " + PeakNote(pids, "pids");
}

// Where the most tasks at once comes from: exact, the pids cgroup's peak; or sampled, and why
// not the cgroup's.
std::string TasksSourceText(const MeasureReport& report) {
  if (TasksFromPids(report)) {
    return "exact, from " + report.pids.source + " less measure's own task";
  }
  return "sampled, a burst between two samples is missed; " + NoPidsPeakNote(report);
}

std::string Where(const Peak& peak) {
  return "in pid " + std::to_string(peak.pid) + " (" + Printable(peak.name) + ")";
}

std::string HowItEnded(int exit_code) {
  if (exit_code > 128) {
    return "killed by signal " + std::to_string(exit_code - 128) + " (exit code " +
           std::to_string(exit_code) + ")";
  }
  return "exit status " + std::to_string(exit_code);
}

Json JsonPeak(const Peak& peak) {
  if (peak.pid == 0) return nullptr;
  Json out;
  out["value"] = peak.value;
  out["pid"] = peak.pid;
  out["name"] = peak.name;
  return out;
}

std::string RuntimeLine(const PeakRuntime& r) {
  return MappedRuntimeName(r.runtime) + " (" + MappedRuntimeEvidence(r.runtime) +
         " in its maps) in pid " + std::to_string(r.pid) + " (" + Printable(r.name) + ")";
}

// Why the request is not the peak + 25%, where it is not ("" where it is).
std::string SanitizerReason(const Usage& usage) {
  if (!usage.runtime || !usage.runtime->runtime.sanitizer()) return "";
  return RuntimeLine(*usage.runtime) +
         ": its shadow memory is a fixed reservation (AddressSanitizer's about 20 TiB, "
         "docs/runtimes.md) that no finite grant is meant for: request unlimited, not the "
         "peak + " + std::to_string(kHeadroomPercent) + "%";
}

// The report's word on a JVM whose heap the host sized ("" when there is none to say).
std::string UnpinnedHeapMessage(const Usage& usage) {
  if (!usage.runtime || !usage.runtime->runtime.jvm() || usage.runtime->max_heap_pinned) return "";
  return "rlimit-init: the address-space peak tracks this machine, not the job: " +
         RuntimeLine(*usage.runtime) +
         " has no -Xmx, so it sized its heap from this machine's RAM and its VmPeak grows with "
         "the host's memory\n"
         "  fix:     pin the heap (java -Xmx..., or JAVA_TOOL_OPTIONS=-Xmx... in env:) and "
         "measure again; addressSpace.request below is this machine's figure\n";
}

}  // namespace

std::string MappedRuntimeName(const MappedRuntime& runtime) {
  switch (runtime.kind) {
    case MappedRuntimeKind::kAddressSanitizer:
      return "AddressSanitizer";
    case MappedRuntimeKind::kThreadSanitizer:
      return "ThreadSanitizer";
    case MappedRuntimeKind::kJvm:
      return "a JVM";
    case MappedRuntimeKind::kNode:
      return "Node.js";
    case MappedRuntimeKind::kPyTorch:
      return "PyTorch";
    case MappedRuntimeKind::kGo:
      break;
  }
  return "a Go program";
}

std::string MappedRuntimeEvidence(const MappedRuntime& runtime) {
  switch (runtime.kind) {
    case MappedRuntimeKind::kAddressSanitizer:
    case MappedRuntimeKind::kThreadSanitizer:
      return runtime.library;
    case MappedRuntimeKind::kJvm:
      return "libjvm.so";
    case MappedRuntimeKind::kNode:
      if (runtime.guard_regions == 0) return "its executable";
      return std::to_string(runtime.guard_regions) + " WebAssembly guard region" +
             (runtime.guard_regions == 1 ? "" : "s") + " of 8 GiB";
    case MappedRuntimeKind::kPyTorch:
      return "libtorch_cpu.so";
    case MappedRuntimeKind::kGo:
      break;
  }
  return "its heap arena at 0xc000000000";
}

std::string RenderRecommendedPolicy(const Recommendation& r, const Usage& usage,
                                    std::string_view command) {
  const std::string headroom = " + " + std::to_string(kHeadroomPercent) + "%, rounded up to ";
  const std::string counts = headroom + std::to_string(kCountStep) +
                             ": a higher soft limit is kept, a lower hard limit refuses the job";
  std::vector<PolicyKey> env;
  for (const PinnedVariable& pinned : r.env) {
    env.push_back({pinned.name, pinned.value, true, PinReasonText(pinned), {}});
  }
  std::vector<PolicyKey> keys = {
      {"apiVersion", "rlimit-init/v1", false, "", {}},
      {"addressSpace", "", false, "", {
          {"request", ToQuantity(r.request), false,
           r.request == kUnlimited ? SanitizerReason(usage)
                                   : "largest VmPeak " + HumanBytes(usage.vm_peak.value) + " " +
                                         Where(usage.vm_peak) + headroom +
                                         HumanBytes(kRequestStep), {}},
          {"minimum", ToQuantity(r.minimum), false, "largest VmPeak, rounded up to 1 MiB", {}},
      }},
      {"memory", "", false, "", {
          {"require", ToQuantity(r.require), false,
           (r.require_from_cgroup ? std::string("the job's cgroup peak")
                                  : "largest resident peak (VmHWM) of one process " +
                                        Where(usage.vm_hwm)) + ", rounded up to 1 MiB", {}},
      }},
      {"limits", "", false, "", {
          {"nofile", "", false, "", {
              {"request", std::to_string(r.nofile), false,
               "descriptors needed " + std::to_string(usage.fds.value) + counts, {}},
              {"minimum", std::to_string(r.nofile), false, "", {}},
          }},
          {"nproc", "", false, "", {
              {"request", std::to_string(r.nproc), false,
               "most tasks alive at once " + std::to_string(usage.tasks_at_once) + counts, {}},
              {"minimum", std::to_string(r.nproc), false, "", {}},
          }},
      }},
  };
  if (!env.empty()) {
    keys.push_back({"env", "", false,
                    "the run's arena and thread settings, pinned: the peaks above hold on a "
                    "node with more CPUs only with them (or measure there)", std::move(env)});
  }
  return WritePolicy("recommended by rlimit-init measure from one run of: " + std::string(command),
                     keys);
}

namespace {

std::string DescribeSettings(const RunSettings& settings) {
  std::string out = std::to_string(settings.online_cpus) + " CPUs online, " +
                    std::to_string(settings.affinity_cpus) + " in the affinity mask";
  const std::pair<const char*, const std::optional<std::string>*> variables[] = {
      {"MALLOC_ARENA_MAX", &settings.malloc_arena_max},
      {"GLIBC_TUNABLES", &settings.glibc_tunables},
      {"OMP_NUM_THREADS", &settings.omp_num_threads},
      {"OPENBLAS_NUM_THREADS", &settings.openblas_num_threads}};
  std::string unset;
  for (const auto& [name, value] : variables) {
    if (*value) {
      out += "; " + std::string(name) + "=" + Quoted(**value);
    } else {
      unset += (unset.empty() ? "" : ", ") + std::string(name);
    }
  }
  if (!unset.empty()) out += "; not set: " + unset;
  return out;
}

// Seconds to the hundredth, as /usr/bin/time prints user and system time.
std::string Seconds(std::uint64_t micros) {
  const std::uint64_t hundredths = micros / 10000;
  const std::string cents = std::to_string(hundredths % 100);
  return std::to_string(hundredths / 100) + "." + (cents.size() == 1 ? "0" : "") + cents;
}

// The wall clock as /usr/bin/time -v's "h:mm:ss or m:ss" (m:ss.cc under an hour).
std::string WallClock(std::uint64_t micros) {
  const std::uint64_t seconds = micros / 1000000;
  auto two = [](std::uint64_t n) { return (n < 10 ? "0" : "") + std::to_string(n); };
  if (seconds >= 3600) {
    return std::to_string(seconds / 3600) + ":" + two(seconds / 60 % 60) + ":" + two(seconds % 60);
  }
  return std::to_string(seconds / 60) + ":" + two(seconds % 60) + "." + two(micros / 10000 % 100);
}

std::string TimesText(const JobTimes& t) {
  const ChildrenUsage& u = t.usage;
  return "  time:          elapsed " + WallClock(t.elapsed_us) + ", user " + Seconds(u.user_us) +
         " s, system " + Seconds(u.system_us) + " s (the job's processes, as /usr/bin/time -v)\n"
         "  faults:        major " + std::to_string(u.major_faults) + ", minor " +
         std::to_string(u.minor_faults) + "; context switches: voluntary " +
         std::to_string(u.voluntary_switches) + ", involuntary " +
         std::to_string(u.involuntary_switches) + "\n"
         "  max RSS:       " + HumanBytes(u.max_rss_kib * 1024) + " (" +
         std::to_string(u.max_rss_kib) + " kbytes, ru_maxrss: the largest of one process)\n";
}

// The whole tree's peak at once: the cgroup's own when it is the job's, else the largest
// resident sum the timer saw.
std::string TreePeakText(const MeasureReport& report) {
  const Timeline& t = report.usage.timeline;
  const std::string every = "every " + std::to_string(t.interval_us / 1000) + " ms";
  if (report.cgroup.bytes) {
    return "  whole tree:    " + HumanBytes(*report.cgroup.bytes) + " (" +
           std::to_string(*report.cgroup.bytes) + " bytes) at once: the cgroup's peak\n";
  }
  if (t.samples == 0) {
    return "  whole tree:    not sampled: the job ended before the first sample (" + every +
           "); as the only process of a cgroup it gets the cgroup's exact peak\n";
  }
  return "  whole tree:    " + HumanBytes(t.rss_sum_peak) + " (" + std::to_string(t.rss_sum_peak) +
         " bytes) at once, " + Seconds(t.rss_sum_peak_at_us) +
         " s in: the largest sum of the processes' resident sets, sampled " + every +
         " (a peak between two samples is missed)\n";
}

}  // namespace

std::string RenderMeasureText(const MeasureReport& report) {
  const Usage& u = report.usage;
  const std::string command = MeasuredCommand(report.command);
  std::string out = report.run_text + "rlimit-init: measured " + command + ": " + HowItEnded(report.exit_code) +
                    "; " + std::to_string(u.processes) +
                    (u.processes == 1 ? " process" : " processes") + " measured at exit\n";
  if (u.processes > 0) {
    out += "  address space: largest VmPeak " + DescribeBytes(u.vm_peak.value) + " " +
           Where(u.vm_peak) + "\n";
    out += "  resident:      largest VmHWM " + HumanBytes(u.vm_hwm.value) + " (" +
           std::to_string(u.vm_hwm.value) + " bytes) " + Where(u.vm_hwm) + "\n";
    out += "  threads:       most " + std::to_string(u.threads.value) + " " +
           Where(u.threads) + "\n";
    if (u.fds.pid != 0) {
      out += "  descriptors:   need " + std::to_string(u.fds.value) +
             " (the highest open descriptor + 1) " + Where(u.fds) + "\n";
    }
    out += "  locked memory: " + (u.vm_lck.value == 0 ? std::string("none (VmLck 0 in every process)")
                                                      : "largest VmLck " +
                                                            HumanBytes(u.vm_lck.value) + " " +
                                                            Where(u.vm_lck)) +
           "\n";
  }
  // Said only when the maps of the peak's process name one (JSON says null otherwise).
  if (u.runtime) out += "  runtime:       " + RuntimeLine(*u.runtime) + "\n";
  out += "  tasks at once: " + std::to_string(u.tasks_at_once) +
         " (processes and threads, as RLIMIT_NPROC counts them): " + TasksSourceText(report) +
         "\n";
  out += "  run settings:  " + DescribeSettings(report.settings) + "\n";
  if (report.cgroup.bytes) {
    out += "  cgroup peak:   " + HumanBytes(*report.cgroup.bytes) + " (" +
           std::to_string(*report.cgroup.bytes) + " bytes) from " + report.cgroup.source + "\n";
  } else {
    out += "  cgroup peak:   not read: " + CgroupPeakNote(report.cgroup) + "\n";
  }
  out += TreePeakText(report);
  out += TimesText(report.times);
  if (report.runs.size() > 1) {
    auto spread = [&](std::uint64_t RunFigures::*field, auto say) {
      const FigureSpread s = *SpreadOf(report.runs, field);
      return say(s.min) + " to " + say(s.max);
    };
    auto bytes = [](std::uint64_t b) { return HumanBytes(b); };
    out += "  runs:          " + std::to_string(report.runs.size()) +
           ", each figure above the largest of them; min to max: VmPeak " +
           spread(&RunFigures::vm_peak, bytes) + ", VmHWM " +
           spread(&RunFigures::vm_hwm, bytes) + ", sampled resident sum " +
           spread(&RunFigures::tree_sampled, bytes) + ", elapsed " +
           spread(&RunFigures::elapsed_us, WallClock) + "\n";
  }
  if (!u.top.empty()) {
    out += "  by process:    largest VmPeak first (" + std::to_string(u.top.size()) + " of " +
           std::to_string(u.processes) + (u.processes == 1 ? " process" : " processes") + ")\n";
    for (const ProcessPeak& p : u.top) {
      out += "    pid " + std::to_string(p.pid) + " (" + Printable(p.name) + "): VmPeak " +
             HumanBytes(p.vm_peak) + ", VmHWM " + HumanBytes(p.vm_hwm) + ": " +
             (p.command.empty() ? std::string("(no command line)") : MeasuredCommand(p.command)) +
             "\n";
    }
  }
  if (u.unmeasured > 0) {
    out += "  not measured:  " + std::to_string(u.unmeasured) +
           (u.unmeasured == 1 ? " process" : " processes") +
           " ended unseen (killed by a signal from outside the job or by a fault), so only what "
           "the 100 ms samples saw of them is counted\n";
  }
  if (!report.recommendation) {
    out += "rlimit-init: no recommended policy: no process was measured at its exit\n";
    return out;
  }
  out += UnpinnedHeapMessage(u);
  out += "rlimit-init: recommended policy:\n";
  out += RenderRecommendedPolicy(*report.recommendation, u, command);
  return out;
}

std::string RenderMeasureJson(const MeasureReport& report) {
  const Usage& u = report.usage;
  Json out;
  out["outcome"] = "measured";
  out["command"] = Json(report.command);
  out["exit_code"] = report.exit_code;
  out["processes"] = u.processes;
  out["vm_peak"] = JsonPeak(u.vm_peak);
  out["vm_hwm"] = JsonPeak(u.vm_hwm);
  out["threads"] = JsonPeak(u.threads);
  out["fds"] = JsonPeak(u.fds);
  out["vm_lck"] = JsonPeak(u.vm_lck);
  if (u.runtime) {
    Json& runtime = out["runtime"];
    runtime["name"] = MappedRuntimeName(u.runtime->runtime);
    runtime["evidence"] = MappedRuntimeEvidence(u.runtime->runtime);
    runtime["pid"] = u.runtime->pid;
    runtime["process"] = u.runtime->name;
    runtime["sanitizer"] = u.runtime->runtime.sanitizer();
    runtime["jvm"] = u.runtime->runtime.jvm();
    runtime["max_heap_pinned"] =
        u.runtime->runtime.jvm() ? Json(u.runtime->max_heap_pinned) : Json(nullptr);
    const std::string message = UnpinnedHeapMessage(u);
    runtime["message"] = message.empty() ? Json(nullptr) : Json(message);
  } else {
    out["runtime"] = nullptr;
  }
  Json& top = out["top_processes"];
  top = Json::array();
  for (const ProcessPeak& p : u.top) {
    top.push_back({{"pid", p.pid}, {"name", p.name}, {"vm_peak", p.vm_peak},
                   {"vm_hwm", p.vm_hwm}, {"command", p.command}});
  }
  out["tasks_at_once"] = u.tasks_at_once;
  const bool tasks_from_pids = TasksFromPids(report);
  out["tasks_peak"] = {{"source", tasks_from_pids ? "cgroup" : "sampled"},
                       {"file", tasks_from_pids ? Json(report.pids.source) : Json(nullptr)},
                       {"note", tasks_from_pids ? Json(nullptr) : Json(NoPidsPeakNote(report))}};
  out["unmeasured"] = u.unmeasured;
  out["cgroup_peak_bytes"] = report.cgroup.bytes ? Json(*report.cgroup.bytes) : Json(nullptr);
  out["cgroup_peak_source"] = report.cgroup.bytes ? Json(report.cgroup.source) : Json(nullptr);
  out["cgroup_note"] = report.cgroup.bytes ? Json(nullptr) : Json(CgroupPeakNote(report.cgroup));
  const Timeline& timeline = u.timeline;
  if (report.cgroup.bytes) {
    out["tree_peak"] = {{"bytes", *report.cgroup.bytes}, {"source", "cgroup"}, {"at_ms", nullptr}};
  } else if (timeline.samples > 0) {
    out["tree_peak"] = {{"bytes", timeline.rss_sum_peak},
                        {"source", "sampled"},
                        {"at_ms", timeline.rss_sum_peak_at_us / 1000}};
  } else {
    out["tree_peak"] = {{"bytes", nullptr}, {"source", nullptr}, {"at_ms", nullptr}};
  }
  Json& samples = out["timeline"];
  samples["interval_ms"] = timeline.interval_us / 1000;
  samples["samples"] = timeline.samples;
  samples["processes"] = Json::array();
  for (const ProcessTimeline& process : timeline.processes) {
    Json points = Json::array();
    for (const TimelinePoint& p : process.points) {
      points.push_back(Json::array({p.at_us / 1000, p.vm_size, p.vm_rss}));
    }
    samples["processes"].push_back(
        {{"pid", process.pid}, {"name", process.name}, {"points", std::move(points)}});
  }
  Json& runs = out["runs"];
  runs = Json::array();
  Json& spread = out["spread"];
  spread = Json::object();
  const std::pair<const char*, std::uint64_t RunFigures::*> figures[] = {
      {"vm_peak", &RunFigures::vm_peak},       {"vm_hwm", &RunFigures::vm_hwm},
      {"tree_sampled", &RunFigures::tree_sampled}, {"elapsed_us", &RunFigures::elapsed_us},
      {"user_us", &RunFigures::user_us},       {"system_us", &RunFigures::system_us}};
  for (const RunFigures& run : report.runs) {
    Json one = {{"exit_code", run.exit_code}};
    for (const auto& [name, field] : figures) one[name] = run.*field;
    runs.push_back(std::move(one));
  }
  for (const auto& [name, field] : figures) {
    const std::optional<FigureSpread> s = SpreadOf(report.runs, field);
    spread[name] = s ? Json({{"min", s->min}, {"max", s->max}}) : Json(nullptr);
  }
  const ChildrenUsage& reaped = report.times.usage;
  out["time"] = {{"elapsed_us", report.times.elapsed_us},
                 {"user_us", reaped.user_us},
                 {"system_us", reaped.system_us},
                 {"max_rss_kib", reaped.max_rss_kib},
                 {"major_faults", reaped.major_faults},
                 {"minor_faults", reaped.minor_faults},
                 {"voluntary_switches", reaped.voluntary_switches},
                 {"involuntary_switches", reaped.involuntary_switches}};
  out["headroom_percent"] = kHeadroomPercent;
  const RunSettings& settings = report.settings;
  auto optional_text = [](const std::optional<std::string>& value) {
    return value ? Json(*value) : Json(nullptr);
  };
  Json& said = out["settings"];
  said["online_cpus"] = settings.online_cpus;
  said["affinity_cpus"] = settings.affinity_cpus;
  said["MALLOC_ARENA_MAX"] = optional_text(settings.malloc_arena_max);
  said["GLIBC_TUNABLES"] = optional_text(settings.glibc_tunables);
  said["OMP_NUM_THREADS"] = optional_text(settings.omp_num_threads);
  said["OPENBLAS_NUM_THREADS"] = optional_text(settings.openblas_num_threads);
  if (const auto& r = report.recommendation) {
    Json& recommended = out["recommended"];
    recommended["addressSpace"]["request"] = ToQuantity(r->request);
    recommended["addressSpace"]["minimum"] = ToQuantity(r->minimum);
    recommended["memory"]["require"] = ToQuantity(r->require);
    recommended["limits"]["nofile"]["request"] = r->nofile;
    recommended["limits"]["nofile"]["minimum"] = r->nofile;
    recommended["limits"]["nproc"]["request"] = r->nproc;
    recommended["limits"]["nproc"]["minimum"] = r->nproc;
    Json& env = recommended["env"];
    env = Json::object();
    for (const PinnedVariable& pinned : r->env) env[pinned.name] = pinned.value;
    out["recommended_policy"] =
        RenderRecommendedPolicy(*r, u, MeasuredCommand(report.command));
  } else {
    out["recommended"] = nullptr;
    out["recommended_policy"] = nullptr;
  }
  out["run"] = report.run_json;
  out["report_error"] = report.report_error.empty() ? Json(nullptr) : Json(report.report_error);
  out["recommend_error"] =
      report.recommend_error.empty() ? Json(nullptr) : Json(report.recommend_error);
  out["plot_error"] = report.plot_error.empty() ? Json(nullptr) : Json(report.plot_error);
  return DumpJson(std::move(out));
}

}  // namespace rlimit_init

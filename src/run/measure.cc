// SPDX-License-Identifier: Apache-2.0
#include "run/measure.h"

#include <algorithm>
#include <charconv>

#include "observe/cgroup.h"
#include "observe/meminfo.h"

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
    } else if (key == "VmPeak" || key == "VmHWM" || key == "VmLck") {
      std::optional<std::uint64_t> bytes = ParseKiB(value);
      if (!bytes) return std::nullopt;
      if (key == "VmPeak") fields.vm_peak = *bytes, peak = true;
      if (key == "VmHWM") fields.vm_hwm = *bytes, hwm = true;
      if (key == "VmLck") fields.vm_lck = *bytes;
    }
  }
  if (!tgid || !peak || !hwm) return std::nullopt;
  return fields;
}

void Measurement::Stopped(const ChildExit& event) {
  switch (event.stop) {
    case Stop::kExit: {
      // The one moment the task's memory can still be read: past it the kernel tears the
      // address space down and /proc shows no Vm* lines.
      ProcessSample sample = processes_.Sample(event.pid);
      std::optional<StatusFields> fields;
      if (sample.ok) fields = ParseStatus(sample.status);
      if (fields) {
        Add(*fields, sample.fds);
        sampled_.insert(event.pid);
      }
      break;
    }
    case Stop::kExec:
      if (event.pid == workload_pid_) usage_.workload_execed = true;
      break;
    case Stop::kNewTask:
      ++alive_;
      if (alive_ > usage_.tasks_at_once) usage_.tasks_at_once = alive_;
      break;
    case Stop::kNone:
    case Stop::kOther:
    case Stop::kSignal:
      break;
  }
}

void Measurement::Ended(const ChildExit& event) {
  --alive_;
  if (sampled_.erase(event.pid) == 0) ++usage_.unmeasured;
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
                                        std::uint64_t nofile, std::uint64_t nproc) {
  if (usage.processes == 0) return std::nullopt;
  Recommendation r;
  r.request = RoundUp(WithHeadroom(usage.vm_peak.value), kRequestStep);
  r.minimum = RoundUp(usage.vm_peak.value, kMiB);
  r.require_from_cgroup = cgroup_peak.has_value();
  r.require = RoundUp(cgroup_peak.value_or(usage.vm_hwm.value), kMiB);
  // Counts never below one step: a minimum of 0 descriptors would be no use to anyone.
  r.nofile_minimum = RoundUp(WithHeadroom(usage.fds.value) | 1, kCountStep);
  r.nproc_minimum = RoundUp(WithHeadroom(static_cast<std::uint64_t>(usage.tasks_at_once)) | 1,
                            kCountStep);
  r.nofile_request = std::max(nofile, r.nofile_minimum);
  r.nproc_request = std::max(nproc, r.nproc_minimum);
  return r;
}

}  // namespace rlimit_init

// SPDX-License-Identifier: Apache-2.0
// Pure parsers of the /proc and /sys text that `measure` reads: a process's status and command
// line, whether a JVM's heap is pinned, a CPU list.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rlimit_init {

/// The fields of /proc/PID/status that measure reads, in bytes where the kernel says kB.
struct StatusFields {
  int tgid = 0;
  std::string name;
  std::uint64_t vm_peak = 0;  // VmPeak: the most address space the process ever had
  std::uint64_t vm_hwm = 0;   // VmHWM: its resident peak
  std::uint64_t vm_lck = 0;   // VmLck: locked memory now
  std::uint64_t vm_size = 0;  // VmSize: its address space now (the timeline)
  std::uint64_t vm_rss = 0;   // VmRSS: its resident set now (the timeline)
  int threads = 0;
};

/// Parses /proc/PID/status text; nullopt unless Tgid, VmPeak and VmHWM are all there (a
/// kernel thread or a task whose address space is gone has no Vm* lines).
std::optional<StatusFields> ParseStatus(std::string_view text);

/// Pure. Whether a JVM's heap is pinned, from its /proc/PID/cmdline and /proc/PID/environ
/// (NUL-separated): the launcher's options when argv[0] is java, then the variables the JVM
/// and the launcher read.
bool JavaMaxHeapPinned(std::string_view cmdline, std::string_view environ);

/// Splits /proc/PID/cmdline (arguments each ended by a NUL) into its arguments.
std::vector<std::string> SplitCmdline(std::string_view cmdline);

/// Counts the CPUs of a kernel CPU list ("0-1", "0,2-5\n"); nullopt when it is not one.
std::optional<unsigned> CountCpuList(std::string_view text);

}  // namespace rlimit_init

// SPDX-License-Identifier: Apache-2.0
#include "observe/budget_host.h"

#include <algorithm>
#include <charconv>
#include <cstdint>

#include "observe/cgroup.h"
#include "os/system.h"

namespace rlimit_init {
namespace {

// A whole decimal number, nothing else.
std::optional<std::uint64_t> WholeNumber(std::string_view text) {
  std::uint64_t value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

// The cgroup's quota: v1 cpu.cfs_quota_us over cpu.cfs_period_us, v2 cpu.max.
std::optional<unsigned> ReadQuota(System& system, const std::string& dir, bool v2,
                                  std::string* source) {
  *source = dir + (v2 ? "/cpu.max" : "/cpu.cfs_quota_us");
  ReadResult quota = system.ReadHostFile(*source);
  if (!quota.ok) return std::nullopt;
  if (v2) return CpuMaxCpus(quota.data);
  ReadResult period = system.ReadHostFile(dir + "/cpu.cfs_period_us");
  return period.ok ? QuotaCpus(quota.data, period.data) : std::nullopt;
}

// The quota of the cgroup at `mount` + `path` and of each ancestor up to the mount, the tightest
// one. Where the cgroup's own directory is not under the mount (a container that shows only its
// own cgroup there, without a cgroup namespace), the mount's root is the cgroup.
void TightestQuota(System& system, const std::string& mount, std::string path, bool v2,
                   BudgetHost* host) {
  if (path == "/" || !system.HostPathExists(mount + path)) path.clear();
  while (true) {
    std::string source;
    std::optional<unsigned> cpus = ReadQuota(system, mount + path, v2, &source);
    if (cpus && (!host->quota_cpus || *cpus < *host->quota_cpus)) {
      host->quota_cpus = cpus;
      host->quota_source = source;
    }
    if (path.empty()) break;
    path.resize(path.rfind('/'));
  }
}

}  // namespace

std::optional<unsigned> QuotaCpus(std::string_view quota, std::string_view period) {
  while (!quota.empty() && (quota.back() == '\n' || quota.back() == ' ')) quota.remove_suffix(1);
  while (!period.empty() && (period.back() == '\n' || period.back() == ' ')) {
    period.remove_suffix(1);
  }
  if (quota == "-1" || quota == "max") return std::nullopt;  // v1 and v2 spell "no quota"
  std::optional<std::uint64_t> q = WholeNumber(quota);
  std::optional<std::uint64_t> p = WholeNumber(period);
  if (!q || !p || *q == 0 || *p == 0) return std::nullopt;
  std::uint64_t cpus = *q / *p + (*q % *p != 0 ? 1 : 0);
  return static_cast<unsigned>(std::min<std::uint64_t>(cpus, 1U << 20));
}

std::optional<unsigned> CpuMaxCpus(std::string_view cpu_max) {
  std::size_t space = cpu_max.find(' ');
  if (space == std::string_view::npos) return std::nullopt;
  return QuotaCpus(cpu_max.substr(0, space), cpu_max.substr(space + 1));
}

BudgetHost ObserveBudgetHost(System& system) {
  ReadResult self = system.ReadHostFile("/proc/self/cgroup");
  return ObserveBudgetHost(system, self.ok ? ParseProcCgroup(self.data)
                                           : std::vector<ProcCgroupEntry>{});
}

BudgetHost ObserveBudgetHost(System& system, const std::vector<ProcCgroupEntry>& proc_cgroup) {
  BudgetHost host;
  host.affinity_cpus = system.AffinityCpuCount();
  for (std::size_t i = 0; i < std::size(kBudgetVariables); ++i) {
    if (const char* value = system.GetEnv(std::string(kBudgetVariables[i]).c_str())) {
      host.inherited[i] = value;
    }
  }
  // The conventional mount points: v1's cpu controller at /sys/fs/cgroup/cpu (a link to
  // cpu,cpuacct on systemd hosts), v2 at /sys/fs/cgroup.
  for (const ProcCgroupEntry& entry : proc_cgroup) {
    if (ClimbsOut(entry.path)) continue;
    if (std::find(entry.controllers.begin(), entry.controllers.end(), "cpu") !=
        entry.controllers.end()) {
      TightestQuota(system, "/sys/fs/cgroup/cpu", entry.path, false, &host);
    } else if (entry.hierarchy_id == 0 && entry.controllers.empty()) {
      TightestQuota(system, "/sys/fs/cgroup", entry.path, true, &host);
    }
  }
  // CUDA opens the driver's control node before any GPU, and every way a GPU reaches a
  // container (the NVIDIA container toolkit, a device plugin) brings /dev/nvidiactl with it:
  // without it there is no GPU to warn about, and /dev, a hundred names on a plain host, is
  // not listed on every start (19,000 instructions).
  std::vector<std::string> names;
  if (system.HostPathExists("/dev/nvidiactl")) system.ListHostDirectory("/dev", &names);
  for (const std::string& name : names) {
    // The GPUs themselves: nvidia0, nvidia1 ... (not nvidiactl, nvidia-uvm, nvidia-caps).
    if (name.size() > 6 && name.compare(0, 6, "nvidia") == 0 && name[6] >= '0' &&
        name[6] <= '9') {
      host.gpu_devices.push_back("/dev/" + name);
      // The lowest first, without std::sort's code: the warning names that one.
      if (host.gpu_devices.front() > host.gpu_devices.back()) {
        host.gpu_devices.front().swap(host.gpu_devices.back());
      }
    }
  }
  return host;
}

}  // namespace rlimit_init

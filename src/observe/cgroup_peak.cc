// SPDX-License-Identifier: Apache-2.0
#include "observe/cgroup_peak.h"

#include <string>
#include <string_view>
#include <utility>

#include "os/system.h"

namespace rlimit_init {
namespace {

const char* PeakFile(CgroupVersion version) {
  return version == CgroupVersion::kV2 ? "memory.peak" : "memory.max_usage_in_bytes";
}

CgroupPeak Missing(CgroupPeakMissing why, std::string path, int others = 0) {
  CgroupPeak peak;
  peak.missing = why;
  peak.path = std::move(path);
  peak.others = others;
  return peak;
}

}  // namespace

CgroupPeak CgroupAlone(System& system, const CgroupMemory& memory, int own_pid) {
  if (memory.version == CgroupVersion::kNone || memory.directory.empty()) {
    return Missing(CgroupPeakMissing::kNoDirectory, "");
  }
  const std::string procs_path = memory.directory + "/cgroup.procs";
  ReadResult procs = system.ReadHostFile(procs_path);
  if (!procs.ok) return Missing(CgroupPeakMissing::kUnreadable, procs_path);
  int others = 0;
  std::string_view rest = procs.data;
  const std::string own = std::to_string(own_pid);
  while (!rest.empty()) {
    const std::size_t newline = rest.find('\n');
    std::string_view line = TrimWhitespace(rest.substr(0, newline));
    rest = newline == rest.npos ? "" : rest.substr(newline + 1);
    if (!line.empty() && line != own) ++others;
  }
  if (others == 0) return {};
  return Missing(CgroupPeakMissing::kShared, memory.directory, others);
}

CgroupPeak ReadCgroupPeak(System& system, const CgroupMemory& memory, const CgroupPeak& alone) {
  if (alone.missing != CgroupPeakMissing::kNone) return alone;
  const std::string path = memory.directory + "/" + PeakFile(memory.version);
  ReadResult file = system.ReadHostFile(path);
  std::optional<std::uint64_t> bytes;
  if (file.ok) bytes = ParseCgroupLimit(file.data, system.PageSize());
  if (!bytes || *bytes == kUnlimited) return Missing(CgroupPeakMissing::kUnreadable, path);
  CgroupPeak peak;
  peak.bytes = bytes;
  peak.source = path;
  return peak;
}

}  // namespace rlimit_init

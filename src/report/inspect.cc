// SPDX-License-Identifier: Apache-2.0
#include "report/inspect.h"

#include "base/quantity.h"
#include "observe/limit_origin.h"
#include "report/cgroup_note_text.h"
#include "report/wording.h"

namespace rlimit_init {
namespace {

std::string Origin(const Observed& o, Resource resource, std::uint64_t threads_max) {
  return LimitOriginText(LikelyOrigin(resource, o.limit(resource), threads_max, o.layer), resource,
                         o.layer.layer);
}

std::string Optional(const std::optional<std::uint64_t>& bytes) {
  return bytes ? DescribeBytes(*bytes) : "unknown";
}

// Every rlimit, soft and hard, and where it likely came from: one line each.
std::string LimitLines(const Observed& o, std::uint64_t threads_max) {
  std::string out = "rlimits (soft, hard; where each likely came from):\n";
  for (const ResourceRow& row : kResources) {
    const LimitPair& limit = o.limit(row.resource);
    std::string name = "  " + std::string(row.name) + ":";
    name.resize(14, ' ');
    out += name + "soft " + DescribeLimit(row.resource, limit.soft) + ", hard " +
           DescribeLimit(row.resource, limit.hard) + "; " + Origin(o, row.resource, threads_max) +
           "\n";
  }
  return out;
}

Json LimitsJson(const Observed& o, std::uint64_t threads_max) {
  Json out = Json::array();
  for (const ResourceRow& row : kResources) {
    const LimitPair& limit = o.limit(row.resource);
    Json item;
    item["name"] = row.name;
    item["soft"] = JsonBytes(limit.soft);
    item["hard"] = JsonBytes(limit.hard);
    item["kernel_default"] = IsKernelDefault(row.resource, limit, threads_max);
    item["origin"] = Origin(o, row.resource, threads_max);
    out.push_back(std::move(item));
  }
  return out;
}

}  // namespace

std::string LimitOriginText(LimitOrigin origin, Resource resource, Layer layer) {
  switch (origin) {
    case LimitOrigin::kKernelDefault:
      return "the kernel's default for PID 1: no layer changed it";
    case LimitOrigin::kSystemdDefault:
      return "systemd's default for services (DefaultLimitNOFILE=1024:524288), which containerd "
             "2.x and Docker 29 pass on to containers";
    case LimitOrigin::kContainerdUnitNofile:
      return "LimitNOFILE=1048576 (or infinity, fs.nr_open's default) in containerd's or "
             "dockerd's systemd unit before containerd 2.0";
    case LimitOrigin::kContainerdUnitInfinity:
      return std::string("Limit") + (resource == Resource::kNproc ? "NPROC" : "CORE") +
             "=infinity in containerd's systemd unit, which its containers inherit";
    case LimitOrigin::kParentProcess:
      return "inherited from the parent process (a shell's ulimit, pam_limits or whatever "
             "started it)";
    case LimitOrigin::kOciSpec:
      return "inherited: the container's OCI spec (process.rlimits) or its runtime's own";
    case LimitOrigin::kLayer:
      break;
  }
  return std::string("inherited: set by ") + LayerName(layer) + " or a layer above it";
}

std::string RenderInspectText(const Observed& o, std::uint64_t threads_max) {
  std::string ceiling_source;
  std::optional<std::uint64_t> ceiling = MemoryCeiling(o, &ceiling_source);
  const CgroupMemory& c = o.cgroup;
  std::string out;
  out += "address space (RLIMIT_AS): soft " + DescribeBytes(o.limit(Resource::kAs).soft) + ", hard " +
         DescribeBytes(o.limit(Resource::kAs).hard) + "\n";
  const char data_flag = kResources[static_cast<std::size_t>(Resource::kData)].ulimit_flag;
  out += "data (RLIMIT_DATA):        soft " + DescribeBytes(o.limit(Resource::kData).soft, data_flag) +
         ", hard " + DescribeBytes(o.limit(Resource::kData).hard, data_flag) + "\n";
  out += std::string("may raise hard limit:      ") +
         (o.may_raise_hard ? "yes (CAP_SYS_RESOURCE in the initial user namespace)"
                           : "no (needs CAP_SYS_RESOURCE in the initial user namespace)") +
         "\n";
  out += std::string("cgroup:                    ") + CgroupVersionName(c.version) + " " +
         (c.cgroup_path.empty() ? "-" : c.cgroup_path) + " at " +
         (c.directory.empty() ? "-" : c.directory) + "\n";
  const std::string from = c.limit_source.empty() ? "" : " from " + c.limit_source;
  out +=
      "cgroup memory limit:       " +
      (c.known() ? DescribeBytes(c.limit) + from : "unknown (" + CgroupNoteText(*c.unknown) + ")") +
      "\n";
  out += "cgroup memory.high:        " + DescribeBytes(c.high) +
         (c.high_source.empty() ? "" : " from " + c.high_source) + "\n";
  out += "cgroup swap limit:         " + DescribeBytes(c.swap_max) + "\n";
  out += "MemTotal:                  " + Optional(o.host.mem_total) + "\n";
  out += "MemAvailable:              " + Optional(o.host.mem_available) + "\n";
  out += "vm.overcommit_memory:      " +
         (o.host.overcommit_mode ? std::to_string(*o.host.overcommit_mode) : "unknown") + "\n";
  out += "CommitLimit:               " + Optional(o.host.commit_limit) + "\n";
  out += "Committed_AS:              " + Optional(o.host.committed_as) + "\n";
  out += "memory ceiling:            " +
         (ceiling ? DescribeBytes(*ceiling) : "unknown (the cgroup memory limit is unknown)") +
         (ceiling_source.empty() ? "" : " from " + ceiling_source) + "\n";
  out += "layer:                     " + LayerLine(o.layer) + "\n";
  for (const CgroupNote& note : c.notes) out += "note: " + CgroupNoteText(note) + "\n";
  return out + LimitLines(o, threads_max);
}

std::string RenderInspectJson(const Observed& o, std::uint64_t threads_max) {
  std::string ceiling_source;
  std::optional<std::uint64_t> ceiling = MemoryCeiling(o, &ceiling_source);
  const CgroupMemory& c = o.cgroup;
  Json out;
  out["as_soft"] = JsonBytes(o.limit(Resource::kAs).soft);
  out["as_hard"] = JsonBytes(o.limit(Resource::kAs).hard);
  out["data_soft"] = JsonBytes(o.limit(Resource::kData).soft);
  out["data_hard"] = JsonBytes(o.limit(Resource::kData).hard);
  out["may_raise_hard"] = o.may_raise_hard;
  out["cgroup_version"] = CgroupVersionName(c.version);
  out["cgroup_path"] = c.cgroup_path;
  out["cgroup_directory"] = c.directory;
  AddMemoryLimit(c, &out);
  out["memory_high_bytes"] = JsonBytes(c.high);
  out["memory_high_source"] = c.high_source;
  out["swap_max_bytes"] = JsonBytes(c.swap_max);
  out["mem_total_bytes"] = JsonBytes(o.host.mem_total);
  out["mem_available_bytes"] = JsonBytes(o.host.mem_available);
  out["overcommit_memory"] =
      o.host.overcommit_mode ? Json(*o.host.overcommit_mode) : Json(nullptr);
  out["commit_limit_bytes"] = JsonBytes(o.host.commit_limit);
  out["committed_as_bytes"] = JsonBytes(o.host.committed_as);
  out["memory_ceiling_bytes"] = JsonBytes(ceiling);
  out["memory_ceiling_source"] = ceiling_source;
  out["layer"] = LayerName(o.layer.layer);
  out["layer_evidence"] = LayerEvidenceText(o.layer);
  out["notes"] = CgroupNotesJson(c.notes);
  out["limits"] = LimitsJson(o, threads_max);
  return DumpJson(std::move(out));
}

}  // namespace rlimit_init

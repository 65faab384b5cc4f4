// SPDX-License-Identifier: Apache-2.0
// The cap an administrator usually means. A LimitAS=, `ulimit -v` or --ulimit cap is most often
// there to bound memory, and RLIMIT_AS is the wrong tool for that: it counts reservations, which
// the JVM (heap, class space, code cache), V8 (10 GiB per WebAssembly memory) and Go (its arena
// index) make far beyond what they use. Since Linux 4.7 ("mm: enable RLIMIT_DATA by default
// with workaround for valgrind", after 4.5's "mm: rework virtual memory accounting")
// RLIMIT_DATA counts the private writable mappings (mm/internal.h is_data_mapping(): VM_WRITE
// without VM_SHARED or VM_STACK), so PROT_NONE reservations are not counted until they are made
// writable: it bounds use, and those runtimes run (docs/runtimes.md has the least AS and DATA of
// each, measured).
//
// The value is the one the fix gives RLIMIT_AS, the job's request, not the cap it has now:
// what RLIMIT_DATA counts is a part of what RLIMIT_AS counts, so every job that runs under
// LimitAS=N runs under LimitDATA=N, and the administrator who accepts the fix accepts N. The
// old cap could refuse memory the policy asks for.
//
// Said only where the layer has a setting of its own for RLIMIT_DATA (every layer here has:
// go-units, hence docker, podman and CRI-O, takes "data"; OCI specs, systemd and bash name it;
// Slurm has no slurm.conf setting for it, but slurmd's own hard limit is one, as for RLIMIT_AS).
// Not for an unlimited request: there is no number to bound memory at.
#include "advice/advice_data.h"
#include "advice/advice_values.h"
#include "advice/limit_names.h"

namespace rlimit_init {
namespace {

std::string OciDataEntry(std::uint64_t value) {
  std::string v = OciValue(value);
  return Cat({"{\"type\":\"RLIMIT_DATA\",\"soft\":", v, ",\"hard\":", v, "}"});
}

std::string GoUnitsData(std::uint64_t value) {
  std::string v = GoUnitsValue(value);
  return Cat({"data=", v, ":", v});
}

// The setting, in imperative form, that caps RLIMIT_DATA where the layer capped RLIMIT_AS.
std::string DataSetting(const AdviceInput& input, std::uint64_t value) {
  const std::string bytes = OciValue(value);
  const std::string kib = UlimitValue(NamesOf(Resource::kData), value);
  const std::string containerd =
      Cat({" instead of RLIMIT_AS (or LimitDATA=", bytes,
           " instead of LimitAS= on containerd.service)"});
  switch (input.layer.layer) {
    case Layer::kKubernetes:
      switch (input.layer.runtime) {
        case Runtime::kCrio:
          return Cat({"set default_ulimits = [\"", GoUnitsData(value),
                      "\"] in [crio.runtime] of /etc/crio/crio.conf, with no LimitAS= on "
                      "crio.service"});
        case Runtime::kDocker:
          return Cat({"set \"default-ulimits\": {\"data\": {\"Name\": \"data\", \"Hard\": ",
                      bytes, ", \"Soft\": ", bytes,
                      "}} in /etc/docker/daemon.json, with no LimitAS= on containerd.service "
                      "and docker.service"});
        case Runtime::kPodman:
          return Cat({"run the container with podman run --ulimit ", GoUnitsData(value),
                      ", from a shell or unit without the ulimit -v or LimitAS="});
        case Runtime::kContainerd:
        case Runtime::kUnknown:
          return Cat({"put ", OciDataEntry(value), " in base_runtime_spec's process.rlimits",
                      containerd});
      }
      break;
    case Layer::kDocker:
      return Cat({"run the container with docker run --ulimit ", GoUnitsData(value),
                  ", with no LimitAS= on containerd.service and docker.service"});
    case Layer::kPodman:
      return Cat({"run the container with podman run --ulimit ", GoUnitsData(value),
                  ", from a shell or unit without the ulimit -v or LimitAS="});
    case Layer::kSystemd: {
      std::string_view unit = input.layer.unit;
      if (unit.empty()) unit = "UNIT";
      return Cat({"set LimitDATA=", bytes, " in ", unit,
                  " instead of LimitAS= (DefaultLimitDATA= instead of DefaultLimitAS=)"});
    }
    case Layer::kSlurm:
      return Cat({"give slurmd LimitDATA=", bytes,
                  " instead of LimitAS= in its drop-in (ulimit -d ", kib,
                  " instead of ulimit -v in the shell that starts slurmd)"});
    case Layer::kContainer:
      return Cat({"put ", OciDataEntry(value), " in process.rlimits of its config.json",
                  containerd});
    case Layer::kShell:
      return Cat({"run ulimit -d ", kib, " instead of ulimit -v (prlimit --data=", bytes, ":",
                  bytes, " instead of --as, the \"data\" item of limits.conf instead of \"as\")"});
  }
  return "";
}

}  // namespace

std::string DataCapLine(const AdviceInput& input, std::uint64_t needed) {
  if (needed == kUnlimited) return "";
  std::string setting = DataSetting(input, needed);
  if (setting.empty()) return "";
  return Cat({"if the address-space cap is there to bound memory, cap RLIMIT_DATA in its place: ",
              setting,
              "; since Linux 4.7 RLIMIT_DATA counts private writable memory, not reserved "
              "address space, so it bounds what the job uses without breaking runtimes that "
              "reserve far more than they use (the JVM, Node.js's WebAssembly, Go; not "
              "AddressSanitizer, whose shadow it counts)"});
}

}  // namespace rlimit_init

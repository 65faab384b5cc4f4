// SPDX-License-Identifier: Apache-2.0
// What to change when Podman started the container.
//
// Podman has no daemon: conmon and runc are its children, so a container inherits every rlimit
// its OCI spec does not set from the podman process. `podman run --ulimit` and containers.conf
// default_ulimits go through docker/go-units ParseUlimit (containers/podman v4.3.1,
// pkg/specgenutil/specgen.go), which has "as" commented out: podman 4.3 answers
// `ulimit option "as=...:..." requires name=SOFT:HARD, failed to be parsed: invalid ulimit
// type: as` (test_podman.py runs it). So RLIMIT_AS always comes from the process that runs
// podman, `--ulimit host` or not; Quadlet arrived in podman 4.4, after Debian bookworm's 4.3.
#include "advice/advice_podman.h"
#include "advice/advice_values.h"

namespace rlimit_init {

Advice PodmanHardLimit(const RlimitNames& names, const AdviceInput& /*input*/,
                       std::uint64_t needed) {
  if (names.go_units != nullptr) {
    std::string value = GoUnitsValue(needed);
    return {Cat({"run the container with podman run --ulimit ", names.go_units, "=", value, ":",
                 value, " (-1 means unlimited)"}),
            // containers.conf(5): default_ulimits, "name=soft-limit:hard-limit".
            Cat({"set default_ulimits = [\"", names.go_units, "=", value, ":", value,
                 "\"] in the [containers] table of containers.conf for every container"})};
  }
  return {std::string("the container inherits ") + names.oci_type +
          " from the podman process (podman run --ulimit cannot set it): run podman from a "
          "shell that has run ulimit " +
          names.ulimit_option + " " + UlimitValue(names, needed) +
          " (raising a hard limit needs root), or from a systemd unit with " + names.systemd +
          "=" + SystemdValue(needed)};
}

Advice PodmanMemoryLimit(const AdviceInput& /*input*/, std::uint64_t needed,
                         const CgroupMemory& /*cgroup*/) {
  return {"run the container with podman run --memory=" + std::to_string(needed) + " or more"};
}

}  // namespace rlimit_init

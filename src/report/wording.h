// SPDX-License-Identifier: Apache-2.0
// The words and fields every report module shares, written once: what a decision did (the
// summary line, also JSON's "message") and, for a refusal, the setting to change in the layer
// that set the limit. The text renderer (text_report.h), the JSON renderer (json_report.h) and
// inspect include this module, never each other; the warnings' words are warning_text.h's.
#pragma once

#include <cstdint>
#include <string>

#include "advice/advice.h"
#include "base/json.h"
#include "base/limit.h"
#include "decide/decision.h"
#include "observe/cgroup.h"

namespace rlimit_init {

/// What pointed at the layer: "KUBERNETES_SERVICE_HOST is set", "cgroup path /system.slice/
/// batch.service is a systemd service", "no container, scheduler or service manager detected".
std::string LayerEvidenceText(const DetectedLayer& layer);

/// The layer and what showed it, as a report's layer line says them: "Docker (/.dockerenv
/// exists)".
std::string LayerLine(const DetectedLayer& layer);

/// "8 MiB (8388608 bytes, ulimit -s 8192)", "65536", "unlimited".
std::string DescribeLimit(Resource resource, std::uint64_t value);

/// Adds memory_limit_bytes, memory_limit_source and memory_limit_unknown to `object`: the bytes
/// (or "unlimited") and the file, or null and "" with the reason when it is unknown.
void AddMemoryLimit(const CgroupMemory& cgroup, Json* object);

/// "cgroup memory limit 4 GiB from /sys/fs/cgroup/job/memory.max", "no cgroup memory limit;
/// host MemTotal 16 GiB", "cgroup memory limit unknown (...)".
std::string MemoryPart(const Observed& observed);

/// The policy's spec of `limit`'s resource (an empty one when the policy has none).
const LimitSpec& SpecOf(const LimitDecision& limit, const Policy& policy);

/// The one-line summary without the "rlimit-init: " prefix, e.g. "raised the soft
/// address-space limit (RLIMIT_AS) from ... to ...". Also the JSON "message". With `would`
/// (for `check`, which sets nothing) it says what a run would do: "would raise ...".
std::string Summary(const Decision& decision, const Observed& observed, const Policy& policy,
                    bool would = false);

/// For a refusal, the setting to change in the detected layer first, then the alternatives
/// (other settings of that layer, then what the policy itself could accept); empty when not
/// refused.
Advice Remedies(const Decision& decision, const Observed& observed, const Policy& policy);

/// The first of Remedies: the setting to change, in the detected layer; "" when not refused.
std::string Fix(const Decision& decision, const Observed& observed, const Policy& policy);

/// "raised the soft nofile limit (RLIMIT_NOFILE, ulimit -n) from 1024 to 65536; hard limit
/// 524288", without the prefix; `would` for check.
std::string LimitSummary(const LimitDecision& limit, const Policy& policy, bool would = false);

/// For a refused limit, or one granted only the hard limit, the fix in the detected layer
/// first, then the alternatives.
Advice LimitRemedies(const LimitDecision& limit, const Observed& observed, const Policy& policy);

}  // namespace rlimit_init

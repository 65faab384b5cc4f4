// SPDX-License-Identifier: Apache-2.0
// Everything rlimit-init says about a decision: the one-line summary, the refusal block with
// the setting to change in the layer that set the limit, and the JSON object.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "advice/advice.h"
#include "decide/decision.h"

namespace rlimit_init {

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

/// The full text report: the summary line (left out when `quiet` and not refused), one
/// "rlimit-init: warning: ..." line per warning, and for a refusal the block naming what was
/// asked, what blocks it, the layer and the fix. With `verbose`, the observations too.
std::string RenderText(const Decision& decision, const Observed& observed, const Policy& policy,
                       bool quiet, bool verbose, bool would = false);

/// One JSON object on one line, ending in a newline.
std::string RenderJson(const Decision& decision, const Observed& observed, const Policy& policy,
                       bool would = false);

/// `,"memory_limit_bytes":...,"memory_limit_source":...,"memory_limit_unknown":...`: the
/// bytes (or "unlimited") and the file, or null and "" with the reason when it is unknown.
std::string JsonMemoryLimit(const CgroupMemory& cgroup);

/// The fix when the cgroup memory limit is unknown: what lets rlimit-init read it.
std::string UnknownLimitAdvice(const CgroupMemory& cgroup);

/// A JSON object for an error that stopped rlimit-init before any decision.
std::string RenderErrorJson(int exit_code, std::string_view message);

/// A Kubernetes quantity for `bytes`: "4Gi" where a binary suffix divides it exactly, else the
/// plain byte count.
std::string ToQuantity(std::uint64_t bytes);

/// Escapes `text` as a JSON string, with the quotes.
std::string JsonString(std::string_view text);

/// A byte value as JSON: a number, or the string "unlimited".
std::string JsonBytes(std::uint64_t bytes);

}  // namespace rlimit_init

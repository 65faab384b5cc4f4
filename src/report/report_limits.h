// SPDX-License-Identifier: Apache-2.0
// What rlimit-init says about the limits other than the address space: one summary line per
// limit the policy names, the refusal block with the setting to change in the layer that set
// the limit, and their JSON. Pure.
#pragma once

#include <string>

#include "advice/advice.h"
#include "base/json.h"
#include "decide/decision.h"

namespace rlimit_init {

/// "raised the soft nofile limit (RLIMIT_NOFILE, ulimit -n) from 1024 to 65536; hard limit
/// 524288", without the prefix; `would` for check.
std::string LimitSummary(const LimitDecision& limit, const Policy& policy, bool would = false);

/// For a refused limit, the fix in the detected layer first, then the alternatives.
Advice LimitRemedies(const LimitDecision& limit, const Observed& observed, const Policy& policy);

/// The text lines for every limit in `decision.limits` (summaries left out when `quiet`).
std::string RenderLimitsText(const Decision& decision, const Observed& observed,
                             const Policy& policy, bool quiet, bool would = false);

/// A JSON array with one object per limit in `decision.limits`.
Json LimitsJson(const Decision& decision, const Observed& observed, const Policy& policy,
                bool would = false);

}  // namespace rlimit_init

// SPDX-License-Identifier: Apache-2.0
// The text report of a decision: the summary line of the address space and of every other
// limit, one "rlimit-init: warning: ..." line per warning, and for a refusal the block naming
// what was asked, what blocks it, the layer and the fix. The words are wording.h's and
// warning_text.h's; json_report.h says the same as JSON.
#pragma once

#include <string_view>
#include <string>

#include "decide/decision.h"

namespace rlimit_init {

/// The full text report: the summary line (left out when `quiet` and not refused), the
/// warnings, and the refusal block. With `verbose`, the observations first. With `would` (for
/// `check`) it says what a run would do.
std::string RenderText(const Decision& decision, const Observed& observed, const Policy& policy,
                       bool quiet, bool verbose, bool would = false);

/// Said without allocating, when allocating is what failed (exit 70); json_report.h's
/// kOutOfMemoryJson says the same (a unit test holds them equal).
inline constexpr std::string_view kOutOfMemoryText =
    "rlimit-init: out of memory: the hard address-space or data limit (ulimit -Hv, ulimit -Hd) "
    "leaves rlimit-init too little to read the policy and the host; nothing was executed\n";

}  // namespace rlimit_init

// SPDX-License-Identifier: Apache-2.0
// Everything rlimit-init says about a decision: the one-line summary, the refusal block with
// the setting to change in the layer that set the limit, and the JSON object.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "advice/advice.h"
#include "base/json.h"
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

/// The JSON object of a run, `check` or refusal (docs/schema/report.json).
Json DecisionJson(const Decision& decision, const Observed& observed, const Policy& policy,
                  bool would = false);

/// DecisionJson on one line, ending in a newline.
std::string RenderJson(const Decision& decision, const Observed& observed, const Policy& policy,
                       bool would = false);

/// A JSON object for an error that stopped rlimit-init before any decision
/// (docs/schema/error.json).
std::string RenderErrorJson(int exit_code, std::string_view message);

/// `version -o json`: {"version":...,"commit":...} (docs/schema/version.json).
std::string RenderVersionJson(std::string_view version, std::string_view commit);

/// `install DIR -o json` when it installed the binary at `path` (docs/schema/install.json).
std::string RenderInstalledJson(std::string_view path);

/// Said without allocating, when allocating is what failed (exit 70): the text line, and the
/// same as RenderErrorJson writes it (a unit test holds them equal).
inline constexpr std::string_view kOutOfMemoryText =
    "rlimit-init: out of memory: the hard address-space or data limit (ulimit -Hv, ulimit -Hd) "
    "leaves rlimit-init too little to read the policy and the host; nothing was executed\n";
inline constexpr std::string_view kOutOfMemoryJson =
    "{\"outcome\":\"error\",\"exit_code\":70,\"message\":\"out of memory: the hard "
    "address-space or data limit (ulimit -Hv, ulimit -Hd) leaves rlimit-init too little to read "
    "the policy and the host; nothing was executed\"}\n";

}  // namespace rlimit_init

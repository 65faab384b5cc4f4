// SPDX-License-Identifier: Apache-2.0
// The JSON objects rlimit-init writes with -o json, one schema each in docs/schema/: a
// decision (the same words as text_report.h, from wording.h and warning_text.h), an error, the
// version and an install.
#pragma once

#include <string>
#include <string_view>

#include "base/json.h"
#include "decide/decision.h"

namespace rlimit_init {

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

/// RenderErrorJson(70, ...) written without allocating, when allocating is what failed; the
/// same words as text_report.h's kOutOfMemoryText.
inline constexpr std::string_view kOutOfMemoryJson =
    "{\"outcome\":\"error\",\"exit_code\":70,\"message\":\"out of memory: the hard "
    "address-space or data limit (ulimit -Hv, ulimit -Hd) leaves rlimit-init too little to read "
    "the policy and the host; nothing was executed\"}\n";

}  // namespace rlimit_init

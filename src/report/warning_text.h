// SPDX-License-Identifier: Apache-2.0
// The words of every warning Decide returns (decide/warning.h), written once: the text report
// prints them after "rlimit-init: warning: ", the JSON report lists them under "warnings".
#pragma once

#include <string>

#include "base/json.h"
#include "decide/decision.h"

namespace rlimit_init {

/// A lowercase fragment without a prefix. `observed` and `policy` are what `warning` was decided
/// from: they hold the names it quotes (the cgroup file, the runtime, an override's origin).
std::string WarningText(const Warning& warning, const Observed& observed, const Policy& policy);

/// One "rlimit-init: warning: ..." line per warning, appended to `out`.
void AppendWarnings(std::string* out, const Warnings& warnings, const Observed& observed,
                    const Policy& policy);

/// The warnings as a JSON array of their texts.
Json WarningsJson(const Warnings& warnings, const Observed& observed, const Policy& policy);

}  // namespace rlimit_init

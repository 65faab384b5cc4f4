// SPDX-License-Identifier: Apache-2.0
// What `measure` says about a run: the text report, the JSON object and the recommended policy
// file, all from the MeasureReport of decide/measure_result.h.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "decide/measure_result.h"

namespace rlimit_init {

/// The recommended policy as a file `rlimit-init check` accepts as it is, with a comment per
/// value saying where it came from. Written by yaml-cpp's Emitter (policy/policy_writer.h).
std::string RenderRecommendedPolicy(const Recommendation& recommendation, const Usage& usage,
                                    std::string_view command);

/// What the maps showed: "a JVM", "Node.js", "AddressSanitizer" ...
std::string MappedRuntimeName(const MappedRuntime& runtime);

/// What in the maps said so: "libjvm.so", "2 WebAssembly guard regions of 8 GiB" ...
std::string MappedRuntimeEvidence(const MappedRuntime& runtime);

/// The text report, every line starting "rlimit-init: " or indented, the recommended policy
/// last.
std::string RenderMeasureText(const MeasureReport& report);

/// The same as one JSON object on one line, ending in a newline.
std::string RenderMeasureJson(const MeasureReport& report);

}  // namespace rlimit_init

// SPDX-License-Identifier: Apache-2.0
// `rlimit-init inspect`: every limit that applies to this process, as text or JSON.
#pragma once

#include <string>

#include "decision.h"

namespace rlimit_init {

std::string RenderInspectText(const Observed& observed);
std::string RenderInspectJson(const Observed& observed);

}  // namespace rlimit_init

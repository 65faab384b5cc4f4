// SPDX-License-Identifier: Apache-2.0
// The RLIMIT_DATA line that follows every layer's fix for a hard RLIMIT_AS.
#pragma once

#include <cstdint>
#include <string>

#include "advice/advice.h"

namespace rlimit_init {

/// For an RLIMIT_AS refusal: the layer's RLIMIT_DATA setting at `needed`, said as the cap to
/// bound memory with instead; "" for an unlimited request.
std::string DataCapLine(const AdviceInput& input, std::uint64_t needed);

}  // namespace rlimit_init

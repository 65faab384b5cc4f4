// SPDX-License-Identifier: Apache-2.0
// Gathers every observation Decide needs, through the System seam.
#pragma once

#include "decide/decision.h"

namespace rlimit_init {

class System;

/// `inherited` is RLIMIT_AS as the process started with it, read before rlimit-init lifted
/// its own soft limit. Never fails; what cannot be read becomes a note or stays unknown.
Observed Observe(System& system, const LimitPair& inherited);

}  // namespace rlimit_init

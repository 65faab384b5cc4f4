// SPDX-License-Identifier: Apache-2.0
// The advice module's names for every resource, built from the resource table. Pure.
#pragma once

#include "advice/advice.h"
#include "base/limit.h"

namespace rlimit_init {

/// How each tool names `resource`; for as, advice.h's kAddressSpaceNames.
const RlimitNames& NamesOf(Resource resource);

}  // namespace rlimit_init

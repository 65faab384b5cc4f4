// SPDX-License-Identifier: Apache-2.0
// `rlimit-init install DIR`: the init-container step that copies the binary into a shared
// volume for the workload container.
#pragma once

#include <string>

namespace rlimit_init {

class System;

/// The exit code when DIR/rlimit-init cannot be written: EX_CANTCREAT from sysexits.h.
inline constexpr int kExitCannotInstall = 73;

/// Name of the installed binary inside DIR.
inline constexpr char kInstalledName[] = "rlimit-init";

/// Copies the running executable to DIR/rlimit-init atomically, mode 0755. Returns the exit
/// code: 0, or kExitCannotInstall with a message naming the failing call.
int InstallTo(System& system, const std::string& dir, bool quiet, bool json = false);

}  // namespace rlimit_init

// SPDX-License-Identifier: Apache-2.0
// Replacing rlimit-init with the workload.
#pragma once

#include <string>
#include <vector>

namespace rlimit_init {

class System;

/// The exit code for a failed exec: 127 when the command was not found, else 126.
int ExecFailureExitCode(int error);

/// The directories execvp searches when PATH is unset: confstr(_CS_PATH).
std::string DefaultSearchPath();

/// execvp(command). Only returns on failure, with the error message (no prefix) in `message`
/// and the exit code to use.
int ExecWorkload(System& system, const std::vector<std::string>& command, std::string* message);

}  // namespace rlimit_init

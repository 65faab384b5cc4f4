// SPDX-License-Identifier: Apache-2.0
// What rlimit-init does once its command line is parsed: the numbered steps of main().
#pragma once

#include "cli/cli.h"
#include "cli/precedence.h"
#include "os/processes.h"
#include "os/system.h"

namespace rlimit_init {

/// Documented exit codes (README, --help); each is covered by a black-box test.
inline constexpr int kExitUsage = 64;
inline constexpr int kExitInternal = 70;
inline constexpr int kExitRefused = 77;
inline constexpr int kExitConfig = 78;

/// rlimit-init's environment variables, through `system`.
SettingsEnvironment ReadSettingsEnvironment(System& system);

/// Runs the invocation; returns the exit code, or does not return when the workload is exec'd.
/// In init mode it returns the workload's exit code once the workload has ended.
/// `inherited` is RLIMIT_AS as the process started with it.
int Run(const Invocation& invocation, System& system, Processes& processes,
        const LimitPair& inherited);

/// The same with the environment variables already read (main reads them for --host-root).
int Run(const Invocation& invocation, const SettingsEnvironment& env, System& system,
        Processes& processes, const LimitPair& inherited);

}  // namespace rlimit_init

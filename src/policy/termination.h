// SPDX-License-Identifier: Apache-2.0
// The termination message file: Kubernetes shows its contents in `kubectl describe pod`. It is
// the only file rlimit-init writes besides `install`'s copy, and it writes it as root, so the
// path is checked when the policy names it and the file again when it is opened
// (RealSystem::WriteExistingFile).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace rlimit_init {

/// Kubernetes' default terminationMessagePath; a pod spec may name another.
inline constexpr char kDefaultTerminationPath[] = "/dev/termination-log";

/// Kubernetes reads at most 4096 bytes of the file.
inline constexpr std::size_t kTerminationMessageMax = 4096;

/// Why `path` (absolute) may not be a termination message file, or nullopt when it may: a NUL
/// byte (the kernel would see a shorter path than the policy shows), a ".." component, or a
/// place under /proc or /sys, whose files are kernel interfaces (/proc/sysrq-trigger) rather
/// than files. The same lexical check cannot see symlinks; the open does (see
/// System::WriteExistingFile).
std::optional<std::string> UnsafeTerminationPath(std::string_view path);

}  // namespace rlimit_init

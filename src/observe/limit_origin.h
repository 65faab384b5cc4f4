// SPDX-License-Identifier: Apache-2.0
// Where an inherited limit most likely came from, for `inspect`: a soft/hard pair that someone
// is known to set, else the layer that was detected. Pure; report/inspect.cc words it.
#pragma once

#include <cstdint>
#include <string_view>

#include "base/limit.h"
#include "observe/layer.h"

namespace rlimit_init {

/// The kernel's limits for PID 1 (include/asm-generic/resource.h, INIT_RLIMITS), which every
/// process inherits unless something on the way changes them. nproc and sigpending start at
/// half of max_threads (kernel/fork.c, fork_init), which /proc/sys/kernel/threads-max shows:
/// `threads_max` is that, or 0 when it could not be read. memlock is 8 MiB since Linux 5.16,
/// 64 KiB before.
bool IsKernelDefault(Resource resource, const LimitPair& limit, std::uint64_t threads_max);

/// /proc/sys/kernel/threads-max's number ("192729\n"), or 0 when it is not one.
std::uint64_t ParseThreadsMax(std::string_view file);

/// Where a soft/hard pair most likely came from.
enum class LimitOrigin {
  kKernelDefault,           // IsKernelDefault: no layer changed it
  kSystemdDefault,          // nofile 1024:524288, systemd's DefaultLimitNOFILE for services
  kContainerdUnitNofile,    // nofile 1048576:1048576, containerd's or dockerd's unit before 2.0
  kContainerdUnitInfinity,  // nproc or core unlimited in a container: containerd's unit
  kParentProcess,           // the shell layer: whatever started the process
  kOciSpec,                 // a bare container: its OCI spec or its runtime
  kLayer,                   // the detected layer, or one above it
};

LimitOrigin LikelyOrigin(Resource resource, const LimitPair& limit, std::uint64_t threads_max,
                         const DetectedLayer& layer);

}  // namespace rlimit_init

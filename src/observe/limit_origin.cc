// SPDX-License-Identifier: Apache-2.0
#include "observe/limit_origin.h"

#include <charconv>

namespace rlimit_init {
namespace {

constexpr std::uint64_t kMi = 1024 * 1024;

// The kernel's INIT_RLIMITS, the resources not listed there being unlimited: _STK_LIM for
// the soft stack, no core dumps, INR_OPEN_CUR:INR_OPEN_MAX open files, MLOCK_LIMIT locked
// bytes, MQ_BYTES_MAX of POSIX message queues, and no nice or real-time priority.
LimitPair KernelDefault(Resource resource, std::uint64_t threads_max) {
  switch (resource) {
    case Resource::kStack: return {8 * kMi, kUnlimited};
    case Resource::kCore: return {0, kUnlimited};
    case Resource::kNofile: return {1024, 4096};
    case Resource::kMemlock: return {8 * kMi, 8 * kMi};
    case Resource::kMsgqueue: return {819200, 819200};
    case Resource::kNice:
    case Resource::kRtprio: return {0, 0};
    case Resource::kNproc:
    case Resource::kSigpending: return {threads_max / 2, threads_max / 2};
    default: return {};
  }
}

}  // namespace

std::uint64_t ParseThreadsMax(std::string_view file) {
  if (file.ends_with('\n')) file.remove_suffix(1);
  std::uint64_t value = 0;
  auto [ptr, ec] = std::from_chars(file.data(), file.data() + file.size(), value);
  return file.empty() || ec != std::errc() || ptr != file.data() + file.size() ? 0 : value;
}

bool IsKernelDefault(Resource resource, const LimitPair& limit, std::uint64_t threads_max) {
  if ((resource == Resource::kNproc || resource == Resource::kSigpending) && threads_max == 0) {
    return false;
  }
  // Linux before 5.16 locked at most 64 KiB by default.
  if (resource == Resource::kMemlock && limit == LimitPair{64 * 1024, 64 * 1024}) return true;
  return limit == KernelDefault(resource, threads_max);
}

LimitOrigin LikelyOrigin(Resource resource, const LimitPair& limit, std::uint64_t threads_max,
                         const DetectedLayer& layer) {
  if (IsKernelDefault(resource, limit, threads_max)) return LimitOrigin::kKernelDefault;
  // Values that a known layer sets (containerd's and systemd's own unit files and defaults).
  if (resource == Resource::kNofile && limit == LimitPair{1024, 524288}) {
    return LimitOrigin::kSystemdDefault;
  }
  if (resource == Resource::kNofile && limit == LimitPair{1048576, 1048576}) {
    return LimitOrigin::kContainerdUnitNofile;
  }
  if ((resource == Resource::kNproc || resource == Resource::kCore) &&
      limit == LimitPair{kUnlimited, kUnlimited} &&
      (layer.layer == Layer::kDocker || layer.layer == Layer::kKubernetes ||
       layer.layer == Layer::kContainer)) {
    return LimitOrigin::kContainerdUnitInfinity;
  }
  switch (layer.layer) {
    case Layer::kShell:
      return LimitOrigin::kParentProcess;
    case Layer::kContainer:
      return LimitOrigin::kOciSpec;
    default:
      return LimitOrigin::kLayer;
  }
}

}  // namespace rlimit_init

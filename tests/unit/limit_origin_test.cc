// SPDX-License-Identifier: Apache-2.0
// Where inspect says an inherited limit likely came from; inspect_test.cc holds the words.
#include "observe/limit_origin.h"

#include <gtest/gtest.h>

namespace rlimit_init {
namespace {

constexpr std::uint64_t kMi = 1024 * 1024;
constexpr LimitOrigin kKernel = LimitOrigin::kKernelDefault;
// This development machine's /proc/sys/kernel/threads-max; its PID 1 has nproc 96364:96364.
constexpr std::uint64_t kThreadsMax = 192729;

DetectedLayer Detected(Layer layer) {
  DetectedLayer d;
  d.layer = layer;
  return d;
}

struct Case {
  Resource resource;
  LimitPair limit;
  Layer layer;
  LimitOrigin origin;
};

TEST(LimitOrigin, NamesTheKernelsDefaultsAndTheValuesKnownLayersSet) {
  const Case cases[] = {
      // include/asm-generic/resource.h INIT_RLIMITS, kernel/fork.c for nproc and sigpending.
      {Resource::kAs, {kUnlimited, kUnlimited}, Layer::kShell, kKernel},
      {Resource::kCpu, {kUnlimited, kUnlimited}, Layer::kShell, kKernel},
      {Resource::kStack, {8 * kMi, kUnlimited}, Layer::kShell, kKernel},
      {Resource::kCore, {0, kUnlimited}, Layer::kDocker, kKernel},
      {Resource::kNofile, {1024, 4096}, Layer::kShell, kKernel},
      {Resource::kMemlock, {8 * kMi, 8 * kMi}, Layer::kShell, kKernel},
      {Resource::kMemlock, {64 * 1024, 64 * 1024}, Layer::kShell, kKernel},  // before 5.16
      {Resource::kMsgqueue, {819200, 819200}, Layer::kShell, kKernel},
      {Resource::kNice, {0, 0}, Layer::kShell, kKernel},
      {Resource::kRtprio, {0, 0}, Layer::kShell, kKernel},
      {Resource::kRttime, {kUnlimited, kUnlimited}, Layer::kShell, kKernel},
      {Resource::kNproc, {96364, 96364}, Layer::kShell, kKernel},
      {Resource::kSigpending, {96364, 96364}, Layer::kShell, kKernel},
      // Not the kernel's: one side differs.
      {Resource::kStack, {8 * kMi, 64 * kMi}, Layer::kShell, LimitOrigin::kParentProcess},
      {Resource::kNproc, {96365, 96365}, Layer::kKubernetes, LimitOrigin::kLayer},
      {Resource::kNofile, {1024, 524288}, Layer::kDocker, LimitOrigin::kSystemdDefault},
      {Resource::kNofile,
       {1048576, 1048576},
       Layer::kKubernetes,
       LimitOrigin::kContainerdUnitNofile},
      {Resource::kCore,
       {kUnlimited, kUnlimited},
       Layer::kDocker,
       LimitOrigin::kContainerdUnitInfinity},
      {Resource::kNproc,
       {kUnlimited, kUnlimited},
       Layer::kContainer,
       LimitOrigin::kContainerdUnitInfinity},
      {Resource::kNproc, {kUnlimited, kUnlimited}, Layer::kSlurm, LimitOrigin::kLayer},
      {Resource::kNofile, {20000, 20000}, Layer::kContainer, LimitOrigin::kOciSpec},
  };
  for (const Case& row : cases) {
    EXPECT_EQ(
        static_cast<int>(LikelyOrigin(row.resource, row.limit, kThreadsMax, Detected(row.layer))),
        static_cast<int>(row.origin))
        << Row(row.resource).name;
  }
}

TEST(LimitOrigin, WithoutThreadsMaxNprocIsNeverCalledTheKernels) {
  EXPECT_FALSE(IsKernelDefault(Resource::kNproc, {0, 0}, 0));
  EXPECT_FALSE(IsKernelDefault(Resource::kSigpending, {0, 0}, 0));
  EXPECT_TRUE(IsKernelDefault(Resource::kNice, {0, 0}, 0));
}

TEST(LimitOrigin, ReadsThreadsMax) {
  EXPECT_EQ(ParseThreadsMax("192729\n"), 192729u);
  EXPECT_EQ(ParseThreadsMax("192729"), 192729u);
  EXPECT_EQ(ParseThreadsMax(""), 0u);
  EXPECT_EQ(ParseThreadsMax("12 \n"), 0u);
  EXPECT_EQ(ParseThreadsMax("-1\n"), 0u);
}

}  // namespace
}  // namespace rlimit_init

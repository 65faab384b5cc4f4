// SPDX-License-Identifier: Apache-2.0
// The words inspect gives each origin of an inherited limit (observe/limit_origin.h finds it,
// limit_origin_test.cc holds which): written once in report/inspect.cc.
#include "report/inspect.h"

#include <gtest/gtest.h>

#include <string>

namespace rlimit_init {
namespace {

struct Case {
  LimitOrigin origin;
  Resource resource;
  Layer layer;
  std::string text;
};

TEST(LimitOriginText, WordsEachOrigin) {
  const Case cases[] = {
      {LimitOrigin::kKernelDefault, Resource::kNofile, Layer::kShell,
       "the kernel's default for PID 1: no layer changed it"},
      {LimitOrigin::kSystemdDefault, Resource::kNofile, Layer::kDocker,
       "systemd's default for services (DefaultLimitNOFILE=1024:524288), which containerd 2.x "
       "and Docker 29 pass on to containers"},
      {LimitOrigin::kContainerdUnitNofile, Resource::kNofile, Layer::kKubernetes,
       "LimitNOFILE=1048576 (or infinity, fs.nr_open's default) in containerd's or dockerd's "
       "systemd unit before containerd 2.0"},
      {LimitOrigin::kContainerdUnitInfinity, Resource::kCore, Layer::kDocker,
       "LimitCORE=infinity in containerd's systemd unit, which its containers inherit"},
      {LimitOrigin::kContainerdUnitInfinity, Resource::kNproc, Layer::kContainer,
       "LimitNPROC=infinity in containerd's systemd unit, which its containers inherit"},
      {LimitOrigin::kParentProcess, Resource::kStack, Layer::kShell,
       "inherited from the parent process (a shell's ulimit, pam_limits or whatever started "
       "it)"},
      {LimitOrigin::kOciSpec, Resource::kNofile, Layer::kContainer,
       "inherited: the container's OCI spec (process.rlimits) or its runtime's own"},
      {LimitOrigin::kLayer, Resource::kNproc, Layer::kKubernetes,
       "inherited: set by Kubernetes or a layer above it"},
      {LimitOrigin::kLayer, Resource::kNproc, Layer::kSlurm,
       "inherited: set by Slurm or a layer above it"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.text);
    EXPECT_EQ(LimitOriginText(c.origin, c.resource, c.layer), c.text);
  }
}

}  // namespace
}  // namespace rlimit_init

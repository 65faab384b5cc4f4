// SPDX-License-Identifier: Apache-2.0
#include "policy/termination.h"

#include <gtest/gtest.h>

#include <string>

namespace rlimit_init {
namespace {

TEST(UnsafeTerminationPath, AcceptsOrdinaryFiles) {
  EXPECT_EQ(UnsafeTerminationPath("/dev/termination-log"), std::nullopt);
  EXPECT_EQ(UnsafeTerminationPath("/var/run/termination"), std::nullopt);
  EXPECT_EQ(UnsafeTerminationPath("/procfiles/x"), std::nullopt);
  EXPECT_EQ(UnsafeTerminationPath("/tmp/proc/x"), std::nullopt);
}

TEST(UnsafeTerminationPath, RefusesKernelInterfacesHoweverSpelled) {
  const std::string proc =
      "must not be under /proc: its files are kernel interfaces, not files to write a message to";
  EXPECT_EQ(UnsafeTerminationPath("/proc/sysrq-trigger"), proc);
  EXPECT_EQ(UnsafeTerminationPath("//proc/./sysrq-trigger"), proc);
  EXPECT_EQ(UnsafeTerminationPath("/./proc"), proc);
  EXPECT_EQ(UnsafeTerminationPath("/sys/kernel/uevent_helper"),
            "must not be under /sys: its files are kernel interfaces, not files to write a "
            "message to");
  EXPECT_EQ(UnsafeTerminationPath("/tmp/../proc/x"), "must not contain \"..\"");
  EXPECT_EQ(UnsafeTerminationPath(std::string("/tmp/x\0/etc/passwd", 18)),
            "must not contain a NUL byte");
}

}  // namespace
}  // namespace rlimit_init

// SPDX-License-Identifier: Apache-2.0
// The runtime a process is, from /proc/PID/maps copied from real processes on the development
// machine (tests/fixtures/runtimes/maps/: java Sleep.java, node with one WebAssembly memory, a
// Go and an ASan build sleeping).
#include "observe/runtime_maps.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

namespace rlimit_init {
namespace {

std::string Maps(const std::string& name) {
  std::ifstream in(std::string(RLIMIT_INIT_FIXTURES) + "/runtimes/maps/" + name);
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_FALSE(text.str().empty()) << name;
  return text.str();
}

TEST(RuntimeFromMaps, NamesEachRuntimeFromARealProcess) {
  std::optional<MappedRuntime> java = RuntimeFromMaps(Maps("java"));
  ASSERT_TRUE(java);
  EXPECT_EQ(java->kind, MappedRuntimeKind::kJvm);
  EXPECT_TRUE(java->jvm());
  std::optional<MappedRuntime> node = RuntimeFromMaps(Maps("node-wasm"));
  ASSERT_TRUE(node);
  EXPECT_EQ(node->kind, MappedRuntimeKind::kNode);
  EXPECT_EQ(node->guard_regions, 1);
  std::optional<MappedRuntime> go = RuntimeFromMaps(Maps("go"));
  ASSERT_TRUE(go);
  EXPECT_EQ(go->kind, MappedRuntimeKind::kGo);
  std::optional<MappedRuntime> asan = RuntimeFromMaps(Maps("asan"));
  ASSERT_TRUE(asan);
  EXPECT_EQ(asan->kind, MappedRuntimeKind::kAddressSanitizer);
  EXPECT_EQ(asan->library, "libasan.so.8.0.0");
  EXPECT_TRUE(asan->sanitizer());
}

TEST(RuntimeFromMaps, AJvmUnderPythonIsAJvmAndPlainProgramsAreNothing) {
  const std::string pyspark =
      "5586a1a00000-5586a1b00000 r-xp 00000000 fe:00 123 /usr/bin/python3.11\n"
      "7f0000000000-7f0000100000 r-xp 00000000 fe:00 456 "
      "/usr/lib/jvm/java-17-openjdk-amd64/lib/server/libjvm.so\n";
  EXPECT_EQ(RuntimeFromMaps(pyspark)->kind, MappedRuntimeKind::kJvm);
  EXPECT_EQ(RuntimeFromMaps("5586a1a00000-5586a1b00000 r-xp 00000000 fe:00 123 /usr/bin/python3.11\n"
                            "7ffd00000000-7ffd00021000 rw-p 00000000 00:00 0 [stack]"),
            std::nullopt);
  EXPECT_EQ(RuntimeFromMaps("7f0000000000-7f0000100000 r-xp 00000000 fe:00 9 "
                            "/usr/lib/python3/dist-packages/torch/lib/libtorch_cpu.so")
                ->kind,
            MappedRuntimeKind::kPyTorch);
  EXPECT_EQ(RuntimeFromMaps(""), std::nullopt);
}

}  // namespace
}  // namespace rlimit_init

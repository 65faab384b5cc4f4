// SPDX-License-Identifier: Apache-2.0
// The words measure's report gives each runtime the maps show (observe/runtime_maps.h finds
// it, runtime_maps_test.cc holds which): written once in report/measure_report.cc.
#include "report/measure_report.h"

#include <gtest/gtest.h>

#include <string>

namespace rlimit_init {
namespace {

struct Case {
  MappedRuntime runtime;
  std::string name;
  std::string evidence;
};

TEST(MappedRuntimeText, NamesEachRuntimeAndWhatShowedIt) {
  const Case cases[] = {
      {{MappedRuntimeKind::kAddressSanitizer, "libasan.so.8.0.0"}, "AddressSanitizer",
       "libasan.so.8.0.0"},
      {{MappedRuntimeKind::kThreadSanitizer, "libtsan.so.2.0.0"}, "ThreadSanitizer",
       "libtsan.so.2.0.0"},
      {{MappedRuntimeKind::kJvm}, "a JVM", "libjvm.so"},
      {{MappedRuntimeKind::kNode}, "Node.js", "its executable"},
      {{MappedRuntimeKind::kNode, "", 1}, "Node.js", "1 WebAssembly guard region of 8 GiB"},
      {{MappedRuntimeKind::kNode, "", 3}, "Node.js", "3 WebAssembly guard regions of 8 GiB"},
      {{MappedRuntimeKind::kPyTorch}, "PyTorch", "libtorch_cpu.so"},
      {{MappedRuntimeKind::kGo}, "a Go program", "its heap arena at 0xc000000000"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(MappedRuntimeName(c.runtime), c.name);
    EXPECT_EQ(MappedRuntimeEvidence(c.runtime), c.evidence) << c.name;
  }
}

}  // namespace
}  // namespace rlimit_init

// SPDX-License-Identifier: Apache-2.0
// The words measure's report gives each runtime the maps show (observe/runtime_maps.h finds
// it, runtime_maps_test.cc holds which): written once in report/measure_report.cc.
#include "report/measure_report.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>

namespace rlimit_init {
namespace {

struct Case {
  MappedRuntime runtime;
  std::string name;
  std::string evidence;
};

// Built field by field: g++ 12 warns (-Wmaybe-uninitialized, wrongly) on a nested brace
// initializer that gives MappedRuntime's string a value.
MappedRuntime Mapped(MappedRuntimeKind kind, std::string library = "", int guard_regions = 0) {
  MappedRuntime runtime;
  runtime.kind = kind;
  runtime.library = std::move(library);
  runtime.guard_regions = guard_regions;
  return runtime;
}

TEST(MappedRuntimeText, NamesEachRuntimeAndWhatShowedIt) {
  const Case cases[] = {
      {Mapped(MappedRuntimeKind::kAddressSanitizer, "libasan.so.8.0.0"), "AddressSanitizer",
       "libasan.so.8.0.0"},
      {Mapped(MappedRuntimeKind::kThreadSanitizer, "libtsan.so.2.0.0"), "ThreadSanitizer",
       "libtsan.so.2.0.0"},
      {Mapped(MappedRuntimeKind::kJvm), "a JVM", "libjvm.so"},
      {Mapped(MappedRuntimeKind::kNode), "Node.js", "its executable"},
      {Mapped(MappedRuntimeKind::kNode, "", 1), "Node.js", "1 WebAssembly guard region of 8 GiB"},
      {Mapped(MappedRuntimeKind::kNode, "", 3), "Node.js", "3 WebAssembly guard regions of 8 GiB"},
      {Mapped(MappedRuntimeKind::kPyTorch), "PyTorch", "libtorch_cpu.so"},
      {Mapped(MappedRuntimeKind::kGo), "a Go program", "its heap arena at 0xc000000000"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(MappedRuntimeName(c.runtime), c.name);
    EXPECT_EQ(MappedRuntimeEvidence(c.runtime), c.evidence) << c.name;
  }
}

}  // namespace
}  // namespace rlimit_init

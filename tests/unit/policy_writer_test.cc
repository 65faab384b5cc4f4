// SPDX-License-Identifier: Apache-2.0
#include "policy/policy_writer.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace rlimit_init {
namespace {

// Comments are printable ASCII whatever they are given: a line break cannot end one early and
// no YAML reader splits one at a character beyond ASCII (PyYAML ends a line at U+0085 and
// U+2028). The spelling is Printable's, as in every message.
TEST(WritePolicy, WritesCommentsAsPrintableAscii) {
  const std::vector<PolicyKey> keys = {
      {"apiVersion", "rlimit-init/v1", false, "", {}},
      {"env", "", false, "caf\xc3\xa9\tpinned", {
          {"MALLOC_ARENA_MAX", "2", true, "next\xc2\x85line sep\xe2\x80\xa8" "arator", {}},
      }},
  };
  EXPECT_EQ(WritePolicy("run of: it's # not\nthe end\r\xff", keys),
            "# run of: it's # not\\nthe end\\r\\xff\n\n"
            "apiVersion: rlimit-init/v1\n"
            "env:  # caf\\xc3\\xa9\\tpinned\n"
            "  MALLOC_ARENA_MAX: \"2\"  # next\\xc2\\x85line sep\\u2028arator\n");
}

}  // namespace
}  // namespace rlimit_init

// SPDX-License-Identifier: Apache-2.0
#include "base/json.h"

#include <gtest/gtest.h>

#include "base/limit.h"

namespace rlimit_init {
namespace {

TEST(DumpJson, WritesOneLineInTheOrderFieldsWereAdded) {
  Json document;
  document["outcome"] = "error";
  document["exit_code"] = 78;
  document["message"] = "bad \"x\"\n";
  EXPECT_EQ(DumpJson(document),
            "{\"outcome\":\"error\",\"exit_code\":78,\"message\":\"bad \\\"x\\\"\\n\"}\n");
}

TEST(DumpJson, KeepsInvalidBytesAsTheTextReportSpellsThem) {
  // Not dropped, not U+FFFD: the same \xNN the text report prints, in every nested string.
  Json document;
  document["path"] = "/p\xff\xfe.yaml";
  document["notes"] = Json::array({"a\x01", "caf\xc3\xa9"});
  EXPECT_EQ(DumpJson(document),
            "{\"path\":\"/p\\\\xff\\\\xfe.yaml\",\"notes\":[\"a\\u0001\",\"caf\xc3\xa9\"]}\n");
}

TEST(JsonBytes, UnlimitedIsAStringAndNothingIsNull) {
  EXPECT_EQ(JsonBytes(std::uint64_t{4096}).dump(), "4096");
  EXPECT_EQ(JsonBytes(kUnlimited).dump(), "\"unlimited\"");
  EXPECT_EQ(JsonBytes(std::optional<std::uint64_t>()).dump(), "null");
}

}  // namespace
}  // namespace rlimit_init

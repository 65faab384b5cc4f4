// SPDX-License-Identifier: Apache-2.0
#include "base/limit.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace rlimit_init {
namespace {

TEST(ResourceTable, RowsAreIndexedByTheirResource) {
  for (std::size_t i = 0; i < kResourceCount; ++i) {
    EXPECT_EQ(static_cast<std::size_t>(kResources[i].resource), i) << kResources[i].name;
  }
}

TEST(ResourceTable, NamesAndFlagsAreUnique) {
  std::set<std::string_view> names;
  std::set<char> flags;
  std::set<std::string_view> units;
  for (const ResourceRow& row : kResources) {
    EXPECT_TRUE(names.insert(row.name).second) << row.name;
    EXPECT_TRUE(flags.insert(row.ulimit_flag).second) << row.name;
    EXPECT_TRUE(units.insert(row.systemd).second) << row.name;
  }
}

TEST(ResourceTable, SystemdNameIsLimitAndTheUpperCaseName) {
  for (const ResourceRow& row : kResources) {
    std::string upper;
    for (char c : row.name) upper += static_cast<char>(c - 'a' + 'A');
    EXPECT_EQ(row.systemd, "Limit" + upper);
    EXPECT_EQ(row.kernel_name, "RLIMIT_" + upper);
  }
}

TEST(ResourceTable, KubernetesAllowsExactlyKep5758sSix) {
  std::set<std::string_view> allowed;
  for (const ResourceRow& row : kResources) {
    if (row.kubernetes) allowed.insert(row.name);
  }
  EXPECT_EQ(allowed, (std::set<std::string_view>{"core", "memlock", "nice", "nofile", "rtprio",
                                                  "stack"}));
}

TEST(ResourceTable, FindsByPrlimitName) {
  ASSERT_NE(FindResource("nofile"), nullptr);
  EXPECT_EQ(FindResource("nofile")->resource, Resource::kNofile);
  EXPECT_EQ(FindResource("as")->resource, Resource::kAs);
  EXPECT_EQ(FindResource("NOFILE"), nullptr);
  EXPECT_EQ(FindResource("files"), nullptr);
  EXPECT_EQ(FindResource(""), nullptr);
}

}  // namespace
}  // namespace rlimit_init

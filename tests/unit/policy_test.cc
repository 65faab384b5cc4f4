// SPDX-License-Identifier: Apache-2.0
#include "policy/policy.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <optional>
#include <sstream>
#include <string>

#include "fixture_tree.h"

namespace rlimit_init {
namespace {

constexpr char kHeader[] = "apiVersion: rlimit-init/v1\naddressSpace:\n";

Policy Parsed(const std::string& text) {
  Result<Policy> r = ParsePolicy(text, "policy.yaml");
  EXPECT_TRUE(r.ok()) << r.error();
  return r.ok() ? r.value() : Policy{};
}

TEST(Policy, EveryFieldIsRead) {
  Policy p = Parsed(
      "apiVersion: rlimit-init/v1\n"
      "addressSpace:\n"
      "  request: 6Gi\n"
      "  minimum: 4Gi\n"
      "  aboveCgroup: refuse\n"
      "  raiseHard: true\n"
      "memory:\n"
      "  require: \"4Gi\"\n"
      "report:\n"
      "  format: json\n"
      "  terminationMessagePath: /tmp/term\n"
      "user: \"1000:1000\"\n");
  EXPECT_EQ(p.request.kind, AmountSpec::Kind::kBytes);
  EXPECT_EQ(p.request.bytes, 6442450944u);
  EXPECT_EQ(p.request.text, "6Gi");
  ASSERT_TRUE(p.minimum.has_value());
  EXPECT_EQ(p.minimum->bytes, 4294967296u);
  EXPECT_EQ(p.above_cgroup, AboveCgroup::kRefuse);
  EXPECT_TRUE(p.raise_hard);
  EXPECT_EQ(p.memory_require, 4294967296u);
  EXPECT_EQ(p.format, OutputFormat::kJson);
  EXPECT_EQ(p.termination_message_path, "/tmp/term");
  EXPECT_EQ(p.user, "1000:1000");
  EXPECT_EQ(p.source, "policy.yaml");
}

TEST(Policy, DefaultsWhenOnlyRequestIsGiven) {
  Policy p = Parsed(std::string(kHeader) + "  request: 75%\n");
  EXPECT_EQ(p.request.kind, AmountSpec::Kind::kPercent);
  EXPECT_EQ(p.request.basis_points, 7500u);
  EXPECT_FALSE(p.minimum.has_value());
  EXPECT_EQ(p.above_cgroup, AboveCgroup::kWarn);
  EXPECT_FALSE(p.raise_hard);
  EXPECT_FALSE(p.memory_require.has_value());
  EXPECT_FALSE(p.format.has_value());
  EXPECT_EQ(p.termination_message_path, "/dev/termination-log");
  EXPECT_FALSE(p.user.has_value());
}

TEST(Policy, KeywordsAndEmptyTerminationPath) {
  EXPECT_EQ(Parsed(std::string(kHeader) + "  request: unlimited\n").request.kind,
            AmountSpec::Kind::kNoLimit);
  EXPECT_EQ(Parsed(std::string(kHeader) + "  request: hard\n").request.kind,
            AmountSpec::Kind::kHard);
  EXPECT_EQ(Parsed(std::string(kHeader) + "  request: 1Gi\nreport:\n  terminationMessagePath: \"\"\n")
                .termination_message_path,
            "");
}

TEST(Policy, ByteOrderMarkIsSkipped) {
  EXPECT_EQ(Parsed("\xEF\xBB\xBF" + std::string(kHeader) + "  request: 1Gi\n").request.bytes,
            1073741824u);
}

// Every bad policy's exact message lives in one table, tests/fixtures/policies/bad-messages.txt,
// which the black-box tests read too: "NAME.yaml:LINE:COL: what is wrong" for the file
// bad/NAME.yaml read under the name NAME.yaml.
TEST(Policy, EveryBadPolicyFileGivesItsMessageFromTheTable) {
  const std::filesystem::path policies = std::filesystem::path(RLIMIT_INIT_FIXTURES) / "policies";
  std::optional<std::string> table = ReadTestFile(policies / "bad-messages.txt");
  ASSERT_TRUE(table.has_value());
  std::istringstream lines(*table);
  std::size_t checked = 0;
  for (std::string line; std::getline(lines, line);) {
    if (line.empty() || line.front() == '#') continue;
    const std::string name = line.substr(0, line.find(':'));
    std::optional<std::string> text = ReadTestFile(policies / "bad" / name);
    ASSERT_TRUE(text.has_value()) << name;
    Result<Policy> parsed = ParsePolicy(*text, name);
    ASSERT_FALSE(parsed.ok()) << name;
    EXPECT_EQ(parsed.error(), line);
    ++checked;
  }
  std::size_t files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(policies / "bad")) {
    files += entry.is_regular_file() ? 1 : 0;
  }
  EXPECT_EQ(checked, files) << "every file in bad/ needs exactly one line in the table";
}

TEST(Amount, KeywordsOnlyWhereAllowed) {
  EXPECT_EQ(ParseAmount("hard", true).value().kind, AmountSpec::Kind::kHard);
  EXPECT_EQ(ParseAmount("unlimited", true).value().kind, AmountSpec::Kind::kNoLimit);
  EXPECT_EQ(ParseAmount("unlimited", false).error(),
            "\"unlimited\" is not allowed here; give a quantity or a percentage");
  EXPECT_EQ(ParseAmount("50%", false).value().basis_points, 5000u);
  EXPECT_EQ(ParseAmount("512Mi", false).value().bytes, 536870912u);
}

}  // namespace
}  // namespace rlimit_init

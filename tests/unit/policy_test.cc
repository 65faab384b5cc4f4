// SPDX-License-Identifier: Apache-2.0
#include "policy.h"

#include <gtest/gtest.h>

#include <string>

namespace rlimit_init {
namespace {

constexpr char kHeader[] = "apiVersion: rlimit-init/v1\naddressSpace:\n";

std::string ErrorOf(const std::string& text) {
  Result<Policy> r = ParsePolicy(text, "policy.yaml");
  EXPECT_FALSE(r.ok()) << text;
  return r.ok() ? "" : r.error();
}

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

TEST(Policy, EmptyInputsSayWhatIsMissing) {
  const std::string empty =
      "policy.yaml: policy is empty; it needs at least apiVersion and addressSpace.request";
  EXPECT_EQ(ErrorOf(""), empty);
  EXPECT_EQ(ErrorOf("# only a comment\n"), empty);
  EXPECT_EQ(ErrorOf("---\n"),
            "policy.yaml:2:1: policy is empty; it needs at least apiVersion and "
            "addressSpace.request");
}

TEST(Policy, StructuralErrorsNameLineColumnAndKey) {
  EXPECT_EQ(ErrorOf(std::string(kHeader) + "  request: 6Gi\n  request: 7Gi\n"),
            "policy.yaml:4:3: addressSpace.request: duplicate key");
  EXPECT_EQ(ErrorOf(std::string(kHeader) + "  requests: 6Gi\n"),
            "policy.yaml:3:3: addressSpace.requests: unknown key (did you mean \"request\"?); "
            "expected one of: request, minimum, aboveCgroup, raiseHard");
  EXPECT_EQ(ErrorOf(std::string(kHeader) + "  request: [1]\n"),
            "policy.yaml:3:12: addressSpace.request: expected a quantity, a percentage, "
            "\"unlimited\" or \"hard\", got a sequence");
  EXPECT_EQ(ErrorOf(std::string(kHeader) + "  request: ~\n"),
            "policy.yaml:3:12: addressSpace.request: expected a quantity, a percentage, "
            "\"unlimited\" or \"hard\", got nothing");
  EXPECT_EQ(ErrorOf(std::string(kHeader) + "  minimum: 1Gi\n"),
            "policy.yaml:3:3: addressSpace.request: required key is missing");
  EXPECT_EQ(ErrorOf("addressSpace:\n  request: 1Gi\n"),
            "policy.yaml:1:1: apiVersion: required key is missing");
  EXPECT_EQ(ErrorOf("apiVersion: rlimit-init/v1\n"),
            "policy.yaml:1:1: addressSpace: required key is missing");
  EXPECT_EQ(ErrorOf("apiVersion: rlimit-init/v2\naddressSpace:\n  request: 1Gi\n"),
            "policy.yaml:1:13: apiVersion: unsupported version \"rlimit-init/v2\"; expected "
            "\"rlimit-init/v1\"");
  EXPECT_EQ(ErrorOf("- 1\n- 2\n"), "policy.yaml:1:1: a policy must be a mapping, got a sequence");
  EXPECT_EQ(ErrorOf("apiVersion: rlimit-init/v1\naddressSpace: 6Gi\n"),
            "policy.yaml:2:15: addressSpace: expected a mapping, got a scalar");
  EXPECT_EQ(ErrorOf(std::string(kHeader) + "  request: 1Gi\nmemory:\n  require: 50%\n"),
            "policy.yaml:5:12: memory.require: invalid quantity \"50%\": unknown suffix \"%\" "
            "(use Ki, Mi, Gi, Ti, Pi, Ei, or k, M, G, T, P, E)");
}

TEST(Policy, WrongValuesNameTheKey) {
  EXPECT_EQ(ErrorOf(std::string(kHeader) + "  request: 4gi\n"),
            "policy.yaml:3:12: addressSpace.request: invalid quantity \"4gi\": unknown suffix "
            "\"gi\" (did you mean \"Gi\"? suffixes are case-sensitive)");
  EXPECT_EQ(ErrorOf(std::string(kHeader) + "  request: 6Gi\n  raiseHard: yes\n"),
            "policy.yaml:4:14: addressSpace.raiseHard: expected true or false, got yes");
  EXPECT_EQ(ErrorOf(std::string(kHeader) + "  request: 6Gi\n  raiseHard: \"true\"\n"),
            "policy.yaml:4:14: addressSpace.raiseHard: expected true or false, got \"true\" "
            "(quoted)");
  EXPECT_EQ(ErrorOf(std::string(kHeader) + "  request: 6Gi\n  aboveCgroup: deny\n"),
            "policy.yaml:4:16: addressSpace.aboveCgroup: expected allow, warn or refuse, got "
            "\"deny\"");
  EXPECT_EQ(ErrorOf(std::string(kHeader) + "  request: 6Gi\n  minimum: 8Gi\n"),
            "policy.yaml:4:12: addressSpace.minimum: 8Gi is more than addressSpace.request 6Gi");
  EXPECT_EQ(ErrorOf(std::string(kHeader) + "  request: 6Gi\n  minimum: hard\n"),
            "policy.yaml:4:12: addressSpace.minimum: \"hard\" is not allowed here; give a "
            "quantity or a percentage");
  EXPECT_EQ(ErrorOf(std::string(kHeader) + "  request: 1Gi\nreport:\n  format: yaml\n"),
            "policy.yaml:5:11: report.format: expected text or json, got \"yaml\"");
  EXPECT_EQ(ErrorOf(std::string(kHeader) +
                    "  request: 1Gi\nreport:\n  terminationMessagePath: relative/path\n"),
            "policy.yaml:5:27: report.terminationMessagePath: must be an absolute path or \"\", "
            "got \"relative/path\"");
  EXPECT_EQ(ErrorOf(std::string(kHeader) + "  request: -1\n"),
            "policy.yaml:3:12: addressSpace.request: invalid quantity \"-1\": must not be "
            "negative");
  EXPECT_EQ(ErrorOf(std::string(kHeader) + "  request: 0%\n"),
            "policy.yaml:3:12: addressSpace.request: invalid percentage \"0%\": must be above 0% "
            "(0% would leave no address space)");
}

TEST(Policy, UserValueIsCheckedWhereItIsWritten) {
  EXPECT_EQ(ErrorOf(std::string(kHeader) + "  request: 1Gi\nuser: \"-1\"\n"),
            "policy.yaml:4:7: user: \"-1\" is not a valid user name or number");
  EXPECT_EQ(ErrorOf(std::string(kHeader) + "  request: 1Gi\nuser: \"\"\n"),
            "policy.yaml:4:7: user: the user is empty");
  EXPECT_EQ(ErrorOf(std::string(kHeader) + "  request: 1Gi\nuser: [1]\n"),
            "policy.yaml:4:7: user: expected \"UID[:GID]\" or a user name, got a sequence");
  EXPECT_EQ(Parsed(std::string(kHeader) + "  request: 1Gi\nuser: nobody:nogroup\n").user,
            "nobody:nogroup");
}

TEST(Policy, YamlFeaturesThatCostMemoryAreRefused) {
  EXPECT_EQ(ErrorOf("apiVersion: rlimit-init/v1\naddressSpace: &a\n  request: 6Gi\nx: *a\n"),
            "policy.yaml:2:15: anchors (&name) are not allowed in a policy");
  EXPECT_EQ(ErrorOf(std::string(kHeader) + "  request: 6Gi\n  <<: {a: 1}\n"),
            "policy.yaml:4:3: addressSpace.<<: unknown key; expected one of: request, minimum, "
            "aboveCgroup, raiseHard");
  EXPECT_EQ(ErrorOf(std::string(kHeader) + "  request: !!str 6Gi\n"),
            "policy.yaml:3:12: tags (tag:yaml.org,2002:str) are not allowed in a policy");
  EXPECT_EQ(ErrorOf(std::string(200000, '[')),
            "policy.yaml:1:5: nested too deeply (a policy is at most 8 levels deep)");
  EXPECT_EQ(ErrorOf("- - - - - - - - - - - - - a\n"),
            "policy.yaml:1:17: nested too deeply (a policy is at most 8 levels deep)");
}

TEST(Policy, BytesYamlCannotCarryAreRefusedWithPosition) {
  EXPECT_EQ(ErrorOf(std::string(kHeader) + std::string("  request: 1G\0i\n", 16)),
            "policy.yaml:3:14: NUL byte in policy file");
  EXPECT_EQ(ErrorOf(std::string(kHeader) + "  request: 1\xC3\x28Gi\n"),
            "policy.yaml:3:13: invalid UTF-8 in policy file");
  EXPECT_EQ(ErrorOf(std::string(kHeader) + "  request: \xC0\xAF\n"),
            "policy.yaml:3:12: invalid UTF-8 in policy file");
  EXPECT_EQ(ErrorOf("apiVersion: rlimit-init/v1\naddressSpace:\n\trequest: 1\n"),
            "policy.yaml:3:1: tab used for indentation (YAML allows only spaces there)");
}

TEST(Policy, StrayTokensAndSecondDocuments) {
  EXPECT_EQ(ErrorOf(","), "policy.yaml:1:1: invalid YAML: unexpected character");
  EXPECT_EQ(ErrorOf(std::string(kHeader) + "  request: 6Gi\n---\nfoo: 1\n"),
            "policy.yaml:5:1: a second YAML document is not allowed; a policy is one document");
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

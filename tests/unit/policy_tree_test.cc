// SPDX-License-Identifier: Apache-2.0
#include "policy/policy_tree.h"

#include <gtest/gtest.h>

#include <string>

namespace rlimit_init {
namespace {

std::string Describe(const Node& node) {
  std::string out = std::string(KindName(node.kind)) + " at " +
                    std::to_string(node.position.line) + ":" +
                    std::to_string(node.position.column);
  if (node.kind == Node::Kind::kScalar) {
    static constexpr const char* kStyles[] = {"plain", "single-quoted", "double-quoted",
                                              "literal", "folded", "tagged !"};
    out += std::string(" ") + kStyles[static_cast<int>(node.style)] + " \"" + node.value + "\"";
  }
  return out;
}

Node Read(const std::string& text) {
  Node root;
  TreeError error;
  EXPECT_TRUE(ParseYamlTree(text, &root, &error)) << text << ": " << error.message;
  return root;
}

TEST(PolicyTree, ReadsNestedMapsWithOneBasedPositions) {
  Node root = Read(
      "# a comment first\n"
      "apiVersion: rlimit-init/v1\n"
      "\n"
      "addressSpace:   # why this much\n"
      "    request: 64Gi  # trailing comment\n"
      "    minimum: \"75%\"\n"
      "user: '65534:65534'\n");
  EXPECT_EQ(Describe(root), "a mapping at 2:1");
  ASSERT_EQ(root.entries.size(), 3u);
  EXPECT_EQ(Describe(root.entries[0].key), "a scalar at 2:1 plain \"apiVersion\"");
  EXPECT_EQ(Describe(root.entries[0].value), "a scalar at 2:13 plain \"rlimit-init/v1\"");
  const Node& space = root.entries[1].value;
  EXPECT_EQ(Describe(space), "a mapping at 5:5");
  ASSERT_EQ(space.entries.size(), 2u);
  EXPECT_EQ(Describe(space.entries[0].key), "a scalar at 5:5 plain \"request\"");
  EXPECT_EQ(Describe(space.entries[0].value), "a scalar at 5:14 plain \"64Gi\"");
  EXPECT_EQ(Describe(space.entries[1].value), "a scalar at 6:14 double-quoted \"75%\"");
  EXPECT_EQ(Describe(root.entries[2].value), "a scalar at 7:7 single-quoted \"65534:65534\"");
}

TEST(PolicyTree, SkipsByteOrderMarksAndCountsColumnsAfterThem) {
  const std::string bom = "\xEF\xBB\xBF";
  EXPECT_EQ(Describe(Read(bom + "a: b\n").entries[0].value), "a scalar at 1:4 plain \"b\"");
  // yaml-cpp's stream skips a second one too (it detects the encoding from it).
  EXPECT_EQ(Describe(Read(bom + bom + "a: b\n").entries[0].value),
            "a scalar at 1:4 plain \"b\"");
}

TEST(PolicyTree, ReadsEightLevelsAndRefusesTheNinthWhereItOpens) {
  // Seven keys opening mappings and a leaf: eight mappings, the root's included.
  std::string text;
  for (int level = 0; level < 7; ++level) text += std::string(2 * level, ' ') + "k:\n";
  Node root = Read(text + std::string(14, ' ') + "leaf: 1\n");
  int depth = 0;
  for (const Node* node = &root; node->kind == Node::Kind::kMap; node = &node->entries[0].value) {
    ++depth;
  }
  EXPECT_EQ(depth, 8);
  text += std::string(14, ' ') + "k:\n" + std::string(16, ' ') + "leaf: 1\n";
  TreeError error;
  ASSERT_FALSE(ParseYamlTree(text, &root, &error));
  EXPECT_EQ(error.message, "nested too deeply (a policy is at most 8 levels deep)");
  EXPECT_EQ(error.position.line, 9);
  EXPECT_EQ(error.position.column, 17);
}

// yaml-cpp gives every scalar that is not plain the tag "!"; the tree tells the styles apart,
// also after a byte-order mark and non-ASCII text earlier in the file. yaml-cpp's column counts
// bytes: "é" moves the value to column 8.
TEST(PolicyTree, TellsEveryScalarStyleApart) {
  Node root = Read(
      "\xEF\xBB\xBF" "caf\xC3\xA9: \xC3\xA9t\xC3\xA9\n"
      "a: plain\n"
      "b: 'single'\n"
      "c: \"double\"\n"
      "d: |-\n  literal\n"
      "e: >\n  folded\n"
      "f: ! tagged\n"
      "g: ! 'tagged and quoted'\n");
  ASSERT_EQ(root.entries.size(), 8u);
  EXPECT_EQ(Describe(root.entries[0].value), "a scalar at 1:8 plain \"\xC3\xA9t\xC3\xA9\"");
  EXPECT_EQ(Describe(root.entries[1].value), "a scalar at 2:4 plain \"plain\"");
  EXPECT_EQ(Describe(root.entries[2].value), "a scalar at 3:4 single-quoted \"single\"");
  EXPECT_EQ(Describe(root.entries[3].value), "a scalar at 4:4 double-quoted \"double\"");
  EXPECT_EQ(Describe(root.entries[4].value), "a scalar at 5:4 literal \"literal\"");
  EXPECT_EQ(Describe(root.entries[5].value), "a scalar at 7:4 folded \"folded\n\"");
  EXPECT_EQ(Describe(root.entries[6].value), "a scalar at 9:4 tagged ! \"tagged\"");
  EXPECT_EQ(Describe(root.entries[7].value), "a scalar at 10:4 tagged ! \"tagged and quoted\"");
}

// The byte check before yaml-cpp counts columns in bytes too: one unit in every message.
TEST(PolicyTree, CountsColumnsInBytesBeforeYamlCppToo) {
  Node root;
  TreeError error;
  ASSERT_FALSE(ParseYamlTree("a: caf\xC3\xA9 \xE2\x80\xA8\n", &root, &error));
  EXPECT_EQ(error.position.line, 1);
  EXPECT_EQ(error.position.column, 10);
  EXPECT_EQ(error.message.substr(0, 23), "U+2028 (line separator)");
}

TEST(PolicyTree, GivesYamlCppsErrorAtItsMark) {
  Node root;
  TreeError error;
  EXPECT_FALSE(ParseYamlTree("a:\n  b: 1\n c: 2\n", &root, &error));
  EXPECT_EQ(error.position.line, 3);
  EXPECT_EQ(error.position.column, 2);
  EXPECT_EQ(error.message, "invalid YAML: end of map not found");
}

}  // namespace
}  // namespace rlimit_init

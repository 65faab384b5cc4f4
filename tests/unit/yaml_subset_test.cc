// SPDX-License-Identifier: Apache-2.0
#include "policy/yaml_subset.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "fixture_tree.h"
#include "tree_difference.h"

namespace rlimit_init {
namespace {

namespace fs = std::filesystem;

// Reads `text` with both readers and returns the subset's tree after checking it is yaml-cpp's.
Node ReadBoth(const std::string& text) {
  Node subset;
  EXPECT_TRUE(ReadYamlSubset(text, &subset)) << text;
  Node reference;
  TreeError error;
  EXPECT_TRUE(ParseYamlTreeWithYamlCpp(text, &reference, &error)) << error.message;
  EXPECT_EQ(TreeDifference(subset, reference), "") << text;
  return subset;
}

TEST(YamlSubset, ReadsNestedMapsWithTheirPositions) {
  Node root = ReadBoth(
      "# a comment first\n"
      "apiVersion: rlimit-init/v1\n"
      "\n"
      "addressSpace:   # why this much\n"
      "    request: 64Gi  # trailing comment\n"
      "    minimum: \"75%\"\n"
      "user: '65534:65534'\n");
  EXPECT_EQ(DescribeNode(root), "a mapping at 2:1");
  ASSERT_EQ(root.entries.size(), 3u);
  EXPECT_EQ(DescribeNode(root.entries[0].key), "a scalar at 2:1 plain \"apiVersion\"");
  EXPECT_EQ(DescribeNode(root.entries[0].value), "a scalar at 2:13 plain \"rlimit-init/v1\"");
  const Node& space = root.entries[1].value;
  EXPECT_EQ(DescribeNode(space), "a mapping at 5:5");
  ASSERT_EQ(space.entries.size(), 2u);
  EXPECT_EQ(DescribeNode(space.entries[0].key), "a scalar at 5:5 plain \"request\"");
  EXPECT_EQ(DescribeNode(space.entries[0].value), "a scalar at 5:14 plain \"64Gi\"");
  EXPECT_EQ(DescribeNode(space.entries[1].value), "a scalar at 6:14 quoted \"75%\"");
  EXPECT_EQ(DescribeNode(root.entries[2].value), "a scalar at 7:7 quoted \"65534:65534\"");
}

TEST(YamlSubset, KeepsInnerSpacesAndColonsOfPlainValues) {
  Node root = ReadBoth("a: b c  d   # comment\nurl: http://x:80/y\nlast: v");
  ASSERT_EQ(root.entries.size(), 3u);
  EXPECT_EQ(root.entries[0].value.value, "b c  d");
  EXPECT_EQ(root.entries[1].value.value, "http://x:80/y");
  EXPECT_EQ(DescribeNode(root.entries[2].value), "a scalar at 3:7 plain \"v\"");
}

TEST(YamlSubset, ReadsEightLevelsAndLeavesTheNinthToYamlCpp) {
  std::string text;
  for (int level = 0; level < 8; ++level) text += std::string(2 * level, ' ') + "k:\n";
  text += std::string(16, ' ') + "leaf: 1\n";
  // Nine mappings: the ninth is refused, by yaml-cpp's reader alone.
  Node root;
  EXPECT_FALSE(ReadYamlSubset(text, &root));
  text.erase(text.find(std::string(14, ' ') + "k:\n"), 17);
  text.replace(text.rfind(std::string(16, ' ')), 16, std::string(14, ' '));
  root = ReadBoth(text);
  int depth = 0;
  for (const Node* node = &root; node->kind == Node::Kind::kMap; node = &node->entries[0].value) {
    ++depth;
  }
  EXPECT_EQ(depth, 8);
}

// Each of these is valid or invalid YAML that the subset must not guess at; ParseYamlTree then
// gives it to yaml-cpp, whose reading (or error) is what the user sees.
TEST(YamlSubset, LeavesEverythingElseToYamlCpp) {
  const std::vector<std::string> declined = {
      "",                                    // empty: yaml-cpp's "policy is empty"
      "# only a comment\n",                  // likewise
      "\xEF\xBB\xBF" "a: b\n",               // byte-order mark
      "a: b\r\n",                            // CR line end
      "a:\tb\n",                             // tab
      "a: caf\xC3\xA9\n",                    // non-ASCII
      " a: b\n",                             // indented root
      "---\na: b\n",                         // document marker
      "a: b\n...\n",                         // document end
      "%YAML 1.2\n---\na: b\n",              // directive
      "a: null\n", "a: Null\n", "a: NULL\n", "a: ~\n", "null: a\n",  // null events
      "a:\n", "a:\nb: c\n",                  // a key without a value
      "a: b\n  c\n",                         // a plain scalar's next line
      "a: b\n\n  c\n",                       // likewise, after a blank line
      "a: b\n  # deeper\nc: d\n",            // a comment yaml-cpp reads as one, but only just
      "a:\n  b: 1\n c: 2\n",                 // a dedent to no open mapping
      "a: b\n  c: d\n",                      // an indent under a value
      "a: {b: c}\n", "a: [b]\n",             // flow collections
      "a:\n- b\n", "- a\n",                  // sequences
      "? a\n: b\n",                          // complex key
      "a: &x b\n", "a: *x\n", "a: !t b\n",   // anchor, alias, tag
      "a: |\n  b\n", "a: >\n  b\n",          // block scalars
      "a: \"b\\n\"\n", "a: 'it''s'\n",       // escapes
      "a: \"b\n", "a: 'b\n",                 // unterminated quotes
      "a: \"b\"c\n", "a: \"b\"#c\n",         // text after a closing quote
      "a: b#c\n", "a:#b\n", "a: b: c\n",     // '#' and ':' inside a plain value
      "a: b :c\n", "a: 1:\n", "a: -1\n",     // ':' after a space, at the end; '-' first
      "a: @b\n", "a: `b\n", "a: %b\n",       // reserved and directive indicators
      "a b: c\n", "\"a\": b\n", "-a: b\n",   // keys outside the word set
      "a : b\n", "a:b\n",                    // a space before the colon, none after
      "<<: {a: b}\n",                        // merge key
      std::string(129, 'k') + ": v\n",       // a key longer than the subset takes
  };
  for (const std::string& text : declined) {
    Node root;
    root.value = "untouched";
    EXPECT_FALSE(ReadYamlSubset(text, &root)) << text;
    EXPECT_EQ(root.value, "untouched") << text;
  }
}

TEST(YamlSubset, ParseYamlTreeSkipsOneByteOrderMarkBeforeTheSubset) {
  const std::string text = "\xEF\xBB\xBF" "a: b\n";
  Node subset;
  ASSERT_TRUE(ReadYamlSubset(text.substr(3), &subset));
  Node root;
  TreeError error;
  ASSERT_TRUE(ParseYamlTree(text, &root, &error));
  EXPECT_EQ(TreeDifference(root, subset), "");
  EXPECT_EQ(DescribeNode(root.entries[0].value), "a scalar at 1:4 plain \"b\"");
  // A second mark is left to yaml-cpp, which skips it too (its stream detects the encoding).
  ASSERT_FALSE(ReadYamlSubset(text, &subset));
  ASSERT_TRUE(ParseYamlTree("\xEF\xBB\xBF" + text, &root, &error));
  EXPECT_EQ(DescribeNode(root.entries[0].value), "a scalar at 1:4 plain \"b\"");
}

TEST(YamlSubset, ParseYamlTreeGivesYamlCppsErrorsForDeclinedText) {
  Node root;
  TreeError error;
  EXPECT_FALSE(ParseYamlTree("a:\n  b: 1\n c: 2\n", &root, &error));
  EXPECT_EQ(error.position.line, 3);
  EXPECT_EQ(error.position.column, 2);
  EXPECT_EQ(error.message, "invalid YAML: end of map not found");
}

// Every policy the project ships or tests with: where the subset reads one, its tree is
// yaml-cpp's, and the ones written in the plain style are read by it.
TEST(YamlSubset, AgreesWithYamlCppOnEveryFixtureAndSeed) {
  const fs::path fixtures = RLIMIT_INIT_FIXTURES;
  std::vector<std::string> read;
  for (const fs::path& dir : {fixtures / "policies" / "good", fixtures / "policies" / "bad",
                              fixtures / ".." / "fuzz" / "corpus" / "subset"}) {
    for (const fs::directory_entry& entry : fs::directory_iterator(dir)) {
      const std::optional<std::string> text = ReadTestFile(entry.path());
      ASSERT_TRUE(text) << entry.path();
      Node subset;
      if (!ReadYamlSubset(*text, &subset)) continue;
      read.push_back(dir.filename().string() + "/" + entry.path().filename().string());
      Node reference;
      TreeError error;
      ASSERT_TRUE(ParseYamlTreeWithYamlCpp(*text, &reference, &error))
          << entry.path() << ": " << error.message;
      EXPECT_EQ(TreeDifference(subset, reference), "") << entry.path();
    }
  }
  for (const char* expected :
       {"good/request-512mi.yaml", "subset/bench-policy.yaml", "subset/valid-full.yaml",
        "subset/colons.yaml", "subset/depth-8.yaml", "subset/comment-before-map.yaml"}) {
    EXPECT_NE(std::find(read.begin(), read.end(), expected), read.end()) << expected;
  }
  for (const char* declined : {"good/comments-and-flow.yaml",
                               "subset/nulls.yaml", "subset/continuation.yaml"}) {
    EXPECT_EQ(std::find(read.begin(), read.end(), declined), read.end()) << declined;
  }
}

}  // namespace
}  // namespace rlimit_init

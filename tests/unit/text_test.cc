// SPDX-License-Identifier: Apache-2.0
#include "base/text.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>

namespace rlimit_init {
namespace {

TEST(Printable, PassesPrintableAsciiAndValidUtf8Unchanged) {
  EXPECT_EQ(Printable("/sys/fs/cgroup/memory.max"), "/sys/fs/cgroup/memory.max");
  EXPECT_EQ(Printable("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"), "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
  EXPECT_EQ(Printable("a\\nb"), "a\\nb");  // a backslash stays, so nothing is escaped twice
}

TEST(Printable, EscapesLineBreaksAndControlCharacters) {
  EXPECT_EQ(Printable("4gi\nrlimit-init: raised"), "4gi\\nrlimit-init: raised");
  EXPECT_EQ(Printable("a\rb\tc"), "a\\rb\\tc");
  EXPECT_EQ(Printable(std::string("\x1b[2J\x7f\0", 6)), "\\x1b[2J\\x7f\\x00");
  EXPECT_EQ(Printable("\xc2\x85"), "\\xc2\\x85");  // U+0085, a C1 line break
}

// Issue 22: characters that do not show, and U+2028/U+2029, which YAML 1.1 tools (and some
// terminals and editors) take for line breaks, are named by code point wherever a message
// quotes them.
TEST(Printable, EscapesHiddenCharactersByCodePoint) {
  EXPECT_EQ(Printable("a\xe2\x80\xa8" "b\xe2\x80\xa9" "c"), "a\\u2028b\\u2029c");
  EXPECT_EQ(Printable("requ\xe2\x80\x8b" "est"), "requ\\u200best");
  EXPECT_EQ(Printable("\xef\xbb\xbf" "memory"), "\\ufeffmemory");
  EXPECT_EQ(Printable("x\xc2\xa0" "y\xe2\x80\xae" "z"), "x\\u00a0y\\u202ez");  // no-break space, RLO
  EXPECT_EQ(Printable("tag\xf3\xa0\x80\x81"), "tag\\U000e0001");
  // Visible non-ASCII stays as it is.
  EXPECT_EQ(Printable("\xe2\x80\x94 \xe3\x81\x82"), "\xe2\x80\x94 \xe3\x81\x82");
}

// What the recommended policy's comments are written with: printable ASCII alone, the rest
// spelled as everywhere else.
TEST(Printable, EscapesEveryByteBeyondAsciiWhenAsked) {
  EXPECT_EQ(Printable("caf\xc3\xa9 \xe2\x82\xac", NonAscii::kEscape), "caf\\xc3\\xa9 \\xe2\\x82\\xac");
  EXPECT_EQ(Printable("a\nb\tc\rd\xc2\x85" "e\xff", NonAscii::kEscape), "a\\nb\\tc\\rd\\xc2\\x85e\\xff");
  EXPECT_EQ(Printable("sep\xe2\x80\xa8" "arator", NonAscii::kEscape), "sep\\u2028arator");
  EXPECT_EQ(Printable("plain ascii # : -", NonAscii::kEscape), "plain ascii # : -");
  // Already escaped text stays as it is, so measure may hand it over printable.
  EXPECT_EQ(Printable(Printable("line\nbreak caf\xc3\xa9"), NonAscii::kEscape),
            "line\\nbreak caf\\xc3\\xa9");
}

TEST(HiddenCharacter, IsFoundNamedAndRemoved) {
  EXPECT_FALSE(FindHiddenCharacter("request caf\xc3\xa9 \xff"));
  const std::optional<HiddenCharacter> found = FindHiddenCharacter("a\xff" "b\xe2\x80\x8b" "c\xe2\x80\x8d");
  ASSERT_TRUE(found);
  EXPECT_EQ(Describe(*found), "U+200B (zero width space)");
  EXPECT_EQ(Describe(*FindHiddenCharacter("\xef\xbb\xbf")),
            "U+FEFF (zero width no-break space, a byte-order mark)");
  EXPECT_EQ(Describe(*FindHiddenCharacter("\xf3\xa0\x80\x81")), "U+E0001 (tag or variation selector)");
  EXPECT_EQ(WithoutHiddenCharacters("\xef\xbb\xbf" "re\xe2\x80\x8b" "que\xc2\xad" "st\xe2\x81\xa0"), "request");
  EXPECT_EQ(WithoutHiddenCharacters("caf\xc3\xa9\xff"), "caf\xc3\xa9\xff");
}

TEST(Printable, EscapesEveryByteThatIsNotUtf8) {
  EXPECT_EQ(Printable("p\xff\xfe"), "p\\xff\\xfe");
  EXPECT_EQ(Printable("\xc0\xaf"), "\\xc0\\xaf");          // overlong "/"
  EXPECT_EQ(Printable("\xed\xa0\x80"), "\\xed\\xa0\\x80");  // a surrogate
  EXPECT_EQ(Printable("\xf4\x90\x80\x80"), "\\xf4\\x90\\x80\\x80");  // above U+10FFFF
  EXPECT_EQ(Printable("\xe2\x82"), "\\xe2\\x82");           // cut short
}

TEST(Excerpt, CutsAtACharacterBoundaryAndSaysTheWholeLength) {
  EXPECT_EQ(Excerpt("short"), "short");
  EXPECT_EQ(Excerpt(std::string(100, 'x'), 10), "xxxxxxxxxx... (100 bytes)");
  EXPECT_EQ(Excerpt("abcdefghi\xc3\xa9xyz", 10), "abcdefghi... (14 bytes)");
}

TEST(Quoted, QuotesAnEscapedExcerpt) {
  EXPECT_EQ(Quoted("4gi\n"), "\"4gi\\n\"");
  EXPECT_EQ(Quoted(std::string(65, 'y')), "\"" + std::string(64, 'y') + "... (65 bytes)\"");
}

TEST(MessageLine, KeepsStartAndEndOfAHugeMessage) {
  const std::string message = "start " + std::string(20000, 'z') + " end";
  const std::string line = MessageLine(message);
  EXPECT_EQ(line.substr(0, 6), "start ");
  EXPECT_EQ(line.substr(line.size() - 4), " end");
  EXPECT_NE(line.find("... (" + std::to_string(message.size() - 4096 - 2048) +
                      " bytes left out) ..."),
            std::string::npos);
  EXPECT_EQ(MessageLine("one\ntwo"), "one\\ntwo");
}

TEST(ValidUtf8, SpellsInvalidBytesAsPrintableDoesAndLeavesTheRest) {
  EXPECT_EQ(ValidUtf8("a\"b\\c"), "a\"b\\c");
  EXPECT_EQ(ValidUtf8("l1\nl2\t\x01\x7f"), "l1\nl2\t\x01\x7f");  // the JSON writer escapes these
  EXPECT_EQ(ValidUtf8("caf\xc3\xa9"), "caf\xc3\xa9");
  EXPECT_EQ(ValidUtf8("p\xff\xc2\x85"), "p\\xff\\xc2\\x85");  // invalid, then C1 NEL
}

}  // namespace
}  // namespace rlimit_init

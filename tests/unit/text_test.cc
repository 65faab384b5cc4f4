// SPDX-License-Identifier: Apache-2.0
#include "base/text.h"

#include <gtest/gtest.h>

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

TEST(JsonQuote, IsValidJsonAndValidUtf8) {
  EXPECT_EQ(JsonQuote("a\"b\\c"), "\"a\\\"b\\\\c\"");
  EXPECT_EQ(JsonQuote("l1\nl2\t\x01"), "\"l1\\nl2\\t\\u0001\"");
  EXPECT_EQ(JsonQuote("caf\xc3\xa9"), "\"caf\xc3\xa9\"");
  EXPECT_EQ(JsonQuote("p\xff"), "\"p\\\\xff\"");  // the text report's \xff, as JSON text
}

}  // namespace
}  // namespace rlimit_init

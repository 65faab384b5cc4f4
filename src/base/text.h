// SPDX-License-Identifier: Apache-2.0
// Making text from files, the policy and the command line safe to print: every message is one
// line per fact, valid UTF-8, and short, whatever bytes a hostile file or value holds.
#pragma once

#include <cstddef>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rlimit_init {

/// How many bytes of a value echoed from a file or the policy a message quotes.
inline constexpr std::size_t kExcerptBytes = 64;

/// A message longer than this keeps its start and its end (where the reason is) and says how
/// many bytes were left out in between. Room for two paths of PATH_MAX; values a message quotes
/// are cut far shorter, by Quoted.
inline constexpr std::size_t kMaxMessageBytes = 8192;

/// Whether every byte of `text` is part of valid UTF-8 (no overlong forms, surrogates or code
/// points above U+10FFFF).
bool IsValidUtf8(std::string_view text);

/// A character that a reader cannot see where it stands: zero-width and other format
/// characters (U+200B, U+FEFF, bidirectional controls ...), spaces other than U+0020, and
/// U+2028 and U+2029, which YAML 1.1 tools read as line breaks. `name` is its Unicode name in
/// lowercase.
struct HiddenCharacter {
  char32_t code;
  const char* name;
};

/// The first hidden character in `text`, if any (bytes that are not valid UTF-8 are skipped).
std::optional<HiddenCharacter> FindHiddenCharacter(std::string_view text);

/// `text` without its hidden characters: what a reader sees.
std::string WithoutHiddenCharacters(std::string_view text);

/// "U+200B (zero width space)".
std::string Describe(const HiddenCharacter& character);

/// What Printable does with a visible character beyond ASCII.
enum class NonAscii {
  kKeep,    // passed through as the UTF-8 it is
  kEscape,  // \xNN for each of its bytes: for text whose readers disagree on which characters
            // end a line (YAML comments: PyYAML ends one at U+0085 and U+2028), which ASCII
            // alone settles
};

/// `text` with nothing that can break a line or a terminal, or hide: newline, carriage return
/// and tab become \n, \r and \t; other control characters (C0, DEL, C1, U+0085 among them)
/// and every byte that is not part of valid UTF-8 become \xNN, one per byte; hidden characters
/// become \uXXXX (U+2028 \u2028, U+200B \u200b). Backslashes are left alone, so an escaped
/// message is never escaped twice. Other valid UTF-8 passes through unchanged, or as \xNN per
/// byte with NonAscii::kEscape (the result is then printable ASCII).
std::string Printable(std::string_view text, NonAscii non_ascii = NonAscii::kKeep);

/// Printable(text), cut after `max_bytes` bytes (at a character boundary) with
/// "... (N bytes)" saying how long the whole was.
std::string Excerpt(std::string_view text, std::size_t max_bytes = kExcerptBytes);

/// "\"" + Excerpt(text) + "\"": how a message quotes a value it did not write itself.
std::string Quoted(std::string_view text);

/// A command's words joined by spaces, cut after 256 bytes: the command as one line of a report.
std::string MeasuredCommand(const std::vector<std::string>& command);

/// The parts joined: one call instead of a chain of operator+, which inlines a string's growth at
/// every step; advice and warnings have dozens of parts and the binary's size is budgeted.
std::string Cat(std::initializer_list<std::string_view> parts);

/// Printable(message), and when that is longer than kMaxMessageBytes its first and last part
/// joined by "... (N bytes left out) ...".
std::string MessageLine(std::string_view message);

/// `text` as valid UTF-8 for a JSON string: every byte that is not part of valid UTF-8, and
/// every C1 control, becomes the four characters \xNN, the spelling Printable uses; the rest
/// (C0 controls included, which the JSON writer escapes itself) is left as it is.
std::string ValidUtf8(std::string_view text);

}  // namespace rlimit_init

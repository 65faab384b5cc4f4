// SPDX-License-Identifier: Apache-2.0
#include "base/text.h"

namespace rlimit_init {
namespace {

constexpr char kHex[] = "0123456789abcdef";

void AppendHexByte(std::string* out, unsigned char byte) {
  *out += "\\x";
  *out += kHex[byte >> 4];
  *out += kHex[byte & 0xf];
}

// The length of the valid UTF-8 sequence at the start of `text` (1 to 4), or 0 when the first
// byte does not start one: a stray continuation byte, an overlong form, a surrogate, a code
// point above U+10FFFF, or a sequence cut short.
std::size_t Utf8Length(std::string_view text) {
  const auto byte = [&text](std::size_t i) { return static_cast<unsigned char>(text[i]); };
  const unsigned char first = byte(0);
  if (first < 0x80) return 1;
  std::size_t length = 0;
  unsigned char low = 0x80;  // bounds of the second byte (Unicode Table 3-7)
  unsigned char high = 0xbf;
  if (first >= 0xc2 && first <= 0xdf) {
    length = 2;
  } else if (first >= 0xe0 && first <= 0xef) {
    length = 3;
    if (first == 0xe0) low = 0xa0;
    if (first == 0xed) high = 0x9f;
  } else if (first >= 0xf0 && first <= 0xf4) {
    length = 4;
    if (first == 0xf0) low = 0x90;
    if (first == 0xf4) high = 0x8f;
  } else {
    return 0;
  }
  if (text.size() < length || byte(1) < low || byte(1) > high) return 0;
  for (std::size_t i = 2; i < length; ++i) {
    if (byte(i) < 0x80 || byte(i) > 0xbf) return 0;
  }
  return length;
}

// Calls `plain(character)` for each valid character that is not a control character and
// `escape(byte)` for each byte of everything else.
template <typename Plain, typename Escape>
void ForEachCharacter(std::string_view text, Plain plain, Escape escape) {
  while (!text.empty()) {
    const std::size_t length = Utf8Length(text);
    const unsigned char first = static_cast<unsigned char>(text[0]);
    // C1 controls (U+0080 to U+009F) are two bytes, C2 80 to C2 9F.
    const bool control = first < 0x20 || first == 0x7f ||
                         (length == 2 && first == 0xc2 && static_cast<unsigned char>(text[1]) < 0xa0);
    if (length == 0 || control) {
      const std::size_t count = length == 0 ? 1 : length;
      for (std::size_t i = 0; i < count; ++i) escape(static_cast<unsigned char>(text[i]));
      text.remove_prefix(count);
    } else {
      plain(text.substr(0, length));
      text.remove_prefix(length);
    }
  }
}

// Where to cut `text` so that at most `max_bytes` remain without splitting a character.
std::size_t CutPoint(std::string_view text, std::size_t max_bytes) {
  if (text.size() <= max_bytes) return text.size();
  std::size_t cut = max_bytes;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xc0) == 0x80) --cut;
  return cut;
}

// Whether `text` is printable ASCII alone, which every escaping function passes through as it is:
// nearly every message, checked without decoding.
bool IsPlainAscii(std::string_view text) {
  for (char c : text) {
    const unsigned char u = static_cast<unsigned char>(c);
    if (u < 0x20 || u >= 0x7f) return false;
  }
  return true;
}

}  // namespace

std::string Printable(std::string_view text) {
  if (IsPlainAscii(text)) return std::string(text);
  std::string out;
  out.reserve(text.size());
  ForEachCharacter(
      text, [&out](std::string_view character) { out += character; },
      [&out](unsigned char byte) {
        switch (byte) {
          case '\n':
            out += "\\n";
            break;
          case '\r':
            out += "\\r";
            break;
          case '\t':
            out += "\\t";
            break;
          default:
            AppendHexByte(&out, byte);
        }
      });
  return out;
}

std::string Excerpt(std::string_view text, std::size_t max_bytes) {
  const std::size_t cut = CutPoint(text, max_bytes);
  std::string out = Printable(text.substr(0, cut));
  if (cut < text.size()) out += "... (" + std::to_string(text.size()) + " bytes)";
  return out;
}

std::string Quoted(std::string_view text) { return "\"" + Excerpt(text) + "\""; }

std::string MessageLine(std::string_view message) {
  std::string line = Printable(message);
  if (line.size() <= kMaxMessageBytes) return line;
  // The start says what failed and where; the end says why and how to fix it.
  const std::string_view view = line;
  const std::size_t head = CutPoint(view, kMaxMessageBytes / 2);
  std::size_t tail = line.size() - kMaxMessageBytes / 4;
  while (tail < line.size() && (static_cast<unsigned char>(line[tail]) & 0xc0) == 0x80) ++tail;
  return std::string(view.substr(0, head)) + "... (" + std::to_string(tail - head) +
         " bytes left out) ..." + std::string(view.substr(tail));
}

std::string JsonQuote(std::string_view text) {
  std::string out = "\"";
  out.reserve(text.size() + 2);
  ForEachCharacter(
      text,
      [&out](std::string_view character) {
        if (character == "\"" || character == "\\") out += '\\';
        out += character;
      },
      [&out](unsigned char byte) {
        if (byte == '\n') {
          out += "\\n";
        } else if (byte == '\t') {
          out += "\\t";
        } else if (byte == '\r') {
          out += "\\r";
        } else if (byte < 0x20 || byte == 0x7f) {
          out += "\\u00";
          out += kHex[byte >> 4];
          out += kHex[byte & 0xf];
        } else {
          // Not valid UTF-8 (or a C1 control): the text report's spelling, as JSON text.
          out += '\\';
          AppendHexByte(&out, byte);
        }
      });
  return out + "\"";
}

}  // namespace rlimit_init

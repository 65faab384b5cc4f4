// SPDX-License-Identifier: Apache-2.0
#include "base/text.h"

#include <algorithm>
#include <iterator>

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

char32_t Decode(std::string_view character) {
  const auto byte = [&character](std::size_t i) {
    return static_cast<char32_t>(static_cast<unsigned char>(character[i]));
  };
  switch (character.size()) {
    case 1:
      return byte(0);
    case 2:
      return (byte(0) & 0x1f) << 6 | (byte(1) & 0x3f);
    case 3:
      return (byte(0) & 0x0f) << 12 | (byte(1) & 0x3f) << 6 | (byte(2) & 0x3f);
    default:
      return (byte(0) & 0x07) << 18 | (byte(1) & 0x3f) << 12 | (byte(2) & 0x3f) << 6 |
             (byte(3) & 0x3f);
  }
}

struct HiddenRange {
  char32_t first;
  char32_t last;
  const char* name;
};

// Unicode's format characters (category Cf) and the fillers and spaces that render as
// nothing or as a plain space, sorted. A key holding one looks like the key without it.
constexpr HiddenRange kHidden[] = {
    {0x00a0, 0x00a0, "no-break space"},
    {0x00ad, 0x00ad, "soft hyphen"},
    {0x034f, 0x034f, "combining grapheme joiner"},
    {0x061c, 0x061c, "arabic letter mark"},
    {0x115f, 0x1160, "hangul filler"},
    {0x1680, 0x1680, "ogham space mark"},
    {0x17b4, 0x17b5, "khmer inherent vowel"},
    {0x180b, 0x180d, "mongolian free variation selector"},
    {0x180e, 0x180e, "mongolian vowel separator"},
    {0x180f, 0x180f, "mongolian free variation selector"},
    {0x2000, 0x2000, "en quad"},
    {0x2001, 0x2001, "em quad"},
    {0x2002, 0x2002, "en space"},
    {0x2003, 0x2003, "em space"},
    {0x2004, 0x2004, "three-per-em space"},
    {0x2005, 0x2005, "four-per-em space"},
    {0x2006, 0x2006, "six-per-em space"},
    {0x2007, 0x2007, "figure space"},
    {0x2008, 0x2008, "punctuation space"},
    {0x2009, 0x2009, "thin space"},
    {0x200a, 0x200a, "hair space"},
    {0x200b, 0x200b, "zero width space"},
    {0x200c, 0x200c, "zero width non-joiner"},
    {0x200d, 0x200d, "zero width joiner"},
    {0x200e, 0x200e, "left-to-right mark"},
    {0x200f, 0x200f, "right-to-left mark"},
    {0x2028, 0x2028, "line separator"},
    {0x2029, 0x2029, "paragraph separator"},
    {0x202a, 0x202a, "left-to-right embedding"},
    {0x202b, 0x202b, "right-to-left embedding"},
    {0x202c, 0x202c, "pop directional formatting"},
    {0x202d, 0x202d, "left-to-right override"},
    {0x202e, 0x202e, "right-to-left override"},
    {0x202f, 0x202f, "narrow no-break space"},
    {0x205f, 0x205f, "medium mathematical space"},
    {0x2060, 0x2060, "word joiner"},
    {0x2061, 0x2061, "function application"},
    {0x2062, 0x2062, "invisible times"},
    {0x2063, 0x2063, "invisible separator"},
    {0x2064, 0x2064, "invisible plus"},
    {0x2066, 0x2066, "left-to-right isolate"},
    {0x2067, 0x2067, "right-to-left isolate"},
    {0x2068, 0x2068, "first strong isolate"},
    {0x2069, 0x2069, "pop directional isolate"},
    {0x206a, 0x206f, "deprecated format character"},
    {0x3000, 0x3000, "ideographic space"},
    {0x3164, 0x3164, "hangul filler"},
    {0xfe00, 0xfe0f, "variation selector"},
    {0xfeff, 0xfeff, "zero width no-break space, a byte-order mark"},
    {0xffa0, 0xffa0, "halfwidth hangul filler"},
    {0xfff9, 0xfffb, "interlinear annotation character"},
    {0x1bca0, 0x1bca3, "shorthand format control"},
    {0x1d173, 0x1d17a, "musical symbol format character"},
    {0xe0000, 0xe01ef, "tag or variation selector"},
};

const char* HiddenName(char32_t code) {
  if (code < 0xa0) return nullptr;
  const HiddenRange* range = std::lower_bound(
      std::begin(kHidden), std::end(kHidden), code,
      [](const HiddenRange& r, char32_t c) { return r.last < c; });
  return range != std::end(kHidden) && range->first <= code ? range->name : nullptr;
}

// Calls `hidden(code, name, character)` for every hidden character of `text`, in order, until it
// returns false; bytes that are not valid UTF-8 are stepped over.
template <typename Visit>
void ForEachHidden(std::string_view text, Visit visit) {
  while (!text.empty()) {
    const std::size_t length = std::max<std::size_t>(Utf8Length(text), 1);
    if (length > 1) {
      const char32_t code = Decode(text.substr(0, length));
      if (const char* name = HiddenName(code)) {
        if (!visit(HiddenCharacter{code, name}, text.substr(0, length))) return;
      }
    }
    text.remove_prefix(length);
  }
}

void AppendCodePoint(std::string* out, char32_t code) {
  const int digits = code > 0xffff ? 8 : 4;
  *out += digits == 8 ? "\\U" : "\\u";
  for (int shift = 4 * (digits - 1); shift >= 0; shift -= 4) *out += kHex[(code >> shift) & 0xf];
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

bool IsValidUtf8(std::string_view text) {
  while (!text.empty()) {
    const std::size_t length = Utf8Length(text);
    if (length == 0) return false;
    text.remove_prefix(length);
  }
  return true;
}

std::optional<HiddenCharacter> FindHiddenCharacter(std::string_view text) {
  std::optional<HiddenCharacter> found;
  ForEachHidden(text, [&found](HiddenCharacter character, std::string_view) {
    found = character;
    return false;
  });
  return found;
}

std::string WithoutHiddenCharacters(std::string_view text) {
  std::string out;
  const char* kept = text.data();
  ForEachHidden(text, [&](HiddenCharacter, std::string_view character) {
    out.append(kept, character.data());
    kept = character.data() + character.size();
    return true;
  });
  out.append(kept, text.data() + text.size());
  return out;
}

std::string Describe(const HiddenCharacter& character) {
  std::string out = "U+";
  const int digits = character.code > 0xffff ? 5 : 4;
  for (int shift = 4 * (digits - 1); shift >= 0; shift -= 4) {
    out += "0123456789ABCDEF"[(character.code >> shift) & 0xf];
  }
  return out + " (" + character.name + ")";
}

std::string Printable(std::string_view text, NonAscii non_ascii) {
  if (IsPlainAscii(text)) return std::string(text);
  std::string out;
  out.reserve(text.size());
  ForEachCharacter(
      text,
      [&out, non_ascii](std::string_view character) {
        const char32_t code = character.size() > 1 ? Decode(character) : 0;
        if (code != 0 && HiddenName(code) != nullptr) {
          AppendCodePoint(&out, code);
        } else if (code != 0 && non_ascii == NonAscii::kEscape) {
          for (char byte : character) AppendHexByte(&out, static_cast<unsigned char>(byte));
        } else {
          out += character;
        }
      },
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

std::string MeasuredCommand(const std::vector<std::string>& command) {
  std::string line;
  for (const std::string& word : command) {
    if (!line.empty()) line += ' ';
    line += word;
  }
  return Excerpt(line, 256);
}

std::string Cat(std::initializer_list<std::string_view> parts) {
  std::size_t size = 0;
  for (std::string_view part : parts) size += part.size();
  std::string out;
  out.reserve(size);
  for (std::string_view part : parts) out += part;
  return out;
}

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

std::string ValidUtf8(std::string_view text) {
  if (IsPlainAscii(text)) return std::string(text);
  std::string out;
  out.reserve(text.size());
  ForEachCharacter(
      text, [&out](std::string_view character) { out += character; },
      [&out](unsigned char byte) {
        if (byte < 0x20 || byte == 0x7f) {
          out += static_cast<char>(byte);  // the JSON writer escapes it
        } else {
          AppendHexByte(&out, byte);
        }
      });
  return out;
}

}  // namespace rlimit_init

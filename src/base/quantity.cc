// SPDX-License-Identifier: Apache-2.0
#include "base/quantity.h"

#include <array>
#include <charconv>
#include <cstdio>

#include "base/limit.h"
#include "base/text.h"

namespace rlimit_init {
namespace {

struct Suffix {
  std::string_view name;
  std::uint64_t multiplier;
};

constexpr std::uint64_t kKi = 1024;
constexpr std::array<Suffix, 13> kSuffixes = {{
    {"", 1},
    {"Ki", kKi},
    {"Mi", kKi * kKi},
    {"Gi", kKi * kKi * kKi},
    {"Ti", kKi * kKi * kKi * kKi},
    {"Pi", kKi * kKi * kKi * kKi * kKi},
    {"Ei", kKi * kKi * kKi * kKi * kKi * kKi},
    {"k", 1000},
    {"M", 1000'000},
    {"G", 1000'000'000},
    {"T", 1000'000'000'000},
    {"P", 1000'000'000'000'000},
    {"E", 1000'000'000'000'000'000},
}};

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

char Lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (Lower(a[i]) != Lower(b[i])) return false;
  }
  return true;
}

// Explains a suffix that is not one of ours, naming the likely intended one.
Error UnknownSuffix(std::string_view text, std::string_view suffix) {
  std::string message = "invalid quantity " + Quoted(text) + ": unknown suffix " + Quoted(suffix);
  if (suffix == "m") {
    return {message + " (Kubernetes reads \"m\" as milli, and bytes cannot be fractional; "
                      "did you mean \"M\" or \"Mi\"?)"};
  }
  if (suffix == "K") return {message + " (did you mean \"k\" or \"Ki\"?)"};
  for (const Suffix& s : kSuffixes) {
    if (!s.name.empty() && EqualsIgnoreCase(s.name, suffix)) {
      return {message + " (did you mean " + Quoted(s.name) + "? suffixes are case-sensitive)"};
    }
  }
  if (suffix == "B" || suffix == "b" || EqualsIgnoreCase(suffix, "bytes")) {
    return {message + " (write plain bytes without a unit)"};
  }
  return {message + " (use Ki, Mi, Gi, Ti, Pi, Ei, or k, M, G, T, P, E)"};
}

// 128-bit arithmetic keeps every intermediate exact; the result is checked against the cap.
using Wide = unsigned __int128;

}  // namespace

Result<std::uint64_t> ParseQuantity(std::string_view text) {
  if (text.empty()) return Error{"invalid quantity \"\": expected a number such as 512Mi"};
  if (text.front() == '-') {
    return Error{"invalid quantity " + Quoted(text) + ": must not be negative"};
  }
  if (text.front() == '+') {
    return Error{"invalid quantity " + Quoted(text) + ": write the number without a sign"};
  }
  std::size_t i = 0;
  while (i < text.size() && IsDigit(text[i])) ++i;
  std::string_view whole = text.substr(0, i);
  std::string_view fraction;
  if (i < text.size() && text[i] == '.') {
    std::size_t start = ++i;
    while (i < text.size() && IsDigit(text[i])) ++i;
    fraction = text.substr(start, i - start);
    if (fraction.empty()) {
      return Error{"invalid quantity " + Quoted(text) + ": expected digits after the '.'"};
    }
  }
  if (whole.empty()) {
    return Error{"invalid quantity " + Quoted(text) + ": expected a number such as 512Mi"};
  }
  if (whole.size() > 1 && whole.front() == '0') {
    return Error{"invalid quantity " + Quoted(text) +
                 ": leading zeros are not allowed (YAML 1.1 reads them as octal)"};
  }
  std::string_view suffix = text.substr(i);
  if (!suffix.empty() && (suffix.front() == 'x' || suffix.front() == 'X') && whole == "0") {
    return Error{"invalid quantity " + Quoted(text) + ": hexadecimal is not supported"};
  }
  if (!suffix.empty() && (suffix.front() == 'e' || suffix.front() == 'E') && suffix.size() > 1 &&
      (IsDigit(suffix[1]) || suffix[1] == '+' || suffix[1] == '-')) {
    return Error{"invalid quantity " + Quoted(text) +
                 ": exponents are not supported; write the bytes or use a suffix such as G or Gi"};
  }
  if (!suffix.empty() && (suffix.front() == '_' || suffix.front() == ',')) {
    return Error{"invalid quantity " + Quoted(text) + ": digit separators are not allowed"};
  }
  const Suffix* found = nullptr;
  for (const Suffix& s : kSuffixes) {
    if (s.name == suffix) found = &s;
  }
  if (found == nullptr) return UnknownSuffix(text, suffix);

  const Error too_large{"invalid quantity " + Quoted(text) +
                        ": too large; the largest is 8Ei minus one byte, "
                        "or write \"unlimited\""};
  // More than 20 digits cannot fit even before the multiplier.
  if (whole.size() > 20) return too_large;
  std::uint64_t whole_value = 0;
  auto [end, ec] = std::from_chars(whole.data(), whole.data() + whole.size(), whole_value);
  if (ec != std::errc() || end != whole.data() + whole.size()) return too_large;
  Wide total = static_cast<Wide>(whole_value) * found->multiplier;
  if (total > kMaxQuantity) return too_large;
  if (!fraction.empty()) {
    // 0.d1d2...dk times the multiplier, exactly: multiply the decimal digits from the right,
    // carrying, as by hand. The carry out of the first digit is the whole bytes; any non-zero
    // digit left behind is a part of a byte, which rounds up. Truncating the digits instead
    // would round some long fractions down.
    Wide carry = 0;
    bool remainder = false;
    for (std::size_t k = fraction.size(); k-- > 0;) {
      Wide t = static_cast<Wide>(fraction[k] - '0') * found->multiplier + carry;
      if (t % 10 != 0) remainder = true;
      carry = t / 10;
    }
    total += carry + (remainder ? 1 : 0);
    if (total > kMaxQuantity) return too_large;
  }
  return static_cast<std::uint64_t>(total);
}

Result<std::uint32_t> ParsePercent(std::string_view text) {
  const std::string expected = "invalid percentage " + Quoted(text) +
                               ": expected a number above 0 and at most 1000, then '%'";
  if (text.size() < 2 || text.back() != '%') return Error{expected};
  std::string_view number = text.substr(0, text.size() - 1);
  std::size_t dot = number.find('.');
  std::string_view whole = number.substr(0, dot);
  std::string_view fraction = dot == std::string_view::npos ? "" : number.substr(dot + 1);
  if (whole.empty() || (dot != std::string_view::npos && fraction.empty()) ||
      fraction.size() > 2) {
    return Error{fraction.size() > 2 ? "invalid percentage " + Quoted(text) +
                                           ": at most two decimal places"
                                     : expected};
  }
  for (char c : whole) {
    if (!IsDigit(c)) return Error{expected};
  }
  for (char c : fraction) {
    if (!IsDigit(c)) return Error{expected};
  }
  if (whole.size() > 1 && whole.front() == '0') {
    return Error{"invalid percentage " + Quoted(text) + ": leading zeros are not allowed"};
  }
  const Error too_large{"invalid percentage " + Quoted(text) + ": must be at most " +
                        std::to_string(kMaxPercent) +
                        "% of the memory ceiling; for more, give a quantity or \"unlimited\""};
  // Five digits are already past the bound; stopping there keeps the sum from overflowing.
  if (whole.size() > 4) return too_large;
  std::uint32_t value = 0;
  for (char c : whole) value = value * 10 + static_cast<std::uint32_t>(c - '0');
  value *= 100;
  std::uint32_t scale = 10;
  for (char c : fraction) {
    value += static_cast<std::uint32_t>(c - '0') * scale;
    scale /= 10;
  }
  if (value == 0) {
    return Error{"invalid percentage " + Quoted(text) +
                 ": must be above 0% (0% would leave no address space)"};
  }
  if (value > kMaxPercent * 100) return too_large;
  return value;
}

std::uint64_t ApplyPercent(std::uint64_t ceiling, std::uint32_t basis_points) {
  if (ceiling == kUnlimited) return kUnlimited;
  // Above 100% the product can pass the largest quantity; it stops there, as a quantity does
  // (or at the ceiling itself, should a garbage limit file report more).
  const Wide bytes = static_cast<Wide>(ceiling) * basis_points / 10000;
  const std::uint64_t cap = ceiling > kMaxQuantity ? ceiling : kMaxQuantity;
  return bytes > cap ? cap : static_cast<std::uint64_t>(bytes);
}

std::string HumanBytes(std::uint64_t bytes) {
  if (bytes == kUnlimited) return "unlimited";
  static constexpr std::array<std::string_view, 7> kUnits = {"bytes", "KiB", "MiB", "GiB",
                                                             "TiB",   "PiB", "EiB"};
  std::size_t unit = 0;
  std::uint64_t divisor = 1;
  while (unit + 1 < kUnits.size() && bytes / divisor >= 1024) {
    divisor *= 1024;
    ++unit;
  }
  std::uint64_t whole = bytes / divisor;
  // Two decimals, truncated so that a value just under a limit never prints as the limit.
  std::uint64_t hundredths =
      static_cast<std::uint64_t>(static_cast<Wide>(bytes % divisor) * 100 / divisor);
  std::string out = std::to_string(whole);
  if (hundredths != 0) {
    char buffer[4];
    std::snprintf(buffer, sizeof buffer, ".%02u", static_cast<unsigned>(hundredths));
    std::string decimals = buffer;
    if (decimals.back() == '0') decimals.pop_back();
    out += decimals;
  }
  return out + " " + std::string(kUnits[unit]);
}

std::string UlimitKiB(std::uint64_t bytes) {
  return bytes == kUnlimited ? "unlimited" : std::to_string(bytes / 1024);
}

std::string DescribeBytes(std::uint64_t bytes, char ulimit_flag) {
  if (bytes == kUnlimited) return "unlimited";
  return HumanBytes(bytes) + " (" + std::to_string(bytes) + " bytes, ulimit -" + ulimit_flag + " " +
         UlimitKiB(bytes) + ")";
}

std::string BytesOrUnlimited(std::uint64_t bytes) {
  return bytes == kUnlimited ? "unlimited" : std::to_string(bytes);
}

std::string ToQuantity(std::uint64_t bytes) {
  if (bytes == kUnlimited) return "unlimited";
  static constexpr std::array<const char*, 6> kSuffixes = {"Ki", "Mi", "Gi", "Ti", "Pi", "Ei"};
  std::string best = std::to_string(bytes);
  std::uint64_t unit = 1024;
  for (const char* suffix : kSuffixes) {
    if (bytes == 0 || bytes % unit != 0) break;
    best = std::to_string(bytes / unit) + suffix;
    if (unit > kUnlimited / 1024) break;
    unit *= 1024;
  }
  return best;
}

}  // namespace rlimit_init

// SPDX-License-Identifier: Apache-2.0
// libFuzzer target over the quantity and amount parsers and the byte formatters.
//
// Input layout: byte 0 picks the parser and allow_keywords, bytes 1-8 are a byte value for the
// formatters and ApplyPercent, the rest is the text to parse. Seeds in corpus/quantity/ follow
// the same layout.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

#include "policy/policy.h"
#include "base/quantity.h"
#include "os/system.h"

namespace rlimit_init {
namespace {

[[noreturn]] void Fail(const char* what, std::string_view text) {
  std::fprintf(stderr, "quantity_fuzzer: property violated: %s (text %zu bytes)\n", what,
               text.size());
  std::abort();
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// An independent, deliberately plain model of what quantity.h documents, to catch wrong values
// as well as crashes: (0|[1-9][0-9]*)(\.[0-9]+)?SUFFIX?, rounded up to whole bytes, at most
// kMaxQuantity. nullopt means "must be refused".
std::optional<std::uint64_t> ReferenceQuantity(std::string_view text) {
  using Wide = unsigned __int128;
  std::size_t i = 0;
  while (i < text.size() && IsDigit(text[i])) ++i;
  const std::string_view whole = text.substr(0, i);
  std::string_view fraction;
  if (i < text.size() && text[i] == '.') {
    const std::size_t start = ++i;
    while (i < text.size() && IsDigit(text[i])) ++i;
    fraction = text.substr(start, i - start);
    if (fraction.empty()) return std::nullopt;
  }
  if (whole.empty() || (whole.size() > 1 && whole[0] == '0')) return std::nullopt;
  struct Unit {
    std::string_view name;
    std::uint64_t multiplier;
  };
  static constexpr Unit kUnits[] = {
      {"", 1},
      {"Ki", std::uint64_t{1} << 10}, {"Mi", std::uint64_t{1} << 20},
      {"Gi", std::uint64_t{1} << 30}, {"Ti", std::uint64_t{1} << 40},
      {"Pi", std::uint64_t{1} << 50}, {"Ei", std::uint64_t{1} << 60},
      {"k", 1'000}, {"M", 1'000'000}, {"G", 1'000'000'000}, {"T", 1'000'000'000'000},
      {"P", 1'000'000'000'000'000}, {"E", 1'000'000'000'000'000'000},
  };
  std::uint64_t multiplier = 0;
  for (const Unit& unit : kUnits) {
    if (unit.name == text.substr(i)) multiplier = unit.multiplier;
  }
  if (multiplier == 0) return std::nullopt;
  // 10^20 > kMaxQuantity, so more than 20 digits is too large whatever the suffix.
  if (whole.size() > 20) return std::nullopt;
  Wide total = 0;
  for (char c : whole) total = total * 10 + static_cast<unsigned>(c - '0');
  total *= multiplier;
  if (total > kMaxQuantity) return std::nullopt;
  // fraction * multiplier, exactly: Horner's rule from the last digit, v = (d * m + v) / 10.
  // Keeping only floor(v) loses nothing, since floor((n + f) / 10) == floor(n / 10) for an
  // integer n and 0 <= f < 1; `inexact` remembers whether anything was dropped.
  Wide floor_part = 0;
  bool inexact = false;
  for (std::size_t k = fraction.size(); k-- > 0;) {
    const Wide n = static_cast<Wide>(fraction[k] - '0') * multiplier + floor_part;
    if (n % 10 != 0) inexact = true;
    floor_part = n / 10;
  }
  total += floor_part + (inexact ? 1 : 0);
  if (total > kMaxQuantity) return std::nullopt;
  return static_cast<std::uint64_t>(total);
}

void CheckQuantity(std::string_view text) {
  const Result<std::uint64_t> result = ParseQuantity(text);
  const std::optional<std::uint64_t> expected = ReferenceQuantity(text);
  if (result.ok() != expected.has_value()) {
    Fail(result.ok() ? "accepted a quantity the model refuses"
                     : "refused a quantity the model accepts",
         text);
  }
  if (!result.ok()) {
    if (result.error().empty()) Fail("empty error message", text);
    return;
  }
  if (*result != *expected) {
    std::fprintf(stderr, "quantity_fuzzer: ParseQuantity(\"%.*s\") = %llu, expected %llu\n",
                 static_cast<int>(text.size()), text.data(),
                 static_cast<unsigned long long>(*result),
                 static_cast<unsigned long long>(*expected));
    Fail("ParseQuantity value differs from the model", text);
  }
  if (text.empty()) Fail("accepted an empty quantity", text);
  if (*result > kMaxQuantity) Fail("accepted quantity above kMaxQuantity", text);
  // Plain decimal digits are a quantity, so what BytesOrUnlimited prints must read back.
  const std::string digits = BytesOrUnlimited(*result);
  const Result<std::uint64_t> again = ParseQuantity(digits);
  if (!again.ok() || *again != *result) Fail("BytesOrUnlimited does not round-trip", text);
}

void CheckPercent(std::string_view text, std::uint64_t ceiling) {
  const Result<std::uint32_t> result = ParsePercent(text);
  if (!result.ok()) {
    if (result.error().empty()) Fail("empty error message", text);
    return;
  }
  if (*result == 0 || *result > kMaxPercent * 100) {
    Fail("accepted percentage outside (0, kMaxPercent]", text);
  }
  const std::uint64_t applied = ApplyPercent(ceiling, *result);
  if (*result <= 10000 && applied > ceiling) Fail("ApplyPercent grew the ceiling at most 100%", text);
  // Above 100% the ceiling grows, up to the largest quantity and no further.
  if (*result >= 10000 && ceiling != kUnlimited && applied < std::min(ceiling, kMaxQuantity)) {
    Fail("ApplyPercent shrank the ceiling above 100%", text);
  }
  if (ceiling != kUnlimited && applied > std::max(ceiling, kMaxQuantity)) {
    Fail("ApplyPercent passed the largest quantity", text);
  }
  if (*result == 10000 && ApplyPercent(ceiling, *result) != ceiling) {
    Fail("ApplyPercent(c, 100%) != c", text);
  }
}

void CheckAmount(std::string_view text, bool allow_keywords) {
  const Result<AmountSpec> result = ParseAmount(text, allow_keywords);
  if (!result.ok()) {
    if (result.error().empty()) Fail("empty error message", text);
    return;
  }
  if (result->text != text) Fail("AmountSpec.text is not the text as written", text);
  // An amount that is a quantity or a percentage must mean what the plain parser says.
  switch (result->kind) {
    case AmountSpec::Kind::kBytes: {
      const Result<std::uint64_t> bytes = ParseQuantity(text);
      if (!bytes.ok() || *bytes != result->bytes) Fail("amount differs from ParseQuantity", text);
      break;
    }
    case AmountSpec::Kind::kPercent: {
      const Result<std::uint32_t> percent = ParsePercent(text);
      if (!percent.ok() || *percent != result->basis_points) {
        Fail("amount differs from ParsePercent", text);
      }
      break;
    }
    default:
      // "unlimited" and "hard": only where keywords are allowed.
      if (!allow_keywords) Fail("keyword accepted with allow_keywords=false", text);
  }
}

void CheckFormatters(std::uint64_t bytes) {
  const std::string_view none;
  if (HumanBytes(bytes).empty()) Fail("HumanBytes returned an empty string", none);
  if (DescribeBytes(bytes).empty()) Fail("DescribeBytes returned an empty string", none);
  if (bytes == kUnlimited) {
    if (UlimitKiB(bytes) != "unlimited") Fail("UlimitKiB(kUnlimited) != unlimited", none);
    if (BytesOrUnlimited(bytes) != "unlimited") Fail("BytesOrUnlimited(kUnlimited)", none);
  } else {
    if (UlimitKiB(bytes) != std::to_string(bytes / 1024)) Fail("UlimitKiB is not KiB", none);
    if (BytesOrUnlimited(bytes) != std::to_string(bytes)) Fail("BytesOrUnlimited", none);
  }
}

}  // namespace
}  // namespace rlimit_init

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 9) return -1;  // not in the input layout; keep it out of the corpus
  const std::uint8_t selector = data[0];
  std::uint64_t bytes = 0;
  std::memcpy(&bytes, data + 1, sizeof(bytes));
  const std::string_view text(reinterpret_cast<const char*>(data + 9), size - 9);

  rlimit_init::CheckFormatters(bytes);
  switch (selector % 4) {
    case 0:
      rlimit_init::CheckQuantity(text);
      break;
    case 1:
      rlimit_init::CheckPercent(text, bytes);
      break;
    case 2:
      rlimit_init::CheckAmount(text, /*allow_keywords=*/true);
      break;
    case 3:
      rlimit_init::CheckAmount(text, /*allow_keywords=*/false);
      break;
  }
  return 0;
}

// SPDX-License-Identifier: Apache-2.0
#include "policy/limit_value.h"

#include <charconv>

#include "base/quantity.h"

namespace rlimit_init {
namespace {

bool AllDigits(std::string_view text, char only = 0) {
  for (char c : text) {
    if (c < '0' || c > '9' || (only != 0 && c != only)) return false;
  }
  return !text.empty();
}

Result<std::uint64_t> ParseNumber(const ResourceRow& row, std::string_view text) {
  const std::string takes =
      std::string(row.name) + " takes a whole number, \"unlimited\" or \"hard\"";
  // One rule for every value: a decimal fraction is read as the number it denotes, so a count
  // written 2048.0 (PyYAML's dump of a float, a JSON-to-YAML converter) is 2048, as a quantity
  // written 1073741824.0 is 1 GiB. A quantity rounds a part of a byte up, as Kubernetes does;
  // a count has no such convention to follow, so a fraction that is not zero is refused.
  std::string_view digits = text;
  if (std::size_t dot = text.find('.'); dot != text.npos) {
    const std::string_view fraction = text.substr(dot + 1);
    digits = text.substr(0, dot);
    if (AllDigits(digits) && AllDigits(fraction) && !AllDigits(fraction, '0')) {
      return Error{"\"" + std::string(text) + "\" has a fraction; " + takes};
    }
    if (!AllDigits(fraction, '0')) digits = text;  // not a decimal number at all
  }
  std::uint64_t value = 0;
  auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (digits.empty() || ec != std::errc() || ptr != digits.data() + digits.size() ||
      value > kMaxQuantity) {
    return Error{"\"" + std::string(text) + "\" is not a number; " + takes};
  }
  if (digits.size() > 1 && digits.front() == '0') {
    return Error{"\"" + std::string(text) +
                 "\": leading zeros are not allowed (YAML 1.1 reads them as octal)"};
  }
  if (row.unit == LimitUnit::kNiceCeiling && value > 40) {
    return Error{"nice takes the kernel's value 0..40 (20 - the lowest nice value allowed), got " +
                 std::string(text)};
  }
  if (row.unit == LimitUnit::kPriority && value > 99) {
    return Error{"rtprio takes a real-time priority 0..99, got " + std::string(text)};
  }
  return value;
}

}  // namespace

Result<AmountSpec> ParseLimitAmount(const ResourceRow& row, std::string_view text,
                                    bool allow_keywords) {
  if (row.resource == Resource::kAs) return ParseAmount(text, allow_keywords);
  AmountSpec spec;
  spec.text = std::string(text);
  if (text == "unlimited" || text == "infinity") {
    if (!allow_keywords) return Error{"\"" + spec.text + "\" is not allowed here; give a value"};
    spec.kind = AmountSpec::Kind::kNoLimit;
    return spec;
  }
  if (text == "hard") {
    if (!allow_keywords) return Error{"\"hard\" is not allowed here; give a value"};
    spec.kind = AmountSpec::Kind::kHard;
    return spec;
  }
  if (!text.empty() && text.back() == '%') {
    if (row.resource != Resource::kData) {
      return Error{"a percentage of the memory ceiling is only meaningful for as and data"};
    }
    Result<std::uint32_t> percent = ParsePercent(text);
    if (!percent) return Error{percent.error()};
    spec.kind = AmountSpec::Kind::kPercent;
    spec.basis_points = percent.value();
    return spec;
  }
  Result<std::uint64_t> value =
      row.unit == LimitUnit::kBytes ? ParseQuantity(text) : ParseNumber(row, text);
  if (!value) return Error{value.error()};
  spec.kind = AmountSpec::Kind::kBytes;
  spec.bytes = value.value();
  return spec;
}

std::string FormatLimit(Resource resource, std::uint64_t value) {
  if (value == kUnlimited) return "unlimited";
  switch (Row(resource).unit) {
    case LimitUnit::kBytes:
      return HumanBytes(value);
    case LimitUnit::kSeconds:
      return std::to_string(value) + (value == 1 ? " second" : " seconds");
    case LimitUnit::kMicroseconds:
      return std::to_string(value) + " microseconds";
    case LimitUnit::kCount:
    case LimitUnit::kNiceCeiling:
    case LimitUnit::kPriority:
      break;
  }
  return std::to_string(value);
}

std::string UlimitValueOf(Resource resource, std::uint64_t value) {
  if (value == kUnlimited) return "unlimited";
  return std::to_string(value / Row(resource).ulimit_scale);
}

std::string PolicyValue(Resource resource, std::uint64_t value) {
  if (value == kUnlimited) return "unlimited";
  return Row(resource).unit == LimitUnit::kBytes ? ToQuantity(value) : std::to_string(value);
}

}  // namespace rlimit_init

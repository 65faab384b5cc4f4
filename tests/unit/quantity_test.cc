// SPDX-License-Identifier: Apache-2.0
#include "base/quantity.h"

#include <gtest/gtest.h>

#include "os/system.h"

namespace rlimit_init {
namespace {

std::uint64_t Parsed(std::string_view text) {
  Result<std::uint64_t> r = ParseQuantity(text);
  EXPECT_TRUE(r.ok()) << text << ": " << r.error();
  return r.ok() ? r.value() : 0;
}

std::string ErrorOf(std::string_view text) {
  Result<std::uint64_t> r = ParseQuantity(text);
  EXPECT_FALSE(r.ok()) << text;
  return r.ok() ? "" : r.error();
}

TEST(Quantity, PlainBytesAndEverySuffix) {
  EXPECT_EQ(Parsed("0"), 0u);
  EXPECT_EQ(Parsed("1073741824"), 1073741824u);
  EXPECT_EQ(Parsed("1Ki"), 1024u);
  EXPECT_EQ(Parsed("512Mi"), 536870912u);
  EXPECT_EQ(Parsed("6Gi"), 6442450944u);
  EXPECT_EQ(Parsed("2Ti"), 2199023255552u);
  EXPECT_EQ(Parsed("3Pi"), 3377699720527872u);
  EXPECT_EQ(Parsed("7Ei"), 8070450532247928832u);
  EXPECT_EQ(Parsed("1k"), 1000u);
  EXPECT_EQ(Parsed("5M"), 5000000u);
  EXPECT_EQ(Parsed("4G"), 4000000000u);
  EXPECT_EQ(Parsed("1T"), 1000000000000u);
  EXPECT_EQ(Parsed("1P"), 1000000000000000u);
  EXPECT_EQ(Parsed("9E"), 9000000000000000000u);
}

TEST(Quantity, DecimalFractionsAreExactOrRoundedUp) {
  EXPECT_EQ(Parsed("1.5Gi"), 1610612736u);
  EXPECT_EQ(Parsed("0.5Ki"), 512u);
  EXPECT_EQ(Parsed("4.0"), 4u);
  EXPECT_EQ(Parsed("1.5"), 2u);
  EXPECT_EQ(Parsed("0.3Gi"), 322122548u);  // 322122547.2 rounded up
  EXPECT_EQ(Parsed("0.0000000000000000000001Ki"), 1u);
  // 0.9e-18 EiB is 1.04 bytes; so is 0.899999e-18 EiB. Both round up to 2 (found by fuzzing).
  EXPECT_EQ(Parsed("0.0000000000000000009Ei"), 2u);
  EXPECT_EQ(Parsed("0.000000000000000000899999Ei"), 2u);
  EXPECT_EQ(Parsed("0.125Ki"), 128u);
}

TEST(Quantity, LargestAcceptedIsEightEiMinusOne) {
  EXPECT_EQ(Parsed("9223372036854775807"), kMaxQuantity);
  EXPECT_EQ(ErrorOf("8Ei"),
            "invalid quantity \"8Ei\": too large; the largest is 8Ei minus one byte, or write "
            "\"unlimited\"");
  EXPECT_EQ(ErrorOf("18446744073709551615"),
            "invalid quantity \"18446744073709551615\": too large; the largest is 8Ei minus one "
            "byte, or write \"unlimited\"");
  EXPECT_EQ(ErrorOf("18446744073709551616"),
            "invalid quantity \"18446744073709551616\": too large; the largest is 8Ei minus one "
            "byte, or write \"unlimited\"");
  EXPECT_EQ(ErrorOf("123456789012345678901234567890"),
            "invalid quantity \"123456789012345678901234567890\": too large; the largest is 8Ei "
            "minus one byte, or write \"unlimited\"");
  // Just under 8Ei, but rounding the fraction up to a whole byte reaches 2^63.
  EXPECT_EQ(ErrorOf("8191.9999999999999999999Pi"),
            "invalid quantity \"8191.9999999999999999999Pi\": too large; the largest is 8Ei "
            "minus one byte, or write \"unlimited\"");
  EXPECT_EQ(Parsed("8191.9999Pi"), 9223371924264785124u);
}

TEST(Quantity, OddFormsGetTheirOwnMessage) {
  EXPECT_EQ(ErrorOf(""), "invalid quantity \"\": expected a number such as 512Mi");
  EXPECT_EQ(ErrorOf("-1"), "invalid quantity \"-1\": must not be negative");
  EXPECT_EQ(ErrorOf("+5"), "invalid quantity \"+5\": write the number without a sign");
  EXPECT_EQ(ErrorOf("010"),
            "invalid quantity \"010\": leading zeros are not allowed (YAML 1.1 reads them as "
            "octal)");
  EXPECT_EQ(ErrorOf("0x10"), "invalid quantity \"0x10\": hexadecimal is not supported");
  EXPECT_EQ(ErrorOf("1e3"),
            "invalid quantity \"1e3\": exponents are not supported; write the bytes or use a "
            "suffix such as G or Gi");
  EXPECT_EQ(ErrorOf("1_000"), "invalid quantity \"1_000\": digit separators are not allowed");
  EXPECT_EQ(ErrorOf("1."), "invalid quantity \"1.\": expected digits after the '.'");
  EXPECT_EQ(ErrorOf(".5Gi"), "invalid quantity \".5Gi\": expected a number such as 512Mi");
  EXPECT_EQ(ErrorOf("Gi"), "invalid quantity \"Gi\": expected a number such as 512Mi");
  EXPECT_EQ(ErrorOf("1 Gi"),
            "invalid quantity \"1 Gi\": unknown suffix \" Gi\" (use Ki, Mi, Gi, Ti, Pi, Ei, or k, "
            "M, G, T, P, E)");
}

TEST(Quantity, SuffixInWrongCaseNamesTheLikelyOne) {
  EXPECT_EQ(ErrorOf("4gi"),
            "invalid quantity \"4gi\": unknown suffix \"gi\" (did you mean \"Gi\"? suffixes are "
            "case-sensitive)");
  EXPECT_EQ(ErrorOf("4GI"),
            "invalid quantity \"4GI\": unknown suffix \"GI\" (did you mean \"Gi\"? suffixes are "
            "case-sensitive)");
  EXPECT_EQ(ErrorOf("4g"),
            "invalid quantity \"4g\": unknown suffix \"g\" (did you mean \"G\"? suffixes are "
            "case-sensitive)");
  EXPECT_EQ(ErrorOf("4K"), "invalid quantity \"4K\": unknown suffix \"K\" (did you mean \"k\" or "
                           "\"Ki\"?)");
  EXPECT_EQ(ErrorOf("4m"),
            "invalid quantity \"4m\": unknown suffix \"m\" (Kubernetes reads \"m\" as milli, and "
            "bytes cannot be fractional; did you mean \"M\" or \"Mi\"?)");
  EXPECT_EQ(ErrorOf("4GB"),
            "invalid quantity \"4GB\": unknown suffix \"GB\" (use Ki, Mi, Gi, Ti, Pi, Ei, or k, M, "
            "G, T, P, E)");
  EXPECT_EQ(ErrorOf("4B"),
            "invalid quantity \"4B\": unknown suffix \"B\" (write plain bytes without a unit)");
}

TEST(Percent, ParsesIntoBasisPoints) {
  EXPECT_EQ(ParsePercent("75%").value(), 7500u);
  EXPECT_EQ(ParsePercent("100%").value(), 10000u);
  EXPECT_EQ(ParsePercent("12.5%").value(), 1250u);
  EXPECT_EQ(ParsePercent("0.01%").value(), 1u);
}

TEST(Percent, AcceptsAboveHundredUpToTheBound) {
  EXPECT_EQ(ParsePercent("100.01%").value(), 10001u);
  EXPECT_EQ(ParsePercent("150%").value(), 15000u);
  EXPECT_EQ(ParsePercent("999.99%").value(), 99999u);
  EXPECT_EQ(ParsePercent("1000%").value(), 100000u);
  EXPECT_EQ(ParsePercent("1000.00%").value(), 100000u);
}

TEST(Percent, RejectsZeroAboveTheBoundAndOddForms) {
  EXPECT_EQ(ParsePercent("0%").error(),
            "invalid percentage \"0%\": must be above 0% (0% would leave no address space)");
  const char* above = "% of the memory ceiling; for more, give a quantity or \"unlimited\"";
  EXPECT_EQ(ParsePercent("1000.01%").error(),
            std::string("invalid percentage \"1000.01%\": must be at most 1000") + above);
  EXPECT_EQ(ParsePercent("1001%").error(),
            std::string("invalid percentage \"1001%\": must be at most 1000") + above);
  EXPECT_EQ(ParsePercent("10000%").error(),
            std::string("invalid percentage \"10000%\": must be at most 1000") + above);
  EXPECT_EQ(ParsePercent("99999999999999999999%").error(),
            std::string("invalid percentage \"99999999999999999999%\": must be at most 1000") +
                above);
  EXPECT_EQ(ParsePercent("50").error(),
            "invalid percentage \"50\": expected a number above 0 and at most 1000, then '%'");
  EXPECT_EQ(ParsePercent("-5%").error(),
            "invalid percentage \"-5%\": expected a number above 0 and at most 1000, then '%'");
  EXPECT_EQ(ParsePercent("1.234%").error(),
            "invalid percentage \"1.234%\": at most two decimal places");
  EXPECT_EQ(ParsePercent("050%").error(),
            "invalid percentage \"050%\": leading zeros are not allowed");
  EXPECT_EQ(ParsePercent("%").error(),
            "invalid percentage \"%\": expected a number above 0 and at most 1000, then '%'");
}

TEST(Percent, AppliesToCeilingRoundingDown) {
  EXPECT_EQ(ApplyPercent(1073741824, 7500), 805306368u);
  EXPECT_EQ(ApplyPercent(1000, 3333), 333u);
  EXPECT_EQ(ApplyPercent(kUnlimited, 5000), kUnlimited);
  EXPECT_EQ(ApplyPercent(kMaxQuantity, 10000), kMaxQuantity);
}

TEST(Percent, AboveHundredGrowsTheCeilingAndStopsAtTheLargestQuantity) {
  EXPECT_EQ(ApplyPercent(1073741824, 15000), 1610612736u);
  EXPECT_EQ(ApplyPercent(1000, 100000), 10000u);
  EXPECT_EQ(ApplyPercent(kMaxQuantity, 100000), kMaxQuantity);
  EXPECT_EQ(ApplyPercent(kMaxQuantity / 10 + 1, 100000), kMaxQuantity);
  EXPECT_EQ(ApplyPercent(kMaxQuantity / 10, 100000), kMaxQuantity / 10 * 10);
}

TEST(Bytes, HumanUnitsTruncateToTwoDecimals) {
  EXPECT_EQ(HumanBytes(0), "0 bytes");
  EXPECT_EQ(HumanBytes(300), "300 bytes");
  EXPECT_EQ(HumanBytes(1024), "1 KiB");
  EXPECT_EQ(HumanBytes(268435456), "256 MiB");
  EXPECT_EQ(HumanBytes(1610612736), "1.5 GiB");
  EXPECT_EQ(HumanBytes(1073741823), "1023.99 MiB");
  EXPECT_EQ(HumanBytes(kMaxQuantity), "7.99 EiB");
  EXPECT_EQ(HumanBytes(kUnlimited), "unlimited");
}

TEST(Bytes, DescribeShowsBytesAndUlimitKiB) {
  EXPECT_EQ(DescribeBytes(268435456), "256 MiB (268435456 bytes, ulimit -v 262144)");
  EXPECT_EQ(DescribeBytes(1000), "1000 bytes (1000 bytes, ulimit -v 0)");
  EXPECT_EQ(DescribeBytes(kUnlimited), "unlimited");
  EXPECT_EQ(DescribeBytes(536870912, 'd'), "512 MiB (536870912 bytes, ulimit -d 524288)");
  EXPECT_EQ(UlimitKiB(536870912), "524288");
  EXPECT_EQ(BytesOrUnlimited(kUnlimited), "unlimited");
  EXPECT_EQ(BytesOrUnlimited(42), "42");
}

TEST(ToQuantity, QuantitiesUseTheLargestExactSuffix) {
  EXPECT_EQ(ToQuantity(std::uint64_t{4} << 30), "4Gi");
  EXPECT_EQ(ToQuantity(std::uint64_t{1536} << 20), "1536Mi");
  EXPECT_EQ(ToQuantity(1000), "1000");
  EXPECT_EQ(ToQuantity(0), "0");
  EXPECT_EQ(ToQuantity(kUnlimited), "unlimited");
  EXPECT_EQ(ToQuantity(std::uint64_t{1} << 62), "4Ei");
}

}  // namespace
}  // namespace rlimit_init

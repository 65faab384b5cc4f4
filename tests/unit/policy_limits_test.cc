// SPDX-License-Identifier: Apache-2.0
// The limits: section of a v1 policy.
#include <gtest/gtest.h>

#include <string>

#include "policy/policy.h"

namespace rlimit_init {
namespace {

constexpr char kApi[] = "apiVersion: rlimit-init/v1\n";

std::string ErrorOf(const std::string& text) {
  Result<Policy> r = ParsePolicy(text, "policy.yaml");
  EXPECT_FALSE(r.ok()) << text;
  return r.ok() ? "" : r.error();
}

Policy Parsed(const std::string& text) {
  Result<Policy> r = ParsePolicy(text, "policy.yaml");
  EXPECT_TRUE(r.ok()) << r.error();
  return r.ok() ? r.value() : Policy{};
}

const LimitSpec& Spec(const Policy& p, Resource r) {
  static const LimitSpec kNone;
  const auto& spec = p.limits[static_cast<std::size_t>(r)];
  EXPECT_TRUE(spec.has_value()) << Row(r).name;
  return spec ? *spec : kNone;
}

TEST(PolicyLimits, ReadsTheShortAndTheLongForm) {
  Policy p = Parsed(std::string(kApi) +
                    "limits:\n"
                    "  nofile: 65536\n"
                    "  core:\n"
                    "    request: 0\n"
                    "    lower: true\n"
                    "  memlock:\n"
                    "    request: unlimited\n"
                    "    minimum: 64Mi\n"
                    "    raiseHard: true\n"
                    "  stack: hard\n");
  EXPECT_EQ(Spec(p, Resource::kNofile).request.bytes, 65536u);
  EXPECT_EQ(Spec(p, Resource::kNofile).origin, "limits.nofile in policy.yaml");
  EXPECT_FALSE(Spec(p, Resource::kNofile).lower);
  EXPECT_EQ(Spec(p, Resource::kCore).request.bytes, 0u);
  EXPECT_TRUE(Spec(p, Resource::kCore).lower);
  EXPECT_EQ(Spec(p, Resource::kMemlock).request.kind, AmountSpec::Kind::kNoLimit);
  EXPECT_EQ(Spec(p, Resource::kMemlock).minimum->bytes, 64u << 20);
  EXPECT_TRUE(Spec(p, Resource::kMemlock).raise_hard);
  EXPECT_EQ(Spec(p, Resource::kStack).request.kind, AmountSpec::Kind::kHard);
  EXPECT_FALSE(p.limits[static_cast<std::size_t>(Resource::kNproc)].has_value());
  // Without addressSpace the address space keeps the default: raise the soft limit to hard.
  EXPECT_EQ(p.request.kind, AmountSpec::Kind::kHard);
}

TEST(PolicyLimits, AsIsTheAddressSpace) {
  Policy p = Parsed(std::string(kApi) + "limits:\n  as:\n    request: 4Gi\n    minimum: 1Gi\n");
  EXPECT_EQ(p.request.bytes, std::uint64_t{4} << 30);
  EXPECT_EQ(p.minimum->bytes, std::uint64_t{1} << 30);
  EXPECT_EQ(p.request_origin, "limits.as.request in policy.yaml");
}

TEST(PolicyLimits, ACountWithAZeroFractionIsThatCountAsAQuantityIs) {
  // Issue 22.8: 1073741824.0 was taken for the address space and 2048.0 refused for nofile.
  Policy p = Parsed(std::string(kApi) +
                    "addressSpace:\n  request: 1073741824.0\nlimits:\n  nofile: 2048.0\n"
                    "  nproc: {request: 4096.00, minimum: 0.0}\n  nice: 40.0\n");
  EXPECT_EQ(p.request.bytes, std::uint64_t{1} << 30);
  EXPECT_EQ(p.limits[static_cast<std::size_t>(Resource::kNofile)]->request.bytes, 2048u);
  EXPECT_EQ(p.limits[static_cast<std::size_t>(Resource::kNproc)]->request.bytes, 4096u);
  EXPECT_EQ(p.limits[static_cast<std::size_t>(Resource::kNproc)]->minimum->bytes, 0u);
  EXPECT_EQ(p.limits[static_cast<std::size_t>(Resource::kNice)]->request.bytes, 40u);
  EXPECT_EQ(ErrorOf(std::string(kApi) + "limits:\n  nofile: 2048.5\n"),
            "policy.yaml:3:11: limits.nofile: \"2048.5\" has a fraction; nofile takes a whole "
            "number, \"unlimited\" or \"hard\"");
  EXPECT_EQ(ErrorOf(std::string(kApi) + "limits:\n  nofile: 2048.\n"),
            "policy.yaml:3:11: limits.nofile: \"2048.\" is not a number; nofile takes a whole "
            "number, \"unlimited\" or \"hard\"");
  EXPECT_EQ(ErrorOf(std::string(kApi) + "limits:\n  nofile: .0\n"),
            "policy.yaml:3:11: limits.nofile: \".0\" is not a number; nofile takes a whole "
            "number, \"unlimited\" or \"hard\"");
  EXPECT_EQ(ErrorOf(std::string(kApi) + "limits:\n  nofile: 2048.0.0\n"),
            "policy.yaml:3:11: limits.nofile: \"2048.0.0\" is not a number; nofile takes a "
            "whole number, \"unlimited\" or \"hard\"");
  EXPECT_EQ(ErrorOf(std::string(kApi) + "limits:\n  nofile: 02048.0\n"),
            "policy.yaml:3:11: limits.nofile: \"02048.0\": leading zeros are not allowed (YAML "
            "1.1 reads them as octal)");
  EXPECT_EQ(ErrorOf(std::string(kApi) + "limits:\n  nice: 41.0\n"),
            "policy.yaml:3:9: limits.nice: nice takes the kernel's value 0..40 (20 - the lowest "
            "nice value allowed), got 41.0");
}

TEST(PolicyLimits, ErrorsNameLineColumnAndKey) {
  EXPECT_EQ(ErrorOf(std::string(kApi) + "limits:\n  nofiles: 10\n"),
            "policy.yaml:3:3: limits.nofiles: unknown key (did you mean \"nofile\"?); expected "
            "one of: as, core, cpu, data, fsize, locks, memlock, msgqueue, nice, nofile, nproc, "
            "rss, rtprio, rttime, sigpending, stack");
  EXPECT_EQ(ErrorOf(std::string(kApi) + "limits:\n  nofile: 64k\n"),
            "policy.yaml:3:11: limits.nofile: \"64k\" is not a number; nofile takes a whole "
            "number, \"unlimited\" or \"hard\"");
  EXPECT_EQ(ErrorOf(std::string(kApi) + "limits:\n  nofile:\n    minimum: 10\n"),
            "policy.yaml:4:5: limits.nofile.request: required key is missing");
  EXPECT_EQ(ErrorOf(std::string(kApi) + "limits:\n  nofile:\n    request: 10\n    minimum: 20\n"),
            "policy.yaml:5:14: limits.nofile.minimum: 20 is more than limits.nofile.request 10");
  EXPECT_EQ(ErrorOf(std::string(kApi) + "limits:\n  core:\n    request: hard\n    lower: true\n"),
            "policy.yaml:5:12: limits.core.lower: lower needs a value to lower to; "
            "limits.core.request is hard");
  EXPECT_EQ(ErrorOf(std::string(kApi) + "addressSpace:\n  request: 1Gi\nlimits:\n  as: 2Gi\n"),
            "policy.yaml:5:3: limits.as: the address space is already set by addressSpace; keep "
            "one of the two");
  EXPECT_EQ(ErrorOf(std::string(kApi) + "limits:\n  as:\n    request: 2Gi\n    lower: true\n"),
            "policy.yaml:4:5: limits.as.lower: the address space is never lowered; remove lower");
  EXPECT_EQ(ErrorOf(std::string(kApi) + "limits: 5\n"),
            "policy.yaml:2:9: limits: expected a mapping, got a scalar");
}

}  // namespace
}  // namespace rlimit_init

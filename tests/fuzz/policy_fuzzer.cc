// SPDX-License-Identifier: Apache-2.0
// libFuzzer target over the whole policy loader: yaml-cpp plus every field parser behind
// ParsePolicy. Built by scripts/build-fuzz.sh against an instrumented yaml-cpp.
//
// Beyond "no crash, no leak, no hang", it checks the contract policy.h documents: ParsePolicy
// never throws, refuses oversized text, reports errors as "FILE:...", and an accepted policy
// only holds values the rest of rlimit-init can act on.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "policy/policy.h"
#include "base/quantity.h"
#include "base/text.h"

namespace rlimit_init {
namespace {

const std::string kFileName = "fuzz.yaml";

[[noreturn]] void Fail(const char* what, std::string_view text) {
  std::fprintf(stderr, "policy_fuzzer: property violated: %s (input %zu bytes)\n", what,
               text.size());
  std::abort();
}

void CheckAmount(const AmountSpec& amount, bool allow_keywords, std::string_view text) {
  switch (amount.kind) {
    case AmountSpec::Kind::kBytes:
      if (amount.bytes > kMaxQuantity) Fail("accepted amount above kMaxQuantity", text);
      break;
    case AmountSpec::Kind::kPercent:
      // A percentage of the memory ceiling may exceed it, up to kMaxPercent (228d65c).
      if (amount.basis_points == 0 || amount.basis_points > kMaxPercent * 100) {
        Fail("accepted percentage outside (0, kMaxPercent]", text);
      }
      break;
    default:
      // "unlimited" and "hard": only where keywords are allowed.
      if (!allow_keywords) Fail("keyword accepted where only a quantity is allowed", text);
  }
}

void CheckPolicy(std::string_view text) {
  // Any exception escaping ParsePolicy terminates the fuzzer, which reports it as a crash:
  // the core must only ever see a Result.
  const Result<Policy> result = ParsePolicy(text, kFileName);
  if (!result.ok()) {
    const std::string& message = result.error();
    if (message.empty()) Fail("empty error message", text);
    if (message.compare(0, kFileName.size() + 1, kFileName + ":") != 0) {
      Fail("error message does not start with \"FILE:\"", text);
    }
    return;
  }
  if (text.size() > kMaxPolicyBytes) Fail("accepted a policy above kMaxPolicyBytes", text);
  const Policy& policy = *result;
  CheckAmount(policy.request, /*allow_keywords=*/true, text);
  if (policy.minimum) {
    CheckAmount(*policy.minimum, /*allow_keywords=*/false, text);
    // The least the job can live with cannot exceed what it asks for.
    if (policy.minimum->kind == AmountSpec::Kind::kBytes &&
        policy.request.kind == AmountSpec::Kind::kBytes &&
        policy.minimum->bytes > policy.request.bytes) {
      Fail("addressSpace.minimum above addressSpace.request", text);
    }
  }
  if (policy.memory_require && *policy.memory_require > kMaxQuantity) {
    Fail("memory.require above kMaxQuantity", text);
  }
  for (const auto& [name, value] : policy.env) {
    // The environment ends a value at its first NUL: the workload would see less than written.
    if (value.find('\0') != std::string::npos) Fail("accepted an env value with a NUL", text);
    if (!IsValidUtf8(value)) Fail("accepted an env value that is not UTF-8", text);
  }
  // YAML 1.1 line breaks, which a YAML 1.1 tool would read the file differently by.
  for (std::string_view line_break : {"\xC2\x85", "\xE2\x80\xA8", "\xE2\x80\xA9"}) {
    if (text.find(line_break) != std::string_view::npos) {
      Fail("accepted a policy holding U+0085, U+2028 or U+2029", text);
    }
  }
  if (policy.source != kFileName) Fail("policy.source is not the file name", text);
}

}  // namespace
}  // namespace rlimit_init

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  rlimit_init::CheckPolicy(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}

// SPDX-License-Identifier: Apache-2.0
// libFuzzer target over the `user:` value and its resolution against the image's /etc/passwd
// and /etc/group, which the image's author, not rlimit-init's user, controls.
//
// Input layout: SPEC NUL PASSWD NUL GROUP (a missing part is empty). Seeds in corpus/user/.
#include <algorithm>
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

#include "policy/user.h"

namespace rlimit_init {
namespace {

// (uid_t)-1: setresuid and setresgid read it as "leave unchanged", so it must never come out.
constexpr std::uint32_t kNoId = 0xFFFFFFFFu;

[[noreturn]] void Fail(const char* what, std::string_view spec) {
  std::fprintf(stderr, "user_fuzzer: property violated: %s (spec \"%.*s\")\n", what,
               static_cast<int>(spec.size()), spec.data());
  std::abort();
}

// The number a numeric user or group part stands for; nullopt for a name.
std::optional<std::uint64_t> Number(std::string_view text) {
  if (text.empty() || !std::all_of(text.begin(), text.end(),
                                   [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  std::uint64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return kNoId;  // out of range
  return value;
}

// Splits off everything up to the first NUL.
std::string_view NextPart(std::string_view* rest) {
  const std::size_t nul = rest->find('\0');
  const std::string_view part = rest->substr(0, nul);
  *rest = nul == std::string_view::npos ? std::string_view() : rest->substr(nul + 1);
  return part;
}

void Check(std::string_view input) {
  const std::string_view spec_text = NextPart(&input);
  const std::string_view passwd = NextPart(&input);
  const std::string_view group = input;

  const Result<UserSpec> spec = ParseUserSpec(spec_text);
  if (!spec.ok()) {
    if (spec.error().empty()) Fail("empty error message", spec_text);
    return;
  }
  if (spec->user.empty()) Fail("accepted an empty user", spec_text);
  if (spec->group && spec->group->empty()) Fail("accepted an empty group", spec_text);
  const std::string written = spec->user + (spec->group ? ":" + *spec->group : "");
  if (written != spec_text) Fail("UserSpec does not hold the text as written", spec_text);

  const Result<UserIds> ids = ResolveUser(*spec, {passwd, ""}, {group, ""});
  if (!ids.ok()) {
    if (ids.error().empty()) Fail("empty error message", spec_text);
    return;
  }
  if (ids->uid == kNoId || ids->gid == kNoId) Fail("resolved to (uid_t)-1", spec_text);
  if (const auto uid = Number(spec->user); uid && *uid != ids->uid) {
    Fail("a numeric user resolved to another uid", spec_text);
  }
  if (const auto gid = spec->group ? Number(*spec->group) : std::nullopt;
      gid && *gid != ids->gid) {
    Fail("a numeric group resolved to another gid", spec_text);
  }
  if (ids->groups.empty() || ids->groups.front() != ids->gid) {
    Fail("supplementary groups do not start with the primary gid", spec_text);
  }
  for (std::size_t i = 0; i < ids->groups.size(); ++i) {
    if (ids->groups[i] == kNoId) Fail("a supplementary group is (gid_t)-1", spec_text);
    if (std::find(ids->groups.begin() + i + 1, ids->groups.end(), ids->groups[i]) !=
        ids->groups.end()) {
      Fail("a supplementary group is listed twice", spec_text);
    }
  }
  if (DescribeIds(*ids).empty()) Fail("DescribeIds returned an empty string", spec_text);
}

}  // namespace
}  // namespace rlimit_init

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  rlimit_init::Check(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}

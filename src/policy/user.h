// SPDX-License-Identifier: Apache-2.0
// The policy's `user:` key: whom the workload runs as. Names are resolved by reading the
// image's /etc/passwd and /etc/group directly, because a static glibc binary must not load
// NSS modules.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace rlimit_init {

/// "UID[:GID]" or "NAME[:GROUP]" as written; each part is numeric or a name.
struct UserSpec {
  std::string user;                 // digits or a name
  std::optional<std::string> group; // digits or a name
};

struct UserIds {
  std::uint32_t uid = 0;
  std::uint32_t gid = 0;
  std::vector<std::uint32_t> groups;  // supplementary groups, the primary gid first
  std::optional<std::string> name;    // the passwd entry's name, when there is an entry
  std::string home = "/";             // its home directory; "/" without an entry or when empty
};

/// Linux's NGROUPS_MAX: setgroups refuses longer lists with EINVAL.
inline constexpr std::size_t kMaxGroups = 65536;

/// An account file as read: its text, or why it could not be read ("it is a directory").
/// A file that does not exist is read as empty: a FROM scratch image has no /etc/passwd, and
/// a numeric uid needs none.
struct AccountFile {
  std::string_view text;
  std::string error;  // empty when `text` is the file
};

/// Checks the form of a `user:` value: names are [A-Za-z_][A-Za-z0-9_.-]*, numbers are
/// decimal below 2^32 - 1 (which is "no id" to the kernel).
Result<UserSpec> ParseUserSpec(std::string_view text);

/// Resolves a spec against /etc/passwd and /etc/group text. A numeric uid with no passwd
/// entry and no group gets gid = uid and no other groups (never root's group by default).
/// A named user gets the gid from passwd and every group in /etc/group that lists it.
/// Lines may end in CRLF; empty names and empty members never match. A file that could not
/// be read is an error naming it and why, but only where the lookup needs it. More than
/// kMaxGroups groups is an error.
Result<UserIds> ResolveUser(const UserSpec& spec, const AccountFile& passwd,
                            const AccountFile& group);

/// "1000:1000 (groups 1000,27)"; past 16 groups, "... and N more".
std::string DescribeIds(const UserIds& ids);

}  // namespace rlimit_init

// SPDX-License-Identifier: Apache-2.0
#include "policy/user.h"

#include <algorithm>
#include <charconv>

namespace rlimit_init {
namespace {

bool IsNameStart(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool IsNameChar(char c) {
  return IsNameStart(c) || (c >= '0' && c <= '9') || c == '.' || c == '-';
}

std::optional<std::uint32_t> ParseId(std::string_view text) {
  if (text.empty() || text.size() > 10) return std::nullopt;
  std::uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  // 4294967295 is (uid_t)-1, which setresuid reads as "leave unchanged".
  if (ec != std::errc() || end != text.data() + text.size() || value >= 0xFFFFFFFFu) {
    return std::nullopt;
  }
  return static_cast<std::uint32_t>(value);
}

bool IsNumeric(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
    return c >= '0' && c <= '9';
  });
}

Result<std::string> CheckPart(std::string_view part, const char* what) {
  if (part.empty()) return Error{std::string("the ") + what + " is empty"};
  if (IsNumeric(part)) {
    // `user: 010` is uid 10 to yaml-cpp and 8 to a YAML 1.1 tool reading the same file, as
    // for quantities and counts.
    if (part.size() > 1 && part.front() == '0') {
      return Error{std::string("the ") + what + " id \"" + std::string(part) +
                   "\": leading zeros are not allowed (YAML 1.1 reads them as octal)"};
    }
    if (!ParseId(part)) {
      return Error{std::string("the ") + what + " id " + std::string(part) +
                   " is out of range (at most 4294967294)"};
    }
    return std::string(part);
  }
  if (!IsNameStart(part.front()) || !std::all_of(part.begin(), part.end(), IsNameChar)) {
    return Error{std::string("\"") + std::string(part) + "\" is not a valid " + what +
                 " name or number"};
  }
  return std::string(part);
}

// Splits one /etc/passwd or /etc/group line on ':' into `fields`, as views into the line, and
// returns how many fields it has, which may be more than `fields` holds. No allocation: a
// vector per line was most of what resolving a user cost.
template <std::size_t N>
std::size_t SplitFields(std::string_view line, std::string_view (&fields)[N]) {
  std::size_t count = 0;
  while (true) {
    const std::size_t colon = line.find(':');
    if (count < N) fields[count] = line.substr(0, colon);
    ++count;
    if (colon == std::string_view::npos) return count;
    line.remove_prefix(colon + 1);
  }
}

// Whether the comma-separated member list of a group line names `user`. An empty name never
// matches: "wheel:x:10:,root" has an empty member, which names nobody.
bool ListsMember(std::string_view members, std::string_view user) {
  if (user.empty()) return false;
  while (!members.empty()) {
    const std::size_t comma = members.find(',');
    if (members.substr(0, comma) == user) return true;
    members = comma == std::string_view::npos ? "" : members.substr(comma + 1);
  }
  return false;
}

// Calls `visit` with every line that is neither empty nor a comment, until it returns false.
// A CR before the LF is not part of the line: in a CRLF /etc/group it would otherwise stick
// to the last member and hide it.
template <typename Visit>
void ForEachLine(std::string_view text, Visit visit) {
  while (!text.empty()) {
    std::size_t newline = text.find('\n');
    std::string_view line = text.substr(0, newline);
    text = newline == std::string_view::npos ? "" : text.substr(newline + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (!line.empty() && line.front() != '#' && !visit(line)) return;
  }
}

// `listed` without repeats or `primary`, in the order first seen, in n log n: a user in
// tens of thousands of groups must not cost a quadratic search.
std::vector<std::uint32_t> Distinct(const std::vector<std::uint32_t>& listed,
                                    std::uint32_t primary) {
  std::vector<std::pair<std::uint32_t, std::size_t>> by_gid;
  by_gid.reserve(listed.size());
  for (std::size_t i = 0; i < listed.size(); ++i) by_gid.emplace_back(listed[i], i);
  std::sort(by_gid.begin(), by_gid.end());
  std::vector<std::size_t> first;
  for (std::size_t i = 0; i < by_gid.size(); ++i) {
    if (by_gid[i].first == primary) continue;
    if (i > 0 && by_gid[i].first == by_gid[i - 1].first) continue;
    first.push_back(by_gid[i].second);
  }
  std::sort(first.begin(), first.end());
  std::vector<std::uint32_t> out;
  out.reserve(first.size());
  for (std::size_t i : first) out.push_back(listed[i]);
  return out;
}

}  // namespace

Result<UserSpec> ParseUserSpec(std::string_view text) {
  UserSpec spec;
  std::size_t colon = text.find(':');
  Result<std::string> user = CheckPart(text.substr(0, colon), "user");
  if (!user) return Error{user.error()};
  spec.user = user.value();
  if (colon != std::string_view::npos) {
    Result<std::string> group = CheckPart(text.substr(colon + 1), "group");
    if (!group) return Error{group.error()};
    spec.group = group.value();
  }
  return spec;
}

Result<UserIds> ResolveUser(const UserSpec& spec, const AccountFile& passwd,
                            const AccountFile& group) {
  // A passwd that cannot be read is never taken for one without the user: that would say
  // "not in /etc/passwd" about a file nobody looked in.
  if (!passwd.error.empty()) return Error{"cannot read /etc/passwd: " + passwd.error};
  UserIds ids;
  std::optional<std::uint32_t> passwd_gid;
  std::optional<std::uint32_t> numeric = ParseId(spec.user);
  // The first entry that matches is the user, so the rest of the file need not be read.
  ForEachLine(passwd.text, [&](std::string_view line) {
    std::string_view f[6];
    if (SplitFields(line, f) < 7 || f[0].empty() || (!numeric && f[0] != spec.user)) return true;
    std::optional<std::uint32_t> uid = ParseId(f[2]);
    std::optional<std::uint32_t> gid = ParseId(f[3]);
    if (!uid || !gid || (numeric && *uid != *numeric)) return true;
    ids.name = std::string(f[0]);
    ids.home = f[5].empty() ? "/" : std::string(f[5]);
    ids.uid = *uid;
    passwd_gid = gid;
    return false;
  });
  if (!numeric && !ids.name) {
    return Error{"user \"" + spec.user + "\" is not in /etc/passwd"};
  }
  if (numeric) ids.uid = *numeric;

  const bool group_by_name = spec.group && !ParseId(*spec.group);
  if ((group_by_name || ids.name) && !group.error.empty()) {
    return Error{"cannot read /etc/group: " + group.error};
  }
  if (spec.group) {
    if (std::optional<std::uint32_t> gid = ParseId(*spec.group)) {
      ids.gid = *gid;
    } else {
      // The first entry with that name and a valid gid is the group.
      bool found = false;
      ForEachLine(group.text, [&](std::string_view line) {
        std::string_view f[4];
        if (SplitFields(line, f) < 4 || f[0] != *spec.group) return true;
        if (std::optional<std::uint32_t> group_id = ParseId(f[2])) {
          ids.gid = *group_id;
          found = true;
        }
        return !found;
      });
      if (!found) return Error{"group \"" + *spec.group + "\" is not in /etc/group"};
    }
  } else {
    ids.gid = passwd_gid.value_or(ids.uid);
  }

  ids.groups.push_back(ids.gid);
  if (ids.name) {
    // Every group that lists the user counts, so this reads the whole file.
    std::vector<std::uint32_t> listed;
    ForEachLine(group.text, [&](std::string_view line) {
      std::string_view f[4];
      if (SplitFields(line, f) < 4 || !ListsMember(f[3], *ids.name)) return true;
      if (std::optional<std::uint32_t> gid = ParseId(f[2])) listed.push_back(*gid);
      return true;
    });
    std::vector<std::uint32_t> extra = Distinct(listed, ids.gid);
    if (extra.size() + 1 > kMaxGroups) {
      return Error{"user \"" + *ids.name + "\" is in " + std::to_string(extra.size() + 1) +
                   " groups (its own and those that list it in /etc/group); Linux allows at "
                   "most " + std::to_string(kMaxGroups) + " (NGROUPS_MAX)"};
    }
    ids.groups.insert(ids.groups.end(), extra.begin(), extra.end());
  }
  return ids;
}

std::string DescribeIds(const UserIds& ids) {
  // A message names a few groups, never tens of thousands.
  constexpr std::size_t kShown = 16;
  std::string groups;
  for (std::size_t i = 0; i < ids.groups.size() && i < kShown; ++i) {
    groups += (i == 0 ? "" : ",") + std::to_string(ids.groups[i]);
  }
  if (ids.groups.size() > kShown) {
    groups += " and " + std::to_string(ids.groups.size() - kShown) + " more";
  }
  return std::to_string(ids.uid) + ":" + std::to_string(ids.gid) + " (groups " + groups + ")";
}

}  // namespace rlimit_init

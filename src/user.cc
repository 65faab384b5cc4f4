#include "user.h"

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

// Splits one /etc/passwd or /etc/group line into its colon-separated fields.
std::vector<std::string_view> Fields(std::string_view line) {
  std::vector<std::string_view> fields;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= line.size(); ++i) {
    if (i == line.size() || line[i] == ':') {
      fields.push_back(line.substr(start, i - start));
      start = i + 1;
    }
  }
  return fields;
}

template <typename Visit>
void ForEachLine(std::string_view text, Visit visit) {
  while (!text.empty()) {
    std::size_t newline = text.find('\n');
    std::string_view line = text.substr(0, newline);
    text = newline == std::string_view::npos ? "" : text.substr(newline + 1);
    if (!line.empty() && line.front() != '#') visit(line);
  }
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

Result<UserIds> ResolveUser(const UserSpec& spec, std::string_view passwd,
                            std::string_view group) {
  UserIds ids;
  std::optional<std::string> name;
  std::optional<std::uint32_t> passwd_gid;
  std::optional<std::uint32_t> numeric = ParseId(spec.user);
  ForEachLine(passwd, [&](std::string_view line) {
    if (name) return;
    std::vector<std::string_view> f = Fields(line);
    if (f.size() < 7) return;
    std::optional<std::uint32_t> uid = ParseId(f[2]);
    std::optional<std::uint32_t> gid = ParseId(f[3]);
    if (!uid || !gid) return;
    if ((numeric && *uid == *numeric) || (!numeric && f[0] == spec.user)) {
      name = std::string(f[0]);
      ids.uid = *uid;
      passwd_gid = gid;
    }
  });
  if (!numeric && !name) {
    return Error{"user \"" + spec.user + "\" is not in /etc/passwd"};
  }
  if (numeric) ids.uid = *numeric;

  if (spec.group) {
    if (std::optional<std::uint32_t> gid = ParseId(*spec.group)) {
      ids.gid = *gid;
    } else {
      bool found = false;
      ForEachLine(group, [&](std::string_view line) {
        std::vector<std::string_view> f = Fields(line);
        if (found || f.size() < 4 || f[0] != *spec.group) return;
        if (std::optional<std::uint32_t> group_id = ParseId(f[2])) {
          ids.gid = *group_id;
          found = true;
        }
      });
      if (!found) return Error{"group \"" + *spec.group + "\" is not in /etc/group"};
    }
  } else {
    ids.gid = passwd_gid.value_or(ids.uid);
  }

  ids.groups.push_back(ids.gid);
  if (name) {
    ForEachLine(group, [&](std::string_view line) {
      std::vector<std::string_view> f = Fields(line);
      if (f.size() < 4) return;
      std::optional<std::uint32_t> gid = ParseId(f[2]);
      if (!gid) return;
      std::string_view members = f[3];
      while (!members.empty()) {
        std::size_t comma = members.find(',');
        std::string_view member = members.substr(0, comma);
        members = comma == std::string_view::npos ? "" : members.substr(comma + 1);
        if (member == *name &&
            std::find(ids.groups.begin(), ids.groups.end(), *gid) == ids.groups.end()) {
          ids.groups.push_back(*gid);
        }
      }
    });
  }
  return ids;
}

std::string DescribeIds(const UserIds& ids) {
  std::string groups;
  for (std::uint32_t g : ids.groups) groups += (groups.empty() ? "" : ",") + std::to_string(g);
  return std::to_string(ids.uid) + ":" + std::to_string(ids.gid) + " (groups " + groups + ")";
}

}  // namespace rlimit_init

// SPDX-License-Identifier: Apache-2.0
#include "observe/cgroup_parse.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <limits>

#include "base/limit.h"

namespace rlimit_init {
namespace {

constexpr std::string_view kDeletedSuffix = " (deleted)";
constexpr std::uint64_t kLongMax = std::numeric_limits<long>::max();
// The largest page size Linux uses for cgroup v1 hosts in practice (arm64, ppc64le). Every
// smaller page size has a higher "no limit" sentinel, so anything at or above this one's
// sentinel means "no limit" whatever host a tree came from: no one sets a real limit within
// 64 KiB of 8 EiB, and a fixture tree or host root may come from a machine whose page size
// differs from ours.
constexpr std::uint64_t kLargestCommonPageSize = 64 * 1024;


// Calls `fn` for every line of `text`, without the newline.
template <typename Fn>
void ForEachLine(std::string_view text, Fn fn) {
  while (!text.empty()) {
    const std::size_t end = text.find('\n');
    fn(text.substr(0, end));
    if (end == std::string_view::npos) break;
    text.remove_prefix(end + 1);
  }
}

// Hands out the parts of `text` between separators one at a time, as views into it: "a,,b"
// gives "a", "", "b", and an empty text one empty part. A vector of parts per line was most of
// what parsing mountinfo cost.
class Parts {
 public:
  Parts(std::string_view text, char separator) : rest_(text), separator_(separator) {}

  /// Sets `part` to the next part; false when every part has been handed out.
  bool Next(std::string_view* part) {
    if (done_) return false;
    const std::size_t end = rest_.find(separator_);
    *part = rest_.substr(0, end);
    if (end == std::string_view::npos) {
      done_ = true;
    } else {
      rest_.remove_prefix(end + 1);
    }
    return true;
  }

 private:
  std::string_view rest_;
  char separator_;
  bool done_ = false;
};

template <typename Int>
bool ParseWhole(std::string_view s, Int* out) {
  if (s.empty()) return false;
  const auto [end, error] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return error == std::errc() && end == s.data() + s.size();
}

bool IsOctal(char c) { return c >= '0' && c <= '7'; }

// The kernel's mangle() writes space, tab, newline and backslash in mountinfo paths as a
// backslash and three octal digits; anything else after a backslash is literal.
std::string DecodeMountInfoField(std::string_view field) {
  // Most fields hold no escape: copy them whole instead of character by character.
  if (field.find('\\') == std::string_view::npos) return std::string(field);
  std::string out;
  out.reserve(field.size());
  for (std::size_t i = 0; i < field.size(); ++i) {
    if (field[i] == '\\' && i + 3 < field.size() && field[i + 1] >= '0' && field[i + 1] <= '3' &&
        IsOctal(field[i + 2]) && IsOctal(field[i + 3])) {
      out.push_back(static_cast<char>((field[i + 1] - '0') * 64 + (field[i + 2] - '0') * 8 +
                                      (field[i + 3] - '0')));
      i += 3;
    } else {
      out.push_back(field[i]);
    }
  }
  return out;
}

// The fields of a mountinfo line that rlimit-init reads, still escaped and viewing the line.
struct RawMount {
  std::string_view root;
  std::string_view mount_point;
  std::string_view fs_type;
  std::string_view super_options;
};

// "id parent major:minor root mount-point options [optional...] - type source super-options";
// nullopt for a line without the separator, the three fields after it or numeric ids.
std::optional<RawMount> SplitMountLine(std::string_view line) {
  Parts fields(line, ' ');
  std::string_view leading[6];  // id to options
  for (std::string_view& field : leading) {
    if (!fields.Next(&field)) return std::nullopt;
  }
  // The optional fields end at the first lone "-" after the sixth field.
  std::string_view field;
  do {
    if (!fields.Next(&field)) return std::nullopt;
  } while (field != "-");
  RawMount raw;
  std::string_view source;
  int id = 0;
  int parent = 0;
  if (!fields.Next(&raw.fs_type) || !fields.Next(&source) || !fields.Next(&raw.super_options) ||
      !ParseWhole(leading[0], &id) || !ParseWhole(leading[1], &parent)) {
    return std::nullopt;
  }
  raw.root = leading[3];
  raw.mount_point = leading[4];
  return raw;
}

MountInfo Decode(const RawMount& raw) {
  MountInfo mount;
  mount.root = DecodeMountInfoField(raw.root);
  mount.mount_point = DecodeMountInfoField(raw.mount_point);
  mount.fs_type = DecodeMountInfoField(raw.fs_type);
  Parts options(raw.super_options, ',');
  for (std::string_view option; options.Next(&option);) {
    if (!option.empty()) mount.super_options.push_back(DecodeMountInfoField(option));
  }
  return mount;
}

// Whether an escaped field decodes to `expected`, decoding only a field that holds an escape.
bool Means(std::string_view field, std::string_view expected) {
  if (field.find('\\') == std::string_view::npos) return field == expected;
  return DecodeMountInfoField(field) == expected;
}

bool HasOption(std::string_view options, std::string_view wanted) {
  Parts parts(options, ',');
  for (std::string_view option; parts.Next(&option);) {
    if (Means(option, wanted)) return true;
  }
  return false;
}

}  // namespace

std::vector<ProcCgroupEntry> ParseProcCgroup(std::string_view text) {
  std::vector<ProcCgroupEntry> entries;
  // One entry a line: sized once, the entries (a vector and a string each) are never moved.
  entries.reserve(static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n')) + 1);
  ForEachLine(text, [&entries](std::string_view line) {
    const std::size_t first = line.find(':');
    if (first == std::string_view::npos) return;
    const std::size_t second = line.find(':', first + 1);
    if (second == std::string_view::npos) return;
    ProcCgroupEntry entry;
    if (!ParseWhole(line.substr(0, first), &entry.hierarchy_id) || entry.hierarchy_id < 0) {
      return;
    }
    Parts names(line.substr(first + 1, second - first - 1), ',');
    for (std::string_view controller; names.Next(&controller);) {
      if (!controller.empty()) entry.controllers.emplace_back(controller);
    }
    // The path is everything after the second colon: cgroup names may contain colons.
    std::string_view path = line.substr(second + 1);
    if (path.ends_with(kDeletedSuffix)) {
      path.remove_suffix(kDeletedSuffix.size());
      entry.deleted = true;
    }
    if (!path.starts_with('/')) return;
    entry.path = std::string(path);
    entries.push_back(std::move(entry));
  });
  return entries;
}

std::vector<MountInfo> ParseMountInfo(std::string_view text) {
  std::vector<MountInfo> mounts;
  ForEachLine(text, [&mounts](std::string_view line) {
    if (const std::optional<RawMount> raw = SplitMountLine(line)) mounts.push_back(Decode(*raw));
  });
  return mounts;
}

CgroupMounts ParseCgroupMounts(std::string_view text) {
  CgroupMounts mounts;
  ForEachLine(text, [&mounts](std::string_view line) {
    const std::optional<RawMount> raw = SplitMountLine(line);
    if (!raw) return;
    if (Means(raw->fs_type, "cgroup2")) {
      mounts.any = true;
      mounts.v2.push_back(Decode(*raw));
    } else if (Means(raw->fs_type, "cgroup")) {
      mounts.any = true;
      if (HasOption(raw->super_options, "memory")) mounts.v1_memory.push_back(Decode(*raw));
    }
  });
  return mounts;
}

std::uint64_t CgroupV1NoLimit(std::uint64_t page_size) {
  if (page_size == 0) return kLongMax;
  return kLongMax / page_size * page_size;
}

std::optional<std::uint64_t> ParseCgroupLimit(std::string_view text, std::uint64_t page_size) {
  text = TrimWhitespace(text);
  if (text == "max") return kUnlimited;
  std::uint64_t value = 0;
  if (!ParseWhole(text, &value)) return std::nullopt;
  // cgroup v1 reports "no limit" as PAGE_COUNTER_MAX * page size, PAGE_COUNTER_MAX being
  // LONG_MAX / page size, so the value depends on the page size of the host that wrote it.
  if (value >= CgroupV1NoLimit(kLargestCommonPageSize)) return kUnlimited;
  if (page_size != 0 && value >= CgroupV1NoLimit(page_size)) return kUnlimited;
  return value;
}

std::optional<std::string_view> FindFlatKeyedValue(std::string_view text, std::string_view key) {
  std::optional<std::string_view> found;
  ForEachLine(text, [&found, key](std::string_view line) {
    if (!found && line.starts_with(key) && line.size() > key.size() && line[key.size()] == ' ') {
      found = TrimWhitespace(line.substr(key.size() + 1));
    }
  });
  return found;
}

bool ClimbsOut(std::string_view cgroup_path) {
  Parts components(cgroup_path, '/');
  for (std::string_view component; components.Next(&component);) {
    if (component == "..") return true;
  }
  return false;
}

bool IsAtOrBelowRoot(std::string_view cgroup_path, std::string_view root) {
  if (root.size() > 1 && root.ends_with('/')) root.remove_suffix(1);
  if (root == "/") return true;
  return cgroup_path.starts_with(root) &&
         (cgroup_path.size() == root.size() || cgroup_path[root.size()] == '/');
}

std::optional<std::string> CgroupPathBelowRoot(std::string_view cgroup_path,
                                               std::string_view root) {
  if (ClimbsOut(cgroup_path) || !IsAtOrBelowRoot(cgroup_path, root)) return std::nullopt;
  if (root.size() > 1 && root.ends_with('/')) root.remove_suffix(1);
  if (cgroup_path == root) return std::string();
  if (root == "/") return std::string(cgroup_path);
  return std::string(cgroup_path.substr(root.size()));
}

const MountInfo* ChooseMount(const std::vector<MountInfo>& mounts, const ProcCgroupEntry& entry) {
  if (mounts.empty()) return nullptr;
  if (ClimbsOut(entry.path)) return &mounts.front();
  const MountInfo* best = nullptr;
  for (const MountInfo& mount : mounts) {
    if (IsAtOrBelowRoot(entry.path, mount.root) &&
        (best == nullptr || mount.root.size() < best->root.size())) {
      best = &mount;
    }
  }
  return best != nullptr ? best : &mounts.front();
}

std::string MountedDirectory(const MountInfo& mount, std::string_view below) {
  if (mount.mount_point == "/") return below.empty() ? std::string("/") : std::string(below);
  std::string directory;
  directory.reserve(mount.mount_point.size() + below.size());
  directory += mount.mount_point;
  directory += below;
  return directory;
}

std::string_view TrimWhitespace(std::string_view s) {
  const char* kSpace = " \t\n\r\f\v";
  const std::size_t begin = s.find_first_not_of(kSpace);
  if (begin == std::string_view::npos) return {};
  return s.substr(begin, s.find_last_not_of(kSpace) - begin + 1);
}

const char* CgroupVersionName(CgroupVersion version) {
  switch (version) {
    case CgroupVersion::kNone:
      return "none";
    case CgroupVersion::kV1:
      return "v1";
    case CgroupVersion::kV2:
      return "v2";
  }
  return "";
}

}  // namespace rlimit_init

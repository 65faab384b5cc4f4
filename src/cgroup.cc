// SPDX-License-Identifier: Apache-2.0
#include "cgroup.h"

#include <cerrno>
#include <cstring>

#include "system.h"

namespace rlimit_init {

namespace {

std::string ErrnoText(int error) {
  std::string text = std::strerror(error);
  if (!text.empty()) text[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(text[0])));
  return text;
}

// One allocation instead of the temporaries of `directory + "/" + name`: discovery builds a
// path for every file it reads.
std::string FilePath(const std::string& directory, std::string_view name) {
  std::string path;
  path.reserve(directory.size() + 1 + name.size());
  if (directory != "/") path += directory;
  path += '/';
  path += name;
  return path;
}

bool Contains(const std::vector<std::string>& values, std::string_view value) {
  for (const std::string& v : values) {
    if (v == value) return true;
  }
  return false;
}

// The tightest of several limits and the file it came from.
struct Bound {
  std::uint64_t value = kUnlimited;
  std::string source;
  void Offer(std::uint64_t candidate, const std::string& from) {
    if (candidate < value) {
      value = candidate;
      source = from;
    }
  }
};

// Reads cgroup and /proc files; whatever goes wrong becomes a note instead of an error, because
// a missing limit must never stop the workload from starting.
class Reader {
 public:
  Reader(System& system, std::vector<std::string>* notes)
      : system_(system), page_size_(system.PageSize()), notes_(*notes) {}

  /// ENOENT is silent when `may_be_missing`: files such as memory.max exist only where the
  /// controller is enabled, memory.memsw.* only with swap accounting.
  std::optional<std::string> Read(const std::string& path, bool may_be_missing,
                                  bool* exists = nullptr) {
    ReadResult read = system_.ReadHostFile(path);
    if (exists != nullptr) *exists = read.ok || read.error != ENOENT;
    if (read.ok) return std::move(read.data);
    if (!may_be_missing || read.error != ENOENT) {
      Note("cannot read " + path + ": " + ErrnoText(read.error));
    }
    return std::nullopt;
  }

  std::optional<std::uint64_t> ReadLimit(const std::string& path, bool may_be_missing,
                                         bool* exists = nullptr) {
    std::optional<std::string> text = Read(path, may_be_missing, exists);
    if (!text) return std::nullopt;
    return ParseLimit(path, *text);
  }

  std::optional<std::uint64_t> ParseLimit(const std::string& what, std::string_view text) {
    std::optional<std::uint64_t> limit = ParseCgroupLimit(text, page_size_);
    if (!limit) Note("cannot parse " + what + ": \"" + std::string(TrimWhitespace(text)) + "\"");
    return limit;
  }

  void Note(std::string note) {
    notes_.push_back(std::move(note));
    had_problem_ = true;
  }
  bool had_problem() const { return had_problem_; }

 private:
  System& system_;
  std::uint64_t page_size_;
  std::vector<std::string>& notes_;
  bool had_problem_ = false;
};

// Of the mounts of one hierarchy, the one whose root lies above the cgroup and is shortest, so
// that the most ancestors are visible. Falls back to the first mount, to say why it fails.
const MountInfo* ChooseMount(const std::vector<MountInfo>& mounts, const ProcCgroupEntry& entry) {
  if (mounts.empty()) return nullptr;
  const MountInfo* best = nullptr;
  for (const MountInfo& mount : mounts) {
    if (CgroupPathBelowRoot(entry.path, mount.root) &&
        (best == nullptr || mount.root.size() < best->root.size())) {
      best = &mount;
    }
  }
  return best != nullptr ? best : &mounts.front();
}

// Translates the cgroup path against the mount and returns the directories from the cgroup up
// to the mount point; empty (with a note) when the cgroup is not visible through the mount.
std::vector<std::string> VisibleDirectories(const ProcCgroupEntry& entry, const MountInfo& mount,
                                            Reader& reader, CgroupMemory& result) {
  result.cgroup_path = entry.path;
  if (entry.deleted) reader.Note("cgroup " + entry.path + " has been deleted");
  std::optional<std::string> below = CgroupPathBelowRoot(entry.path, mount.root);
  if (!below) {
    reader.Note("cgroup " + entry.path + " is not below the root " + mount.root +
                " of the cgroup mount at " + mount.mount_point);
    return {};
  }
  auto join = [&mount](std::string_view relative) {
    if (mount.mount_point == "/")
      return relative.empty() ? std::string("/") : std::string(relative);
    std::string directory;
    directory.reserve(mount.mount_point.size() + relative.size());
    directory += mount.mount_point;
    directory += relative;
    return directory;
  };
  std::vector<std::string> directories;
  std::string_view relative = *below;
  while (true) {
    directories.push_back(join(relative));
    if (relative.empty()) break;
    relative = relative.substr(0, relative.rfind('/'));
  }
  result.directory = directories.front();
  return directories;
}

void DiscoverV1(const std::vector<std::string>& directories, Reader& reader, CgroupMemory& result) {
  Bound limit;
  Bound memsw;
  for (std::size_t i = 0; i < directories.size(); ++i) {
    const std::string& directory = directories[i];
    if (i > 0) {
      // Before kernel 5.11 a parent with use_hierarchy 0 did not charge its children, so its
      // limit and every limit above it do not bind the process.
      const std::string flag_path = FilePath(directory, "memory.use_hierarchy");
      std::optional<std::string> flag = reader.Read(flag_path, true);
      if (flag && TrimWhitespace(*flag) == "0") {
        reader.Note(flag_path + " is 0, so limits on " + directory + " and above do not apply");
        break;
      }
    }
    const std::string limit_path = FilePath(directory, "memory.limit_in_bytes");
    if (auto value = reader.ReadLimit(limit_path, false)) limit.Offer(*value, limit_path);
    const std::string memsw_path = FilePath(directory, "memory.memsw.limit_in_bytes");
    if (auto value = reader.ReadLimit(memsw_path, true)) memsw.Offer(*value, memsw_path);
  }
  // memory.stat's hierarchical limits are the kernel's own minimum over every ancestor,
  // including those above the mount root that a container cannot see.
  const bool all_files_read = !reader.had_problem();
  const std::string stat_path = FilePath(directories.front(), "memory.stat");
  if (std::optional<std::string> stat = reader.Read(stat_path, false)) {
    const std::string source = stat_path + " hierarchical_memory_limit";
    std::optional<std::string_view> text = FindFlatKeyedValue(*stat, "hierarchical_memory_limit");
    if (!text) {
      reader.Note("no hierarchical_memory_limit in " + stat_path);
    } else if (auto value = reader.ParseLimit(source, *text); value && *value < limit.value) {
      limit.Offer(*value, source);
      result.limit_from_hierarchy_stat = true;
      if (all_files_read) {
        reader.Note("the binding limit is set on an ancestor cgroup above the visible hierarchy");
      }
    }
    if (auto memsw_text = FindFlatKeyedValue(*stat, "hierarchical_memsw_limit")) {
      if (auto value = reader.ParseLimit(stat_path + " hierarchical_memsw_limit", *memsw_text)) {
        memsw.Offer(*value, stat_path);
      }
    }
  }
  result.limit = limit.value;
  result.limit_source = limit.source;
  result.swap_max = memsw.value;
}

void DiscoverV2(const MountInfo& mount, const std::vector<std::string>& directories, Reader& reader,
                CgroupMemory& result) {
  Bound limit;
  Bound high;
  bool any_memory_max = false;
  bool top_has_memory_max = false;
  for (const std::string& directory : directories) {
    // memory.max exists only where the parent enabled the memory controller, never in the
    // root cgroup, so its absence is normal.
    bool exists = false;
    const std::string max_path = FilePath(directory, "memory.max");
    if (auto value = reader.ReadLimit(max_path, true, &exists)) limit.Offer(*value, max_path);
    any_memory_max = any_memory_max || exists;
    top_has_memory_max = exists;
    const std::string high_path = FilePath(directory, "memory.high");
    if (auto value = reader.ReadLimit(high_path, true)) high.Offer(*value, high_path);
  }
  if (auto value = reader.ReadLimit(FilePath(directories.front(), "memory.swap.max"), true)) {
    result.swap_max = *value;
  }
  // The real root cgroup has no memory.max: where the topmost visible directory has one, the
  // mount shows only part of the tree and limits further up cannot be read.
  if (top_has_memory_max) {
    reader.Note(mount.root == "/"
                    ? "cgroup namespace: limits set on ancestors above / are not visible"
                    : "cgroup mount shows only " + mount.root +
                          " and below: limits set on its ancestors are not visible");
  }
  if (!any_memory_max) {
    reader.Note("no memory.max file in " + directories.front() + " or any visible ancestor");
  }
  result.limit = limit.value;
  result.limit_source = limit.source;
  result.high = high.value;
  result.high_source = high.source;
}

}  // namespace

CgroupMemory DiscoverCgroupMemory(System& system) {
  CgroupMemory result;
  Reader reader(system, &result.notes);
  const std::optional<std::string> cgroup_text = reader.Read("/proc/self/cgroup", false);
  if (!cgroup_text) return result;
  const std::optional<std::string> mountinfo_text = reader.Read("/proc/self/mountinfo", false);
  if (!mountinfo_text) return result;
  const std::vector<ProcCgroupEntry> entries = ParseProcCgroup(*cgroup_text);
  const CgroupMounts mounts = ParseCgroupMounts(*mountinfo_text);

  const ProcCgroupEntry* v1_entry = nullptr;
  const ProcCgroupEntry* v2_entry = nullptr;
  for (const ProcCgroupEntry& entry : entries) {
    if (Contains(entry.controllers, "memory")) v1_entry = &entry;
    if (entry.hierarchy_id == 0 && entry.controllers.empty()) v2_entry = &entry;
  }
  // A controller is bound to one hierarchy at a time: where v1 has the memory controller, the
  // cgroup2 tree beside it (hybrid hosts) has none, so v1 decides.
  if (v1_entry != nullptr) {
    const MountInfo* mount = ChooseMount(mounts.v1_memory, *v1_entry);
    if (mount == nullptr) {
      reader.Note("the cgroup v1 memory controller is in use but not mounted");
      return result;
    }
    result.version = CgroupVersion::kV1;
    std::vector<std::string> directories = VisibleDirectories(*v1_entry, *mount, reader, result);
    if (!directories.empty()) DiscoverV1(directories, reader, result);
    return result;
  }
  const MountInfo* v2_mount = v2_entry != nullptr ? ChooseMount(mounts.v2, *v2_entry) : nullptr;
  if (v2_mount == nullptr) {
    reader.Note(mounts.any ? "no mounted cgroup hierarchy has the memory controller"
                           : "no cgroup filesystem is mounted");
    return result;
  }
  result.version = CgroupVersion::kV2;
  std::vector<std::string> directories = VisibleDirectories(*v2_entry, *v2_mount, reader, result);
  if (!directories.empty()) DiscoverV2(*v2_mount, directories, reader, result);
  return result;
}

}  // namespace rlimit_init

// SPDX-License-Identifier: Apache-2.0
#include "observe/cgroup.h"

#include <cerrno>

#include "base/text.h"
#include "os/system.h"

namespace rlimit_init {

namespace {

// Linux's PATH_MAX: open() refuses a longer path with ENAMETOOLONG, so the files of a cgroup
// deeper than this cannot be read by name, and /proc/self/cgroup never shows a longer path.
constexpr std::size_t kPathMax = 4096;
// Notes past this many are counted, not kept: a deep hierarchy of unreadable files must not
// grow the report with every ancestor.
constexpr std::size_t kMaxNotes = 16;

// One allocation instead of the temporaries of `directory + "/" + name`: discovery builds a
// path for every file it reads.
std::string FilePath(std::string_view directory, std::string_view name) {
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
  Reader(System& system, std::vector<CgroupNote>* notes)
      : system_(system), page_size_(system.PageSize()), notes_(*notes) {}

  /// ENOENT is silent when `may_be_missing`: files such as memory.max exist only where the
  /// controller is enabled, memory.memsw.* only with swap accounting.
  std::optional<std::string> Read(const std::string& path, bool may_be_missing,
                                  bool* exists = nullptr,
                                  std::optional<CgroupNote>* failure = nullptr) {
    return Use(system_.ReadHostFile(path), path, may_be_missing, exists, failure);
  }

  /// Reads a file that grows with the host up to `max_bytes`; a cut is noted.
  std::optional<std::string> ReadUpTo(const std::string& path, std::size_t max_bytes, bool* cut,
                                      std::optional<CgroupNote>* failure) {
    ReadResult read = system_.ReadHostFileUpTo(path, max_bytes);
    *cut = read.ok && read.cut;
    if (*cut) Note(CutFileNote{path, max_bytes});
    return Use(std::move(read), path, false, nullptr, failure);
  }

  /// A failure is noted, or with `failure` set there instead.
  std::optional<std::string> Use(ReadResult read, const std::string& path, bool may_be_missing,
                                 bool* exists, std::optional<CgroupNote>* failure) {
    if (exists != nullptr) *exists = read.ok || read.error != ENOENT;
    if (read.ok) return std::move(read.data);
    if (read.error == ENAMETOOLONG) {
      // Every deeper file fails the same way: said once, by Finish.
      past_path_max_ = true;
      return std::nullopt;
    }
    if (!may_be_missing || read.error != ENOENT) {
      UnreadableNote why{path, read.error};
      if (failure != nullptr) {
        failure->emplace(std::move(why));
      } else {
        Note(std::move(why));
      }
    }
    return std::nullopt;
  }

  std::optional<std::uint64_t> ReadLimit(const std::string& path, bool may_be_missing,
                                         bool* exists = nullptr) {
    std::optional<std::string> text = Read(path, may_be_missing, exists);
    if (!text) return std::nullopt;
    return ParseLimit(path, "", *text);
  }

  /// ReadLimit of a file that may hold the binding limit (memory.max, memory.limit_in_bytes):
  /// the first that cannot be read or parsed is kept, for TakeUnread.
  std::optional<std::uint64_t> ReadBindingLimit(const std::string& path, bool may_be_missing,
                                                bool* exists = nullptr) {
    catch_unread_ = !unread_;
    std::optional<std::uint64_t> value = ReadLimit(path, may_be_missing, exists);
    catch_unread_ = false;
    return value;
  }
  bool limit_unread() const { return unread_.has_value(); }

  /// The first binding limit file that could not be read, as the reason the limit is unknown;
  /// its note is taken back, so that the report says it once.
  void TakeUnread(std::optional<CgroupNote>* unknown) {
    if (unread_index_ < notes_.size()) {
      // Moved rather than erased: erasing assigns notes, and assigning a variant costs code
      // for every pair of kinds.
      std::vector<CgroupNote> kept;
      kept.reserve(notes_.size() - 1);
      for (std::size_t i = 0; i < notes_.size(); ++i) {
        if (i != unread_index_) kept.push_back(std::move(notes_[i]));
      }
      notes_.swap(kept);
    }
    unknown->emplace(std::move(*unread_));
  }

  /// `field` names the key of a flat-keyed file, "" for a file that is one value.
  std::optional<std::uint64_t> ParseLimit(const std::string& path, std::string_view field,
                                          std::string_view text) {
    std::optional<std::uint64_t> limit = ParseCgroupLimit(text, page_size_);
    if (!limit) NoteUnparsable(path, field, text);
    return limit;
  }

  [[gnu::noinline, gnu::cold]] void NoteUnparsable(const std::string& path, std::string_view field,
                                                   std::string_view text) {
    Note(UnparsableNote{path, std::string(field), std::string(TrimWhitespace(text))});
  }

  // Out of line: a note is rare, and each inlined copy of a variant's construction costs code.
  [[gnu::noinline, gnu::cold]] void Note(CgroupNote note) {
    had_problem_ = true;
    if (catch_unread_) {
      catch_unread_ = false;
      unread_index_ = notes_.size() < kMaxNotes ? notes_.size() : kNoIndex;
      unread_.emplace(note);
    }
    if (notes_.size() < kMaxNotes) {
      notes_.push_back(std::move(note));
    } else {
      ++dropped_notes_;
    }
  }
  bool had_problem() const { return had_problem_; }

  /// Whether the files of `directory` can be opened by name (see kPathMax); the first that
  /// cannot is noted by Finish. Checked before a path is built, so that a deep hierarchy costs
  /// no path per level.
  bool Reachable(std::string_view directory) {
    // The longest name read is memory.memsw.limit_in_bytes.
    constexpr std::size_t kLongestName = sizeof("memory.memsw.limit_in_bytes");
    if (directory.size() + 1 + kLongestName <= kPathMax) return true;
    past_path_max_ = true;
    return false;
  }
  bool past_path_max() const { return past_path_max_; }

  /// Adds the notes said once: cgroups past PATH_MAX, which make the limit unknown, and how
  /// many notes were left out.
  void Finish(CgroupMemory& result) {
    if (past_path_max_) {
      PastPathMaxNote why{result.directory.size(), kPathMax};
      if (result.known()) {
        result.unknown.emplace(why);
      } else {
        Note(why);
      }
    }
    if (dropped_notes_ > 0) notes_.push_back(MoreNotesNote{dropped_notes_});
  }

 private:
  System& system_;
  std::uint64_t page_size_;
  std::vector<CgroupNote>& notes_;
  static constexpr std::size_t kNoIndex = -1;
  bool had_problem_ = false;
  bool catch_unread_ = false;  // ReadBindingLimit: the next note is unread_
  std::optional<CgroupNote> unread_;
  std::size_t unread_index_ = kNoIndex;  // in notes_, kNoIndex when it was left out
  bool past_path_max_ = false;
  std::size_t dropped_notes_ = 0;
};

// The directories from the cgroup up to the mount point, each a prefix of the cgroup's own
// directory: one string and one length per level, so a deep path costs linear memory.
struct Hierarchy {
  std::string leaf;                  // the cgroup's directory
  std::vector<std::size_t> lengths;  // of each directory, the cgroup's first, the mount's last
  std::string_view At(std::size_t level) const {
    return std::string_view(leaf).substr(0, lengths[level]);
  }
};

// Translates the cgroup path against the mount; empty (with a note) when the cgroup is not
// visible through the mount.
Hierarchy VisibleDirectories(const ProcCgroupEntry& entry, const MountInfo& mount, Reader& reader,
                             CgroupMemory& result) {
  result.cgroup_path = entry.path;
  if (entry.deleted) reader.Note(DeletedCgroupNote{entry.path});
  std::optional<std::string> below = CgroupPathBelowRoot(entry.path, mount.root);
  if (!below) {
    // No directory of the mount is the cgroup: its limit, or an ancestor's, may bind unseen
    // (automaxprocs calls this "untranslatable").
    result.unknown.emplace(OutsideMountNote{entry.path, mount.root, mount.mount_point});
    return {};
  }
  Hierarchy hierarchy;
  const bool at_slash = mount.mount_point == "/";
  hierarchy.leaf = MountedDirectory(mount, *below);
  const std::size_t base = at_slash ? 0 : mount.mount_point.size();
  std::string_view relative = *below;
  while (true) {
    hierarchy.lengths.push_back(base + (relative.empty() && at_slash ? 1 : relative.size()));
    if (relative.empty()) break;
    relative = relative.substr(0, relative.rfind('/'));
  }
  result.directory = hierarchy.leaf;
  return hierarchy;
}

void DiscoverV1(const Hierarchy& directories, Reader& reader, CgroupMemory& result) {
  Bound limit;
  Bound memsw;
  for (std::size_t i = 0; i < directories.lengths.size(); ++i) {
    const std::string_view directory = directories.At(i);
    if (!reader.Reachable(directory)) continue;
    if (i > 0) {
      // Before kernel 5.11 a parent with use_hierarchy 0 did not charge its children, so its
      // limit and every limit above it do not bind the process.
      const std::string flag_path = FilePath(directory, "memory.use_hierarchy");
      std::optional<std::string> flag = reader.Read(flag_path, true);
      if (flag && TrimWhitespace(*flag) == "0") {
        reader.Note(NoUseHierarchyNote{flag_path, std::string(directory)});
        break;
      }
    }
    const std::string limit_path = FilePath(directory, "memory.limit_in_bytes");
    if (auto value = reader.ReadBindingLimit(limit_path, false)) limit.Offer(*value, limit_path);
    const std::string memsw_path = FilePath(directory, "memory.memsw.limit_in_bytes");
    if (auto value = reader.ReadLimit(memsw_path, true)) memsw.Offer(*value, memsw_path);
  }
  // memory.stat's hierarchical limits are the kernel's own minimum over every ancestor,
  // including those above the mount root that a container cannot see.
  const bool all_files_read = !reader.had_problem();
  bool hierarchy_read = false;
  const std::string stat_path = FilePath(directories.leaf, "memory.stat");
  if (!reader.Reachable(directories.leaf)) {
    // The leaf's memory.stat is past PATH_MAX too; Finish says so.
  } else if (std::optional<std::string> stat = reader.Read(stat_path, false)) {
    const std::string source = stat_path + " hierarchical_memory_limit";
    std::optional<std::string_view> text = FindFlatKeyedValue(*stat, "hierarchical_memory_limit");
    if (!text) {
      reader.Note(NoHierarchicalLimitNote{stat_path});
    } else if (auto value = reader.ParseLimit(stat_path, "hierarchical_memory_limit", *text)) {
      hierarchy_read = true;
      if (*value < limit.value) {
        limit.Offer(*value, source);
        result.limit_from_hierarchy_stat = true;
        if (all_files_read) reader.Note(AncestorLimitNote{});
      }
    }
    if (auto memsw_text = FindFlatKeyedValue(*stat, "hierarchical_memsw_limit")) {
      if (auto value = reader.ParseLimit(stat_path, "hierarchical_memsw_limit", *memsw_text)) {
        memsw.Offer(*value, stat_path);
      }
    }
  }
  // A limit file that could not be read may hold the binding limit; the kernel's own minimum
  // in memory.stat makes up for it.
  if (reader.limit_unread() && !hierarchy_read) reader.TakeUnread(&result.unknown);
  result.limit = limit.value;
  result.limit_source = limit.source;
  result.swap_max = memsw.value;
}

void DiscoverV2(const MountInfo& mount, const Hierarchy& directories, Reader& reader,
                CgroupMemory& result) {
  Bound limit;
  Bound high;
  bool any_memory_max = false;
  bool top_has_memory_max = false;
  for (std::size_t i = 0; i < directories.lengths.size(); ++i) {
    const std::string_view directory = directories.At(i);
    if (!reader.Reachable(directory)) continue;
    // memory.max exists only where the parent enabled the memory controller, never in the
    // root cgroup, so its absence is normal.
    bool exists = false;
    const std::string max_path = FilePath(directory, "memory.max");
    if (auto value = reader.ReadBindingLimit(max_path, true, &exists)) {
      limit.Offer(*value, max_path);
    }
    any_memory_max = any_memory_max || exists;
    top_has_memory_max = exists;
    const std::string high_path = FilePath(directory, "memory.high");
    if (auto value = reader.ReadLimit(high_path, true)) high.Offer(*value, high_path);
  }
  if (!reader.Reachable(directories.leaf)) {
    // The leaf's memory.swap.max is past PATH_MAX too; Finish says so.
  } else if (auto value = reader.ReadLimit(FilePath(directories.leaf, "memory.swap.max"), true)) {
    result.swap_max = *value;
  }
  // The real root cgroup has no memory.max: where the topmost visible directory has one, the
  // mount shows only part of the tree and limits further up cannot be read.
  if (top_has_memory_max) reader.Note(HiddenAncestorsNote{mount.root});
  if (!any_memory_max) reader.Note(NoMemoryMaxNote{directories.leaf});
  // A memory.max that could not be read may be the one that binds.
  if (reader.limit_unread()) reader.TakeUnread(&result.unknown);
  result.limit = limit.value;
  result.limit_source = limit.source;
  result.high = high.value;
  result.high_source = high.source;
}

}  // namespace

namespace {

// Whatever stops the cgroup from being found makes its limit unknown (`result.unknown`): only a
// host where no hierarchy has the memory controller has no limit.
void Discover(Reader& reader, CgroupMemory& result) {
  const std::optional<std::string> cgroup_text =
      reader.Read("/proc/self/cgroup", false, nullptr, &result.unknown);
  if (!cgroup_text) return;
  result.proc_cgroup = ParseProcCgroup(*cgroup_text);
  const std::vector<ProcCgroupEntry>& entries = result.proc_cgroup;
  bool cut = false;
  const std::optional<std::string> mountinfo_text =
      reader.ReadUpTo("/proc/self/mountinfo", kMaxMountInfoBytes, &cut, &result.unknown);
  if (!mountinfo_text) return;
  const CgroupMounts mounts = ParseCgroupMounts(*mountinfo_text);

  const ProcCgroupEntry* v1_entry = nullptr;
  const ProcCgroupEntry* v2_entry = nullptr;
  for (const ProcCgroupEntry& entry : entries) {
    if (Contains(entry.controllers, "memory")) v1_entry = &entry;
    if (entry.hierarchy_id == 0 && entry.controllers.empty()) v2_entry = &entry;
  }
  if (v1_entry != nullptr || v2_entry != nullptr) {
    result.proc_path = (v1_entry != nullptr ? v1_entry : v2_entry)->path;
  }
  // A controller is bound to one hierarchy at a time: where v1 has the memory controller, the
  // cgroup2 tree beside it (hybrid hosts) has none, so v1 decides.
  if (v1_entry != nullptr) {
    const MountInfo* mount = ChooseMount(mounts.v1_memory, *v1_entry);
    if (mount == nullptr) {
      result.unknown.emplace(V1NotMountedNote{cut});
      return;
    }
    result.version = CgroupVersion::kV1;
    Hierarchy directories = VisibleDirectories(*v1_entry, *mount, reader, result);
    if (!directories.lengths.empty()) DiscoverV1(directories, reader, result);
    return;
  }
  const MountInfo* v2_mount = v2_entry != nullptr ? ChooseMount(mounts.v2, *v2_entry) : nullptr;
  if (v2_mount == nullptr) {
    // A cut mountinfo proves nothing about what is not mounted: say where the search stopped.
    // Where v1 hierarchies are mounted and none has the memory controller, and no cgroup2
    // is mounted, the controller is not in use: no limit. With no cgroup filesystem at all
    // (a container without /sys/fs/cgroup) a limit may well be set.
    if (cut) {
      result.unknown.emplace(NoMemoryMountNote{});
    } else if (mounts.any) {
      reader.Note(NoMemoryControllerNote{});
    } else {
      result.unknown.emplace(NoCgroupFilesystemNote{});
    }
    return;
  }
  result.version = CgroupVersion::kV2;
  Hierarchy directories = VisibleDirectories(*v2_entry, *v2_mount, reader, result);
  if (!directories.lengths.empty()) DiscoverV2(*v2_mount, directories, reader, result);
}

// A path as reports show it: one line, valid UTF-8, and no longer than any path Linux opens.
std::string Shown(std::string_view path) { return Excerpt(path, kPathMax); }

}  // namespace

CgroupMemory DiscoverCgroupMemory(System& system) {
  CgroupMemory result;
  Reader reader(system, &result.notes);
  Discover(reader, result);
  reader.Finish(result);
  if (!result.known()) {
    // What was read is no answer: a level that could not be read may bind below it.
    result.limit = kUnlimited;
    result.limit_source.clear();
    result.limit_from_hierarchy_stat = false;
  }
  // From here on the paths are only shown, never opened.
  result.limit_source = Shown(result.limit_source);
  result.high_source = Shown(result.high_source);
  result.cgroup_path = Shown(result.cgroup_path);
  result.proc_path = Shown(result.proc_path);
  result.directory = Shown(result.directory);
  return result;
}

}  // namespace rlimit_init

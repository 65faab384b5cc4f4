// SPDX-License-Identifier: Apache-2.0
#include "report/cgroup_note_text.h"

#include <cctype>
#include <cstring>
#include <initializer_list>
#include <string_view>

#include "base/text.h"

namespace rlimit_init {
namespace {

// strerror's text as the rest of a lowercase fragment: "permission denied".
std::string ErrnoText(int error) {
  std::string text = std::strerror(error);
  if (!text.empty()) text[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(text[0])));
  return text;
}

constexpr std::string_view kMountInfoPart = "the part of /proc/self/mountinfo that was read";

struct Wording {
  std::string operator()(const UnreadableNote& n) const {
    return Cat({"cannot read ", n.path, ": ", ErrnoText(n.error)});
  }
  std::string operator()(const UnparsableNote& n) const {
    return Cat(
        {"cannot parse ", n.path, n.field.empty() ? "" : " ", n.field, ": ", Quoted(n.content)});
  }
  std::string operator()(const CutFileNote& n) const {
    return Cat({n.path, " is larger than ", std::to_string(n.max_bytes >> 20),
                " MiB: only its start was read, so what it says further on is not seen"});
  }
  std::string operator()(const DeletedCgroupNote& n) const {
    return Cat({"cgroup ", n.cgroup_path, " has been deleted"});
  }
  std::string operator()(const OutsideMountNote& n) const {
    return Cat({"cgroup ", n.cgroup_path, " is not below the root ", n.root,
                " of the cgroup mount at ", n.mount_point});
  }
  std::string operator()(const NoUseHierarchyNote& n) const {
    return Cat({n.path, " is 0, so limits on ", n.directory, " and above do not apply"});
  }
  std::string operator()(const NoHierarchicalLimitNote& n) const {
    return Cat({"no hierarchical_memory_limit in ", n.path});
  }
  std::string operator()(const AncestorLimitNote&) const {
    return "the binding limit is set on an ancestor cgroup above the visible hierarchy";
  }
  std::string operator()(const HiddenAncestorsNote& n) const {
    if (n.root == "/") return "cgroup namespace: limits set on ancestors above / are not visible";
    return Cat({"cgroup mount shows only ", n.root,
                " and below: limits set on its ancestors are not visible"});
  }
  std::string operator()(const NoMemoryMaxNote& n) const {
    return Cat({"no memory.max file in ", n.directory, " or any visible ancestor"});
  }
  std::string operator()(const V1NotMountedNote& n) const {
    if (!n.mountinfo_cut) return "the cgroup v1 memory controller is in use but not mounted";
    return Cat(
        {"the cgroup v1 memory controller is in use but its mount is not in ", kMountInfoPart});
  }
  std::string operator()(const NoMemoryMountNote&) const {
    return Cat({"no cgroup mount with the memory controller in ", kMountInfoPart});
  }
  std::string operator()(const NoMemoryControllerNote&) const {
    return "no mounted cgroup hierarchy has the memory controller";
  }
  std::string operator()(const NoCgroupFilesystemNote&) const {
    return "no cgroup filesystem is mounted";
  }
  std::string operator()(const PastPathMaxNote& n) const {
    return Cat({"the cgroup directory is ", std::to_string(n.directory_bytes),
                " bytes long: the files of its levels past PATH_MAX (", std::to_string(n.path_max),
                " bytes) were not read, so their limits are not known"});
  }
  std::string operator()(const MoreNotesNote& n) const {
    return Cat({"and ", std::to_string(n.count), " more problems like these"});
  }
};

}  // namespace

std::string CgroupNoteText(const CgroupNote& note) {
  return MessageLine(std::visit(Wording{}, note));
}

Json CgroupNotesJson(const std::vector<CgroupNote>& notes) {
  Json out = Json::array();
  for (const CgroupNote& note : notes) out.push_back(CgroupNoteText(note));
  return out;
}

}  // namespace rlimit_init

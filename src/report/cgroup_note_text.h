// SPDX-License-Identifier: Apache-2.0
// The words of every cgroup note (observe/cgroup_note.h), written once: the text report prints
// them as warnings and in "blocked:" lines, the JSON report under "warnings" and
// "memory_limit_unknown", inspect as "note:" lines and under "notes".
#pragma once

#include <string>
#include <vector>

#include "base/json.h"
#include "observe/cgroup_note.h"

namespace rlimit_init {

/// A lowercase fragment without a prefix, one line: control characters and bytes that are not
/// UTF-8 in the paths and contents it quotes are escaped (base/text.h's MessageLine).
std::string CgroupNoteText(const CgroupNote& note);

/// The notes as a JSON array of their texts.
Json CgroupNotesJson(const std::vector<CgroupNote>& notes);

}  // namespace rlimit_init

// SPDX-License-Identifier: Apache-2.0
// A reader for the plain subset of YAML that nearly every policy is written in: block mappings
// indented with spaces, one `key: value` a line, comments and blank lines. It exists because
// yaml-cpp's scanner costs about 1,700 instructions per character of a policy, more than the
// rest of a run together (docs/performance.md). It accepts nothing that yaml-cpp would read
// differently: whatever it is unsure of, it hands back, and yaml-cpp reads the whole text and
// gives every error message. tests/fuzz/subset_fuzzer.cc holds it to that.
#pragma once

#include <string_view>

#include "policy/policy_tree.h"

namespace rlimit_init {

/// Reads `text` into `root` if every line of it is one of:
///   blank, or spaces then a comment (`# ...`);
///   INDENT KEY ':' [VALUE] [COMMENT], where KEY is a word of [A-Za-z0-9_] then [A-Za-z0-9_.-],
///   and VALUE is a plain scalar of ASCII letters, digits and `/._%+-` (with inner spaces, and
///   colons not followed by a space), or a single- or double-quoted scalar of printable ASCII
///   without escapes or its own quote;
/// the first entry starts in column 1, a key without a value opens a more deeply indented
/// mapping on the next entry line, and every other entry lines up with an open mapping.
/// Returns false, leaving `root` as it was, for anything else, including `null` and `~`
/// values, CR line ends, a byte-order mark (ParseYamlTree skips one before calling this) and
/// documents nested more than 8 mappings deep.
/// The tree it builds is the one ParseYamlTreeWithYamlCpp builds for the same text.
bool ReadYamlSubset(std::string_view text, Node* root);

}  // namespace rlimit_init

// SPDX-License-Identifier: Apache-2.0
// Writes a policy file with yaml-cpp's Emitter, so that whatever a value or a comment holds
// (quotes, colons, '#', a leading '-', line breaks of any kind) the file reads back as written.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace rlimit_init {

/// One key of a policy file: a scalar, or a mapping of further keys when `keys` is not empty.
struct PolicyKey {
  std::string key;
  std::string value;
  bool text = false;       // a string that must stay one ("16" in env:), written double-quoted
  std::string comment;     // after the value, on its line
  std::vector<PolicyKey> keys;
};

/// The file: `header` as comment lines, then the keys in order. Comments are made printable
/// ASCII by Printable(text, NonAscii::kEscape) (a newline as \n, a control character or a byte
/// beyond ASCII as \xNN, a hidden character as \uXXXX): YAML readers differ on which
/// characters end a comment line (PyYAML ends one at U+0085 and U+2028), and none differ on
/// ASCII.
std::string WritePolicy(std::string_view header, const std::vector<PolicyKey>& keys);

}  // namespace rlimit_init

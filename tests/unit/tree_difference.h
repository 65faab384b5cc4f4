// SPDX-License-Identifier: Apache-2.0
// Compares two policy trees node by node; shared by yaml_subset_test.cc and
// tests/fuzz/subset_fuzzer.cc, which hold ReadYamlSubset to yaml-cpp's reading.
#pragma once

#include <string>

#include "policy/policy_tree.h"

namespace rlimit_init {

inline std::string DescribeNode(const Node& node) {
  std::string out = std::string(KindName(node.kind)) + " at " +
                    std::to_string(node.position.line) + ":" +
                    std::to_string(node.position.column);
  if (node.kind == Node::Kind::kScalar) {
    out += (node.plain ? " plain \"" : " quoted \"") + node.value + "\"";
  }
  return out;
}

/// The first difference between `subset` and `reference` (kind, line and column, quoting,
/// value, number and order of entries), or "" when the trees are the same.
inline std::string TreeDifference(const Node& subset, const Node& reference,
                                  const std::string& path = "root") {
  if (subset.kind != reference.kind || subset.position.line != reference.position.line ||
      subset.position.column != reference.position.column ||
      (subset.kind == Node::Kind::kScalar &&
       (subset.plain != reference.plain || subset.value != reference.value))) {
    return path + ": subset read " + DescribeNode(subset) + ", yaml-cpp " +
           DescribeNode(reference);
  }
  if (subset.entries.size() != reference.entries.size()) {
    return path + ": subset read " + std::to_string(subset.entries.size()) +
           " entries, yaml-cpp " + std::to_string(reference.entries.size());
  }
  for (std::size_t i = 0; i < subset.entries.size(); ++i) {
    const std::string at = path + "[" + std::to_string(i) + "]";
    std::string difference =
        TreeDifference(subset.entries[i].key, reference.entries[i].key, at + ".key");
    if (difference.empty()) {
      difference =
          TreeDifference(subset.entries[i].value, reference.entries[i].value, at + ".value");
    }
    if (!difference.empty()) return difference;
  }
  return "";
}

}  // namespace rlimit_init

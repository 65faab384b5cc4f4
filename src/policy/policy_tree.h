// SPDX-License-Identifier: Apache-2.0
// The YAML layer of the policy loader: text in, a small tree of our own out. The only file
// that parses with yaml-cpp is policy_tree.cc (policy_writer.cc writes with its Emitter).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace rlimit_init {

struct Position {
  int line = 0;    // 1-based; 0 when unknown
  int column = 0;  // 1-based
};

/// A YAML node with its position. Sequence items are only counted: a v1 policy has no
/// sequences, and a value that is one is reported by its kind alone.
struct MapEntry;

struct Node {
  enum class Kind { kNull, kScalar, kMap, kSequence };
  /// How a scalar was written. Only a plain one can be a boolean or a number to YAML; every
  /// other style makes a string, and a message says which one the user wrote.
  enum class Style { kPlain, kSingleQuoted, kDoubleQuoted, kLiteral, kFolded, kNonSpecificTag };
  Kind kind = Kind::kNull;
  Position position;
  Style style = Style::kPlain;
  std::string value;
  // A named entry type rather than std::pair<Node, Node>: a pair may not be instantiated while
  // Node is still incomplete, which g++ tolerates and clang does not.
  std::vector<MapEntry> entries;  // kMap
};

struct MapEntry {
  Node key;
  Node value;
};

/// "nothing", "a scalar", "a mapping", "a sequence".
const char* KindName(Node::Kind kind);

/// Why a scalar of `style` is a string whatever it says: "quoted", "a literal block scalar
/// \"|\", which is always a string", ...; "" for kPlain.
const char* StyleNote(Node::Style style);

/// How many mappings and sequences a policy may nest; a v1 policy needs three. A deeper
/// document is refused while yaml-cpp parses it, before it can cost memory or stack.
inline constexpr int kMaxNesting = 8;

/// The UTF-8 byte-order mark some editors write first; it carries no meaning, and one is skipped.
inline constexpr std::string_view kByteOrderMark = "\xEF\xBB\xBF";

struct TreeError {
  Position position;
  std::string message;
};

/// Parses one YAML document into `root`. Refuses NUL bytes, invalid UTF-8, tab indentation,
/// anchors, aliases, tags, nesting deeper than 8 levels, an empty document and a second one.
/// A leading UTF-8 byte-order mark is skipped. yaml-cpp reads the text and gives every
/// position (its Mark, made 1-based).
bool ParseYamlTree(std::string_view text, Node* root, TreeError* error);

}  // namespace rlimit_init

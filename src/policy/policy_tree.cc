// SPDX-License-Identifier: Apache-2.0
// yaml-cpp's event parser feeds a small tree of our own so that every value keeps its line and
// column, aliases and deep nesting are refused while parsing (before they can cost memory or
// stack), and no yaml-cpp exception escapes this file.
#include "policy/policy_tree.h"

#include <new>

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/exceptions.h>
#include <yaml-cpp/mark.h>
#include <yaml-cpp/parser.h>

#include <array>
#include <cstdint>
#include <istream>
#include <optional>
#include <streambuf>

#include "base/text.h"

namespace rlimit_init {
namespace {

// Thrown inside the event handler to abort parsing; caught in ParsePolicy.
struct Rejection {
  Position position;
  std::string message;
};

Position ToPosition(const YAML::Mark& mark) {
  if (mark.is_null()) return {};
  return {mark.line + 1, mark.column + 1};
}

// yaml-cpp reports every scalar that is not plain with the tag "!", quoted, block and "! x"
// alike; the character at its mark tells them apart.
Node::Style StyleAt(std::string_view text, const YAML::Mark& mark) {
  if (mark.pos < 0 || static_cast<std::size_t>(mark.pos) >= text.size()) {
    return Node::Style::kDoubleQuoted;
  }
  switch (text[static_cast<std::size_t>(mark.pos)]) {
    case '\'':
      return Node::Style::kSingleQuoted;
    case '|':
      return Node::Style::kLiteral;
    case '>':
      return Node::Style::kFolded;
    case '!':
      return Node::Style::kNonSpecificTag;
    default:
      return Node::Style::kDoubleQuoted;
  }
}

class TreeBuilder : public YAML::EventHandler {
 public:
  /// `text` is what the parser reads, for the style of each scalar.
  explicit TreeBuilder(std::string_view text) : text_(text) { stack_.reserve(kMaxNesting); }
  Node& root() { return root_; }
  bool has_root() const { return has_root_; }

  void OnDocumentStart(const YAML::Mark&) override {}
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    CheckAnchor(mark, anchor);
    Node node;
    node.position = ToPosition(mark);
    Add(std::move(node));
  }
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t) override {
    throw Rejection{ToPosition(mark), "aliases (*name) are not allowed in a policy"};
  }
  void OnAnchor(const YAML::Mark& mark, const std::string&) override {
    throw Rejection{ToPosition(mark), "anchors (&name) are not allowed in a policy"};
  }
  void OnScalar(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                const std::string& value) override {
    CheckAnchor(mark, anchor);
    CheckTag(mark, tag);
    // The text is valid UTF-8 (CheckText), but yaml-cpp 0.7.0 turns the escapes \N and \_
    // into the lone bytes 0x85 and 0xA0, where YAML means U+0085 and U+00A0.
    if (!IsValidUtf8(value)) {
      throw Rejection{ToPosition(mark), "the escape \\N or \\_ in this string is read as a "
                                        "byte that is not UTF-8; write \\u0085 or \\u00a0 "
                                        "instead"};
    }
    Node node;
    node.kind = Node::Kind::kScalar;
    node.position = ToPosition(mark);
    node.style = tag == "?" ? Node::Style::kPlain : StyleAt(text_, mark);
    node.value = value;
    Add(std::move(node));
  }
  void OnSequenceStart(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value) override {
    Open(mark, tag, anchor, Node::Kind::kSequence);
  }
  void OnSequenceEnd() override { Close(); }
  void OnMapStart(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                  YAML::EmitterStyle::value) override {
    Open(mark, tag, anchor, Node::Kind::kMap);
  }
  void OnMapEnd() override { Close(); }

 private:
  struct Frame {
    Node node;
    std::optional<Node> pending_key;  // maps: the key waiting for its value
    std::size_t items = 0;            // sequences: counted only, never read
  };

  static void CheckAnchor(const YAML::Mark& mark, YAML::anchor_t anchor) {
    if (anchor != YAML::NullAnchor) {
      throw Rejection{ToPosition(mark), "anchors (&name) are not allowed in a policy"};
    }
  }
  static void CheckTag(const YAML::Mark& mark, const std::string& tag) {
    if (!tag.empty() && tag != "?" && tag != "!") {
      throw Rejection{ToPosition(mark), "tags (" + tag + ") are not allowed in a policy"};
    }
  }
  void Open(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
            Node::Kind kind) {
    CheckAnchor(mark, anchor);
    CheckTag(mark, tag);
    if (static_cast<int>(stack_.size()) >= kMaxNesting) {
      throw Rejection{ToPosition(mark), "nested too deeply (a policy is at most " +
                                            std::to_string(kMaxNesting) + " levels deep)"};
    }
    Frame frame;
    frame.node.kind = kind;
    frame.node.position = ToPosition(mark);
    // A policy's mappings hold a handful of keys: room for them once, rather than moving every
    // entry (two nodes each) at each growth.
    if (kind == Node::Kind::kMap) frame.node.entries.reserve(8);
    stack_.push_back(std::move(frame));
  }
  void Close() {
    Frame frame = std::move(stack_.back());
    stack_.pop_back();
    Add(std::move(frame.node));
  }
  void Add(Node node) {
    if (stack_.empty()) {
      root_ = std::move(node);
      has_root_ = true;
      return;
    }
    Frame& top = stack_.back();
    if (top.node.kind == Node::Kind::kSequence) {
      ++top.items;  // sequence items are never used by a v1 policy; only their shape matters
      return;
    }
    if (!top.pending_key) {
      top.pending_key = std::move(node);
    } else {
      top.node.entries.push_back(MapEntry{std::move(*top.pending_key), std::move(node)});
      top.pending_key.reset();
    }
  }

  std::string_view text_;
  std::vector<Frame> stack_;
  Node root_;
  bool has_root_ = false;
};

// A read-only std::streambuf over text the caller keeps alive. yaml-cpp reads through an
// std::istream; an std::istringstream would first copy the whole policy into a string of its own.
class TextBuffer : public std::streambuf {
 public:
  explicit TextBuffer(std::string_view text) {
    // The get area is only read (and stepped back over by putback); it is never written.
    char* begin = const_cast<char*>(text.data());
    setg(begin, begin, begin + text.size());
  }
};

// The characters YAML 1.1 reads as line breaks and YAML 1.2 (yaml-cpp) as text: in a comment
// they hide from rlimit-init a key that PyYAML and editors show, and in a value, quoted or not,
// the two read different strings (PyYAML folds U+0085 to a space, trims the spaces around
// U+2028). Escaped (\N, \L, \P, \u2028) they mean the same to both, so only the raw
// character is refused.
struct YamlOneOneBreak {
  std::uint32_t code;
  const char* name;
  const char* escape;
};
constexpr YamlOneOneBreak kYamlOneOneBreaks[] = {
    {0x85, "U+0085 (next line)", "\\u0085"},
    {0x2028, "U+2028 (line separator)", "\\u2028"},
    {0x2029, "U+2029 (paragraph separator)", "\\u2029"},
};

// Checks that bytes are what a YAML policy may contain before yaml-cpp sees them: yaml-cpp
// accepts NUL bytes and invalid UTF-8 silently, and tab indentation confuses its messages.
std::optional<Rejection> CheckText(std::string_view text) {
  Position at{1, 1};
  bool line_start = true;
  for (std::size_t i = 0; i < text.size();) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if (c == 0) return Rejection{at, "NUL byte in policy file"};
    if (c == '\t' && line_start) {
      return Rejection{at, "tab used for indentation (YAML allows only spaces there)"};
    }
    std::size_t length = 1;
    if (c >= 0x80) {
      std::uint32_t code = 0;
      if ((c & 0xE0) == 0xC0) {
        length = 2, code = c & 0x1F;
      } else if ((c & 0xF0) == 0xE0) {
        length = 3, code = c & 0x0F;
      } else if ((c & 0xF8) == 0xF0) {
        length = 4, code = c & 0x07;
      } else {
        return Rejection{at, "invalid UTF-8 in policy file"};
      }
      if (i + length > text.size()) return Rejection{at, "invalid UTF-8 in policy file"};
      for (std::size_t k = 1; k < length; ++k) {
        unsigned char next = static_cast<unsigned char>(text[i + k]);
        if ((next & 0xC0) != 0x80) return Rejection{at, "invalid UTF-8 in policy file"};
        code = (code << 6) | (next & 0x3F);
      }
      static constexpr std::array<std::uint32_t, 5> kMinimum = {0, 0, 0x80, 0x800, 0x10000};
      if (code < kMinimum[length] || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) {
        return Rejection{at, "invalid UTF-8 in policy file"};
      }
      for (const YamlOneOneBreak& line_break : kYamlOneOneBreaks) {
        if (code != line_break.code) continue;
        return Rejection{at, std::string(line_break.name) +
                                 " in policy file: YAML 1.1 tools read it as a line break, "
                                 "rlimit-init does not; remove it, or write \"" +
                                 line_break.escape + "\" in a double-quoted value"};
      }
    }
    if (c == '\n') {
      ++at.line, at.column = 1, line_start = true;
    } else {
      // In bytes, as yaml-cpp's Mark counts, so that every position in a message is one unit.
      at.column += static_cast<int>(length);
      if (c != ' ') line_start = false;
    }
    i += length;
  }
  return std::nullopt;
}

}  // namespace

const char* KindName(Node::Kind kind) {
  switch (kind) {
    case Node::Kind::kNull:
      return "nothing";
    case Node::Kind::kScalar:
      return "a scalar";
    case Node::Kind::kMap:
      return "a mapping";
    case Node::Kind::kSequence:
      return "a sequence";
  }
  return "";
}

const char* StyleNote(Node::Style style) {
  switch (style) {
    case Node::Style::kPlain:
      return "";
    case Node::Style::kSingleQuoted:
    case Node::Style::kDoubleQuoted:
      return "quoted";
    case Node::Style::kLiteral:
      return "a literal block scalar \"|\", which is always a string";
    case Node::Style::kFolded:
      return "a folded block scalar \">\", which is always a string";
    case Node::Style::kNonSpecificTag:
      return "after the non-specific tag \"!\", which makes it a string";
  }
  return "";
}

bool ParseYamlTree(std::string_view text, Node* root, TreeError* error) {
  auto fail = [error](Position at, std::string message) {
    *error = {at, std::move(message)};
    return false;
  };
  const std::string empty = "policy is empty; it needs at least apiVersion and "
                            "addressSpace.request";
  if (text.starts_with(kByteOrderMark)) text.remove_prefix(kByteOrderMark.size());
  if (auto rejection = CheckText(text)) return fail(rejection->position, rejection->message);
  try {
    TextBuffer buffer(text);
    std::istream stream(&buffer);
    YAML::Parser parser(stream);
    TreeBuilder builder(text);
    if (!parser.HandleNextDocument(builder) || !builder.has_root()) return fail({}, empty);
    // A second document is refused rather than ignored. Only one more call is made, because
    // yaml-cpp 0.7.0 can return true forever without consuming input (e.g. for ",").
    TreeBuilder second(text);
    if (parser.HandleNextDocument(second)) {
      Position at = second.has_root() ? second.root().position : Position{};
      if (builder.root().kind == Node::Kind::kNull && second.has_root() &&
          second.root().kind == Node::Kind::kNull && at.line == builder.root().position.line &&
          at.column == builder.root().position.column) {
        // The parser made no progress: a stray token it cannot start a node with.
        return fail(at, "invalid YAML: unexpected character");
      }
      return fail(at, "a second YAML document is not allowed; a policy is one document");
    }
    if (builder.root().kind == Node::Kind::kNull) return fail(builder.root().position, empty);
    *root = std::move(builder.root());
    return true;
  } catch (const Rejection& rejection) {
    return fail(rejection.position, rejection.message);
  } catch (const YAML::Exception& e) {
    return fail(ToPosition(e.mark), "invalid YAML: " + e.msg);
  } catch (const std::bad_alloc&) {
    throw;  // not the policy's fault: main() reports it as out of memory
  } catch (const std::exception& e) {
    return fail({}, std::string("invalid YAML: ") + e.what());
  }
}

}  // namespace rlimit_init

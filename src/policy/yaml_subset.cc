// SPDX-License-Identifier: Apache-2.0
// Line by line: each line is blank, a comment or one map entry. Anything the grammar in
// yaml_subset.h does not name makes ReadYamlSubset return false; it never reports an error of
// its own, so every message a user sees still comes from yaml-cpp.
#include "policy/yaml_subset.h"

#include <optional>
#include <vector>

namespace rlimit_init {
namespace {

// YAML limits an implicit key to 1024 characters; far below that, a longer one is not ours.
constexpr std::size_t kMaxKey = 128;

bool IsAlnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}
bool IsKeyStart(char c) { return IsAlnum(c) || c == '_'; }
bool IsKeyChar(char c) { return IsKeyStart(c) || c == '.' || c == '-'; }
// No indicator character may start a plain scalar; these few cannot start anything else.
bool IsValueStart(char c) { return IsAlnum(c) || c == '/' || c == '.' || c == '_'; }
bool IsValueChar(char c) { return IsValueStart(c) || c == '%' || c == '+' || c == '-'; }
bool IsPrintable(char c) { return c >= ' ' && c <= '~'; }

// yaml-cpp turns these plain scalars into null events; leaving them to it keeps one definition.
bool IsNullWord(std::string_view word) {
  return word == "null" || word == "Null" || word == "NULL";
}

class SubsetReader {
 public:
  explicit SubsetReader(std::string_view text) : text_(text) {}

  bool Read(Node* root) {
    while (at_ < text_.size()) {
      if (!ReadLine()) return false;
    }
    // An empty document, or a key left without a value, is yaml-cpp's to judge.
    if (stack_.empty() || pending_ != nullptr) return false;
    *root = std::move(root_);
    return true;
  }

 private:
  struct OpenMap {
    std::size_t indent;
    Node* map;
  };

  char Peek() const { return at_ < text_.size() ? text_[at_] : '\n'; }
  int Column() const { return static_cast<int>(at_ - line_start_) + 1; }
  Position Here() const { return {line_, Column()}; }

  std::size_t SkipSpaces() {
    std::size_t start = at_;
    while (at_ < text_.size() && text_[at_] == ' ') ++at_;
    return at_ - start;
  }

  // Consumes the end of a line: a newline, the end of the text, or a comment. A comment needs
  // `spaced`, the space YAML requires before its `#`.
  bool EndLine(bool spaced) {
    if (Peek() == '#') {
      if (!spaced) return false;
      while (at_ < text_.size() && text_[at_] != '\n') {
        if (!IsPrintable(text_[at_])) return false;
        ++at_;
      }
    }
    if (at_ < text_.size()) {
      if (text_[at_] != '\n') return false;
      ++at_;
    }
    ++line_;
    line_start_ = at_;
    return true;
  }

  bool ReadLine() {
    std::size_t indent = SkipSpaces();
    char first = Peek();
    if (first == '\n') return EndLine(false);
    if (first == '#') {
      // A deeper comment after a value could be read as that value's next line.
      if (valued_indent_ && indent > *valued_indent_) return false;
      return EndLine(true);
    }
    return ReadEntry(indent);
  }

  bool ReadEntry(std::size_t indent) {
    if (!PlaceEntry(indent)) return false;
    Node key;
    key.kind = Node::Kind::kScalar;
    key.position = Here();
    std::size_t key_start = at_;
    if (!IsKeyStart(Peek())) return false;
    while (at_ < text_.size() && IsKeyChar(text_[at_])) ++at_;
    key.value = text_.substr(key_start, at_ - key_start);
    if (key.value.size() > kMaxKey || IsNullWord(key.value) || Peek() != ':') return false;
    ++at_;
    if (Peek() != ' ' && Peek() != '\n') return false;
    bool spaced = SkipSpaces() > 0;

    Node& map = *stack_.back().map;
    map.entries.push_back(MapEntry{std::move(key), Node{}});
    Node& value = map.entries.back().value;
    char first = Peek();
    if (first == '\n' || first == '#') {
      pending_ = &value;
      pending_indent_ = indent;
      valued_indent_.reset();
      return EndLine(spaced);
    }
    value.kind = Node::Kind::kScalar;
    value.position = Here();
    valued_indent_ = indent;
    bool ok = first == '"' || first == '\'' ? ReadQuoted(&value) : ReadPlain(&value);
    return ok && EndLine(SkipSpaces() > 0);
  }

  // Finds the open mapping a new entry at `indent` belongs to, opening one under a key that
  // was left without a value.
  bool PlaceEntry(std::size_t indent) {
    if (pending_ != nullptr) {
      if (indent <= pending_indent_ || stack_.size() >= static_cast<std::size_t>(kMaxNesting)) {
        return false;
      }
      pending_->kind = Node::Kind::kMap;
      pending_->position = Here();
      stack_.push_back({indent, pending_});
      pending_ = nullptr;
      return true;
    }
    if (stack_.empty()) {
      if (indent != 0) return false;
      root_.kind = Node::Kind::kMap;
      root_.position = Here();
      stack_.push_back({0, &root_});
      return true;
    }
    // The root mapping's indent is 0, so it is never popped.
    while (stack_.back().indent > indent) stack_.pop_back();
    return stack_.back().indent == indent;
  }

  bool ReadQuoted(Node* value) {
    char quote = text_[at_++];
    std::size_t start = at_;
    while (at_ < text_.size() && text_[at_] != quote) {
      char c = text_[at_];
      if (!IsPrintable(c) || c == '\\') return false;
      ++at_;
    }
    if (at_ == text_.size()) return false;
    value->plain = false;
    value->value = text_.substr(start, at_ - start);
    ++at_;
    return true;
  }

  // Stops before the spaces that end the value, so that they count for a comment after it.
  bool ReadPlain(Node* value) {
    if (!IsValueStart(Peek())) return false;
    const std::size_t start = at_;
    while (at_ < text_.size() && text_[at_] != '\n') {
      const char c = text_[at_];
      if (IsValueChar(c) ||
          // "a:b" is one scalar; ": " would start a mapping inside it.
          (c == ':' && at_ + 1 < text_.size() && IsValueChar(text_[at_ + 1]))) {
        ++at_;
      } else if (c == ' ') {
        std::size_t next = at_;
        while (next < text_.size() && text_[next] == ' ') ++next;
        if (next == text_.size() || text_[next] == '\n' || text_[next] == '#') break;
        if (!IsValueChar(text_[next])) return false;
        at_ = next;  // inner spaces are part of the value
      } else {
        return false;
      }
    }
    value->value = text_.substr(start, at_ - start);
    return !IsNullWord(value->value);
  }

  std::string_view text_;
  std::size_t at_ = 0;
  std::size_t line_start_ = 0;
  int line_ = 1;
  Node root_;
  std::vector<OpenMap> stack_;
  Node* pending_ = nullptr;  // the value of a key that had none on its own line
  std::size_t pending_indent_ = 0;
  std::optional<std::size_t> valued_indent_;  // the indent of the last entry with a value
};

}  // namespace

bool ReadYamlSubset(std::string_view text, Node* root) {
  return SubsetReader(text).Read(root);
}

}  // namespace rlimit_init

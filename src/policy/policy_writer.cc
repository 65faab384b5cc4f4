// SPDX-License-Identifier: Apache-2.0
#include "policy/policy_writer.h"

#include <yaml-cpp/yaml.h>

#include "base/text.h"

namespace rlimit_init {
namespace {

// Comments are the one place where the Emitter writes text as it is given.
std::string CommentText(std::string_view text) { return Printable(text, NonAscii::kEscape); }

void Emit(YAML::Emitter& out, const std::vector<PolicyKey>& keys) {
  out << YAML::BeginMap;
  for (const PolicyKey& key : keys) {
    out << YAML::Key << key.key << YAML::Value;
    if (!key.keys.empty()) {
      if (!key.comment.empty()) out << YAML::Comment(CommentText(key.comment));
      Emit(out, key.keys);
      continue;
    }
    if (key.text) out << YAML::DoubleQuoted;
    out << key.value;
    if (!key.comment.empty()) out << YAML::Comment(CommentText(key.comment));
  }
  out << YAML::EndMap;
}

}  // namespace

std::string WritePolicy(std::string_view header, const std::vector<PolicyKey>& keys) {
  YAML::Emitter out;
  // A double-quoted value keeps non-ASCII characters as \u escapes: the file stays ASCII.
  out.SetOutputCharset(YAML::EscapeNonAscii);
  if (!header.empty()) out << YAML::Comment(CommentText(header)) << YAML::Newline;
  Emit(out, keys);
  return std::string(out.c_str()) + "\n";
}

}  // namespace rlimit_init

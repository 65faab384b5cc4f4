// SPDX-License-Identifier: Apache-2.0
// libFuzzer target that holds the subset reader to its promise: whatever text ReadYamlSubset
// accepts, yaml-cpp accepts too and reads into the same tree (kinds, values, quoting, the line
// and column of every node, the order of entries). ParseYamlTree tries the subset first and
// gives yaml-cpp whatever it declines, so it then reads every text as yaml-cpp alone does. Built by scripts/build-fuzz.sh against an
// instrumented yaml-cpp, so the fuzzer steers both readers.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "../unit/tree_difference.h"
#include "policy/policy_tree.h"
#include "policy/yaml_subset.h"

namespace rlimit_init {
namespace {

[[noreturn]] void Fail(const std::string& what, std::string_view text) {
  std::fprintf(stderr, "subset_fuzzer: property violated: %s (input %zu bytes)\n", what.c_str(),
               text.size());
  std::abort();
}

std::string Where(const TreeError& error) {
  return std::to_string(error.position.line) + ":" + std::to_string(error.position.column) + ": " +
         error.message;
}

void CheckSubset(std::string_view text) {
  // What ParseYamlTree hands the subset: the text after one byte-order mark.
  std::string_view body = text;
  if (body.starts_with(kByteOrderMark)) body.remove_prefix(kByteOrderMark.size());
  Node subset;
  // Declined text goes to yaml-cpp unchanged, so only accepted text can read differently.
  if (!ReadYamlSubset(body, &subset)) return;
  Node reference;
  TreeError error;
  if (!ParseYamlTreeWithYamlCpp(text, &reference, &error)) {
    Fail("subset accepted text yaml-cpp refuses at " + Where(error), text);
  }
  std::string difference = TreeDifference(subset, reference);
  if (!difference.empty()) Fail(difference, text);
  Node tree;
  if (!ParseYamlTree(text, &tree, &error)) Fail("ParseYamlTree refused it: " + Where(error), text);
  difference = TreeDifference(tree, reference);
  if (!difference.empty()) Fail("ParseYamlTree: " + difference, text);
}

}  // namespace
}  // namespace rlimit_init

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  rlimit_init::CheckSubset(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}

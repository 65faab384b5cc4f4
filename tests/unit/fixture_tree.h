// Loads a host tree under tests/fixtures/hosts/NAME/ into FakeSystem::host_files, keyed by the
// path below that root ("/proc/self/cgroup"), so discovery reads the trees exactly as the kernel
// wrote them (see tests/fixtures/hosts/README.md for where each tree came from).
#pragma once

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "fake_system.h"

namespace rlimit_init {

/// Returns false when the tree does not exist or a file cannot be read, so a test can
/// ASSERT_TRUE on it instead of passing on an empty tree.
inline bool LoadFixtureTree(const std::string& name, FakeSystem* system) {
  namespace fs = std::filesystem;
  const fs::path root = fs::path(RLIMIT_INIT_FIXTURES) / "hosts" / name;
  std::error_code error;
  if (!fs::is_directory(root, error)) return false;
  for (const fs::directory_entry& entry : fs::recursive_directory_iterator(root, error)) {
    if (!entry.is_regular_file()) continue;
    std::ifstream in(entry.path(), std::ios::binary);
    std::ostringstream contents;
    contents << in.rdbuf();
    if (!in) return false;
    system->host_files["/" + entry.path().lexically_relative(root).generic_string()] =
        contents.str();
  }
  return !error;
}

}  // namespace rlimit_init

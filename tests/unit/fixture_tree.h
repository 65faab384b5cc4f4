// SPDX-License-Identifier: Apache-2.0
// Loads a host tree under tests/fixtures/hosts/NAME/ into FakeSystem::host_files, keyed by the
// path below that root ("/proc/self/cgroup"), so discovery reads the trees exactly as the kernel
// wrote them (see tests/fixtures/hosts/README.md for where each tree came from); and reads the
// other files tests and benchmarks take from the repository.
#pragma once

#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>

#include "fake_system.h"

namespace rlimit_init {

/// The whole of a file under tests/, or nullopt when it cannot be read.
inline std::optional<std::string> ReadTestFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream contents;
  contents << in.rdbuf();
  if (!in) return std::nullopt;
  return contents.str();
}

/// Returns false when the tree does not exist or a file cannot be read, so a test can
/// ASSERT_TRUE on it instead of passing on an empty tree.
inline bool LoadFixtureTree(const std::string& name, FakeSystem* system) {
  namespace fs = std::filesystem;
  const fs::path root = fs::path(RLIMIT_INIT_FIXTURES) / "hosts" / name;
  std::error_code error;
  if (!fs::is_directory(root, error)) return false;
  for (const fs::directory_entry& entry : fs::recursive_directory_iterator(root, error)) {
    if (!entry.is_regular_file()) continue;
    std::optional<std::string> contents = ReadTestFile(entry.path());
    if (!contents) return false;
    system->host_files["/" + entry.path().lexically_relative(root).generic_string()] =
        std::move(*contents);
  }
  return !error;
}

}  // namespace rlimit_init

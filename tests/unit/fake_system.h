// SPDX-License-Identifier: Apache-2.0
// In-memory System for unit tests: files are a map, every change is recorded, each in its own
// list and all of them, in order, in `calls`.
#pragma once

#include <array>
#include <cerrno>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "os/system.h"

namespace rlimit_init {

class FakeSystem : public System {
 public:
  std::map<std::string, std::string> host_files;   // path -> contents
  std::map<std::string, int> host_errors;          // path -> errno returned when read
  std::map<std::string, std::string> user_files;
  std::map<std::string, int> user_errors;          // path -> errno ReadUserFile returns
  std::map<std::string, std::string> env;
  std::array<LimitPair, kResourceCount> limits;  // all unlimited unless a test sets one
  int set_limit_error = 0;  // errno SetLimit returns, 0 = succeed
  std::uint64_t page_size = 4096;
  struct SetCall {
    Resource resource;
    LimitPair limit;
  };
  std::vector<SetCall> set_calls;
  std::map<std::string, std::string> written;  // WriteExistingFile calls that succeeded
  std::set<std::string> writable;              // paths WriteExistingFile accepts
  std::vector<std::vector<std::string>> exec_calls;
  int exec_error = ENOENT;
  int reset_signals_calls = 0;
  struct SwitchCall {
    std::uint32_t uid, gid;
    std::vector<std::uint32_t> groups;
  };
  std::vector<SwitchCall> switch_calls;
  int switch_error = 0;
  std::string stderr_text;
  std::string stdout_text;
  // Every call that changes the process, in the order made: "setrlimit as 536870912:1073741824",
  // "reset signals", "switch user 1000:1000 groups 1000,44", "setenv HOME=/home/app",
  // "unsetenv USER", "exec true". A test of order asserts this one list.
  std::vector<std::string> calls;

  ReadResult ReadHostFile(const std::string& path) override {
    if (auto e = host_errors.find(path); e != host_errors.end()) return {false, "", e->second};
    auto it = host_files.find(path);
    if (it == host_files.end()) return {false, "", ENOENT};
    return {true, it->second, 0};
  }
  bool HostPathExists(const std::string& path) override {
    if (host_files.count(path)) return true;
    // A directory exists when some file lies below it.
    std::string prefix = path.back() == '/' ? path : path + "/";
    auto it = host_files.lower_bound(prefix);
    return it != host_files.end() && it->first.compare(0, prefix.size(), prefix) == 0;
  }
  // A directory lists the first component of every host file below it.
  int ListHostDirectory(const std::string& path, std::vector<std::string>* names) override {
    const std::string prefix = path + "/";
    for (auto it = host_files.lower_bound(prefix);
         it != host_files.end() && it->first.compare(0, prefix.size(), prefix) == 0; ++it) {
      std::string name = it->first.substr(prefix.size(), it->first.find('/', prefix.size()) -
                                                             prefix.size());
      if (names->empty() || names->back() != name) names->push_back(name);
    }
    return names->empty() && !HostPathExists(path) ? ENOENT : 0;
  }
  unsigned affinity_cpus = 0;
  unsigned AffinityCpuCount() override { return affinity_cpus; }
  ReadResult ReadUserFile(const std::string& path, std::size_t max_bytes) override {
    if (auto e = user_errors.find(path); e != user_errors.end()) return {false, "", e->second};
    auto it = user_files.find(path);
    if (it == user_files.end()) return {false, "", ENOENT};
    if (it->second.size() > max_bytes) return {false, "", EFBIG};
    return {true, it->second, 0};
  }
  std::map<std::string, std::string> exec_files;  // path -> contents, for ReadFileAt
  std::set<std::string> executable;               // paths IsExecutableFile accepts
  std::vector<std::string> read_at_calls;         // "path offset size", in order
  ReadResult ReadFileAt(const std::string& path, std::uint64_t offset,
                        std::size_t size) override {
    read_at_calls.push_back(path + " " + std::to_string(offset) + " " + std::to_string(size));
    auto it = exec_files.find(path);
    if (it == exec_files.end()) return {false, "", ENOENT};
    if (offset >= it->second.size()) return {true, "", 0};
    return {true, it->second.substr(offset, size), 0};
  }
  bool IsExecutableFile(const std::string& path) override { return executable.count(path) > 0; }
  LimitPair& limit(Resource resource) { return limits[static_cast<std::size_t>(resource)]; }
  int GetLimit(Resource resource, LimitPair* out) override {
    *out = limit(resource);
    return 0;
  }
  int SetLimit(Resource resource, const LimitPair& l) override {
    set_calls.push_back({resource, l});
    calls.push_back("setrlimit " + std::string(Row(resource).name) + " " +
                    std::to_string(l.soft) + ":" + std::to_string(l.hard));
    if (set_limit_error != 0) return set_limit_error;
    limit(resource) = l;
    return 0;
  }
  std::uint64_t PageSize() override { return page_size; }
  const char* GetEnv(const char* name) override {
    auto it = env.find(name);
    return it == env.end() ? nullptr : it->second.c_str();
  }
  int WriteExistingFile(const std::string& path, std::string_view data) override {
    if (!writable.count(path)) return ENOENT;
    written[path] = std::string(data);
    return 0;
  }
  int WriteOwnFile(const std::string& path, std::string_view data) override {
    written[path] = std::string(data);
    return 0;
  }
  std::map<std::string, int> own_file_errors;  // what CheckOwnFile returns, by path (else 0)
  int CheckOwnFile(const std::string& path,
                   std::pair<std::uint64_t, std::uint64_t>* identity) override {
    *identity = {0, 0};
    auto it = own_file_errors.find(path);
    return it == own_file_errors.end() ? 0 : it->second;
  }
  int InstallSelf(const std::string&, const std::string&, unsigned, std::string*) override {
    return 0;
  }
  int ResetSignals() override {
    ++reset_signals_calls;
    calls.push_back("reset signals");
    return 0;
  }
  int SwitchUser(std::uint32_t uid, std::uint32_t gid, const std::vector<std::uint32_t>& groups,
                 std::string* failed_call) override {
    switch_calls.push_back({uid, gid, groups});
    std::string list;
    for (std::uint32_t g : groups) list += (list.empty() ? "" : ",") + std::to_string(g);
    calls.push_back("switch user " + std::to_string(uid) + ":" + std::to_string(gid) +
                    " groups " + list);
    if (switch_error != 0) *failed_call = "setgroups";
    return switch_error;
  }
  int SetEnv(const char* name, const char* value) override {
    if (value == nullptr) {
      env.erase(name);
      calls.push_back(std::string("unsetenv ") + name);
    } else {
      env[name] = value;
      calls.push_back(std::string("setenv ") + name + "=" + value);
    }
    return 0;
  }
  void WriteStderr(std::string_view text) override { stderr_text += text; }
  void WriteStdout(std::string_view text) override { stdout_text += text; }
  int Exec(const std::vector<std::string>& argv) override {
    exec_calls.push_back(argv);
    std::string words;
    for (const std::string& arg : argv) words += (words.empty() ? "" : " ") + arg;
    calls.push_back("exec " + words);
    return exec_error;
  }
};

}  // namespace rlimit_init

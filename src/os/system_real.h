// SPDX-License-Identifier: Apache-2.0
// The System that makes real syscalls. The only implementation that touches the OS.
#pragma once

#include <string>

#include "os/system.h"

namespace rlimit_init {

class RealSystem : public System {
 public:
  /// `host_root` is prefixed to every /proc and /sys path; "" reads the real ones.
  void set_host_root(std::string host_root) { host_root_ = std::move(host_root); }

  /// Ignores SIGPIPE and SIGXFSZ, so that a write to a closed pipe or past RLIMIT_FSIZE fails
  /// with EPIPE or EFBIG instead of killing the process. ResetSignals undoes it before exec.
  void IgnoreWriteSignals();

  ReadResult ReadHostFile(const std::string& path) override;
  ReadResult ReadHostFileUpTo(const std::string& path, std::size_t max_bytes) override;
  bool HostPathExists(const std::string& path) override;
  int ListHostDirectory(const std::string& path, std::vector<std::string>* names) override;
  unsigned AffinityCpuCount() override;
  ReadResult ReadUserFile(const std::string& path, std::size_t max_bytes) override;
  ReadResult ReadFileAt(const std::string& path, std::uint64_t offset, std::size_t size) override;
  bool IsExecutableFile(const std::string& path) override;
  int GetLimit(Resource resource, LimitPair* limit) override;
  int SetLimit(Resource resource, const LimitPair& limit) override;
  std::uint64_t PageSize() override;
  const char* GetEnv(const char* name) override;
  int SetEnv(const char* name, const char* value) override;
  int WriteExistingFile(const std::string& path, std::string_view data) override;
  int WriteOwnFile(const std::string& path, std::string_view data) override;
  int CheckOwnFile(const std::string& path,
                   std::pair<std::uint64_t, std::uint64_t>* identity) override;
  int InstallSelf(const std::string& dir, const std::string& name, unsigned mode,
                  std::string* failed_call) override;
  int ResetSignals() override;
  int SwitchUser(std::uint32_t uid, std::uint32_t gid, const std::vector<std::uint32_t>& groups,
                 std::string* failed_call) override;
  void WriteStderr(std::string_view text) override;
  void WriteStdout(std::string_view text) override;
  int Exec(const std::vector<std::string>& argv) override;

 private:
  std::string host_root_;
};

}  // namespace rlimit_init

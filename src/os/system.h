// SPDX-License-Identifier: Apache-2.0
// The one seam between rlimit-init and the operating system. Everything that makes a syscall
// or reads a file goes through System; RealSystem (system_real.cc) is the only implementation
// that touches the OS, tests use tests/unit/fake_system.h.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <string_view>
#include <vector>

#include "base/limit.h"

namespace rlimit_init {

struct ReadResult {
  bool ok = false;
  std::string data;  // file contents when ok
  int error = 0;     // errno when !ok (EISDIR, EFBIG and ENODEV are also used for "not a
                     // regular file" and "too large", see ReadUserFile)
  bool cut = false;  // ReadHostFile: the file was longer than the bound, `data` is its start
};

/// How much of a /proc or /sys file ReadHostFile reads: limit files are a line, and a cap keeps a
/// broken or hostile file from costing memory.
inline constexpr std::size_t kMaxHostFileBytes = 1 << 20;

class System {
 public:
  virtual ~System() = default;

  /// Reads a /proc or /sys file. `path` is absolute as seen on a host ("/proc/self/cgroup");
  /// the real implementation prefixes the configured host root so tests can use fixture trees.
  /// At most kMaxHostFileBytes are read; `cut` says when there was more.
  virtual ReadResult ReadHostFile(const std::string& path) = 0;

  /// ReadHostFile with another bound, for files that grow with the host (mountinfo has a line
  /// per mount). The default cuts what ReadHostFile returns, which suits in-memory fakes.
  virtual ReadResult ReadHostFileUpTo(const std::string& path, std::size_t max_bytes) {
    ReadResult result = ReadHostFile(path);
    if (result.ok && result.data.size() > max_bytes) {
      result.data.resize(max_bytes);
      result.cut = true;
    }
    return result;
  }

  /// Whether a host path (under the host root) exists, e.g. "/.dockerenv".
  virtual bool HostPathExists(const std::string& path) = 0;

  /// The names in a host directory such as "/dev" (under the host root), "." and ".." left
  /// out. Returns 0 or errno.
  virtual int ListHostDirectory(const std::string& path, std::vector<std::string>* names) = 0;

  /// How many CPUs the affinity mask holds (sched_getaffinity(2)); 0 when it cannot be read.
  virtual unsigned AffinityCpuCount() = 0;

  /// Reads a user-supplied file such as the policy. Never blocks (FIFOs are refused), refuses
  /// anything that is not a regular file (error EINVAL) and files over max_bytes (EFBIG).
  virtual ReadResult ReadUserFile(const std::string& path, std::size_t max_bytes) = 0;

  /// Up to `size` bytes at `offset` of a file the workload will run (its executable, its
  /// script), as rlimit-init's own user reads it: a short read at the end of the file, EINVAL
  /// for anything but a regular file, never blocking.
  virtual ReadResult ReadFileAt(const std::string& path, std::uint64_t offset,
                                std::size_t size) = 0;

  /// Whether execve could run `path`: a regular file that access(X_OK) allows.
  virtual bool IsExecutableFile(const std::string& path) = 0;

  /// getrlimit(2) of one resource. Returns 0 or errno.
  virtual int GetLimit(Resource resource, LimitPair* limit) = 0;

  /// setrlimit(2) of one resource. Returns 0 or errno.
  virtual int SetLimit(Resource resource, const LimitPair& limit) = 0;

  /// sysconf(_SC_PAGESIZE).
  virtual std::uint64_t PageSize() = 0;

  /// getenv; empty optional-like: returns nullptr when unset.
  virtual const char* GetEnv(const char* name) = 0;

  /// Writes `data` to an existing file (never creates one). Returns 0 or errno.
  virtual int WriteExistingFile(const std::string& path, std::string_view data) = 0;

  /// Writes `data` to `path`, creating it (mode 0644) or truncating it: a file the user named
  /// for rlimit-init's own output (measure --report, --recommend). Like WriteExistingFile it
  /// refuses a symlink as the last component, anything but a regular file and kernel
  /// interfaces. Returns 0 or errno.
  virtual int WriteOwnFile(const std::string& path, std::string_view data) = 0;

  /// Whether WriteOwnFile(path) could write there, checked without writing: an existing file
  /// must be a regular file outside kernel interfaces that this process may write; a missing
  /// one needs a directory it may write in. `identity` gets an existing file's device and inode
  /// ({0, 0} when there is none). Returns 0 or errno: ENOENT (no such directory), ENOTDIR,
  /// EISDIR, EINVAL (not a regular file), EPERM (a kernel interface), EACCES, ELOOP (a symlink).
  virtual int CheckOwnFile(const std::string& path,
                           std::pair<std::uint64_t, std::uint64_t>* identity) = 0;

  /// Copies the running executable to dir/name atomically with `mode`. Returns 0 or errno;
  /// `failed_call` names the call that failed.
  virtual int InstallSelf(const std::string& dir, const std::string& name, unsigned mode,
                          std::string* failed_call) = 0;

  /// Empties the signal mask and sets every ignored signal back to SIG_DFL: both survive
  /// execve, and a workload should not inherit what a wrapper above rlimit-init chose.
  /// Returns 0 or errno.
  virtual int ResetSignals() = 0;

  /// setgroups, setresgid, setresuid in that order, then checks that the drop holds (setuid(0)
  /// fails when uid != 0). Returns 0 or errno with `failed_call` naming the call.
  virtual int SwitchUser(std::uint32_t uid, std::uint32_t gid,
                         const std::vector<std::uint32_t>& groups, std::string* failed_call) = 0;

  /// setenv(name, value) for the workload's environment, or unsetenv(name) when value is
  /// nullptr. Returns 0 or errno.
  virtual int SetEnv(const char* name, const char* value) = 0;

  /// Writes to standard error (unbuffered, so nothing is lost at exec).
  virtual void WriteStderr(std::string_view text) = 0;

  /// Writes to standard output and flushes.
  virtual void WriteStdout(std::string_view text) = 0;

  /// execvp(argv[0], argv). Returns only on failure, with errno.
  virtual int Exec(const std::vector<std::string>& argv) = 0;
};

}  // namespace rlimit_init

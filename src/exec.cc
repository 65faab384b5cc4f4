// SPDX-License-Identifier: Apache-2.0
#include "exec.h"

#include <cerrno>
#include <cstring>

#include "system.h"

namespace rlimit_init {

int ExecFailureExitCode(int error) {
  // The shell's convention: 127 for "not found", 126 for "found but cannot run".
  return (error == ENOENT || error == ENOTDIR) ? 127 : 126;
}

int ExecWorkload(System& system, const std::vector<std::string>& command, std::string* message) {
  int error = system.Exec(command);
  int code = ExecFailureExitCode(error);
  *message = "cannot execute " + command.front() + ": " + std::strerror(error);
  if (code == 127 && command.front().find('/') == std::string::npos) {
    const char* path = system.GetEnv("PATH");
    *message += " (searched PATH=" + std::string(path ? path : "") + ")";
  }
  return code;
}

}  // namespace rlimit_init

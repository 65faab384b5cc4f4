// SPDX-License-Identifier: Apache-2.0
#include "run/exec.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "os/system.h"

namespace rlimit_init {

int ExecFailureExitCode(int error) {
  // The shell's convention: 127 for "not found", 126 for "found but cannot run".
  return (error == ENOENT || error == ENOTDIR) ? 127 : 126;
}

std::string DefaultSearchPath() {
  char buffer[256];
  const std::size_t size = confstr(_CS_PATH, buffer, sizeof buffer);
  return size > 0 && size <= sizeof buffer ? std::string(buffer) : "/bin:/usr/bin";
}

int ExecWorkload(System& system, const std::vector<std::string>& command, std::string* message) {
  int error = system.Exec(command);
  int code = ExecFailureExitCode(error);
  *message = "cannot execute " + command.front() + ": " + std::strerror(error);
  if (code == 127 && command.front().find('/') == std::string::npos) {
    if (const char* path = system.GetEnv("PATH")) {
      *message += " (searched PATH=" + std::string(path) + ")";
    } else {
      // Without PATH, glibc's execvp searches its built-in default, the one confstr(_CS_PATH)
      // names ("/bin:/usr/bin"), not nothing.
      *message += " (searched " + DefaultSearchPath() + ", glibc's default as PATH is unset)";
    }
  }
  return code;
}

}  // namespace rlimit_init

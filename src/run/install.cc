// SPDX-License-Identifier: Apache-2.0
#include "run/install.h"

#include <cstring>

#include "base/text.h"
#include "report/json_report.h"
#include "os/system.h"

namespace rlimit_init {

namespace {

int Fail(System& system, bool json, int exit_code, const std::string& message) {
  system.WriteStderr(json ? RenderErrorJson(exit_code, MessageLine(message))
                          : "rlimit-init: " + MessageLine(message) + "\n");
  return exit_code;
}

}  // namespace

int InstallTo(System& system, const std::string& dir, bool quiet, bool json) {
  // An empty DIR would resolve to "/rlimit-init", the root of whatever container runs this.
  if (dir.empty()) {
    return Fail(system, json, 64,  // EX_USAGE, as every bad command line
                "bad command line: install needs a directory, not \"\"; see rlimit-init --help");
  }
  std::string failed_call;
  int error = system.InstallSelf(dir, kInstalledName, 0755, &failed_call);
  std::string target = dir + (dir.empty() || dir.back() != '/' ? "/" : "") + kInstalledName;
  if (error != 0) {
    // DIR comes from the command line: escaped like every other message, so that a newline or
    // an ESC in it cannot forge a line or drive the terminal.
    return Fail(system, json, kExitCannotInstall,
                "cannot install into " + dir + ": " + failed_call + ": " + std::strerror(error));
  }
  if (json) {
    system.WriteStderr(RenderInstalledJson(target));
  } else if (!quiet) {
    system.WriteStderr("rlimit-init: " + MessageLine("installed " + target + " (mode 0755)") +
                       "\n");
  }
  return 0;
}

}  // namespace rlimit_init

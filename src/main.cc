// SPDX-License-Identifier: Apache-2.0
// rlimit-init: grant a workload the address space its policy asks for, then exec it.
#include <new>

#include "cli/cli.h"
#include "os/early_start.h"
#include "os/processes_real.h"
#include "report/json_report.h"
#include "report/text_report.h"
#include "run/run.h"
#include "os/system_real.h"

int main(int argc, char** argv) {
  rlimit_init::RealSystem system;
  rlimit_init::RealProcesses processes;
  bool json = false;
  try {
    // 1. A report that cannot be written (stderr a closed pipe, a file past RLIMIT_FSIZE) must
    //    not kill rlimit-init: writes fail with EPIPE or EFBIG instead. ResetSignals gives the
    //    workload default dispositions again before exec.
    system.IgnoreWriteSignals();

    // 2. Read RLIMIT_AS as inherited, then lift our own soft limit to the hard limit, so that
    //    the limit rlimit-init was asked to lift can never stop rlimit-init itself. The decided
    //    value is set just before exec. The static binary's entry point has done both before
    //    glibc started (os/early_start.h), which a soft limit of 2 MiB would have stopped.
    rlimit_init::LimitPair inherited;
    if (!rlimit_init::EarlyInheritedAs(&inherited)) {
      if (int error = system.GetLimit(rlimit_init::Resource::kAs, &inherited); error != 0) {
        system.WriteStderr("rlimit-init: getrlimit(RLIMIT_AS) failed\n");
        return rlimit_init::kExitInternal;
      }
      if (inherited.soft < inherited.hard) {
        system.SetLimit(rlimit_init::Resource::kAs, {inherited.hard, inherited.hard});
      }
    }

    // 3. Parse the command line.
    //    An error answers in JSON when a well-formed --output json is on the same line.
    rlimit_init::OutputFormat error_format = rlimit_init::OutputFormat::kText;
    rlimit_init::Result<rlimit_init::Invocation> invocation =
        rlimit_init::ParseCommandLine(argc, argv, &error_format);
    if (!invocation) {
      const std::string message =
          "bad command line: " + invocation.error() + "; see rlimit-init --help";
      system.WriteStderr(error_format == rlimit_init::OutputFormat::kJson
                             ? rlimit_init::RenderErrorJson(rlimit_init::kExitUsage, message)
                             : "rlimit-init: " + message + "\n");
      return rlimit_init::kExitUsage;
    }
    json = invocation->output == rlimit_init::OutputFormat::kJson;
    const rlimit_init::SettingsEnvironment env = rlimit_init::ReadSettingsEnvironment(system);
    if (const std::optional<std::string> root = rlimit_init::HostRoot(*invocation, env)) {
      system.set_host_root(*root);
    }

    // 4. Decide, report, and exec the workload (Run returns only when it does not exec).
    return rlimit_init::Run(*invocation, env, system, processes, inherited);
  } catch (const std::bad_alloc&) {
    // Anywhere before exec, so nothing has been executed.
    system.WriteStderr(json ? rlimit_init::kOutOfMemoryJson : rlimit_init::kOutOfMemoryText);
    return rlimit_init::kExitInternal;
  }
}

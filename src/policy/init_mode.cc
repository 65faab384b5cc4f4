// SPDX-License-Identifier: Apache-2.0
#include "policy/init_mode.h"

#include <string>

namespace rlimit_init {

Result<InitMode> ParseInitMode(std::string_view text) {
  if (text == "auto") return InitMode::kAuto;
  if (text == "exec") return InitMode::kExec;
  if (text == "child") return InitMode::kChild;
  if (text == "group") return InitMode::kGroup;
  return Error{"invalid init mode \"" + std::string(text) +
               "\": expected auto, exec, child or group"};
}

const char* InitModeName(InitMode mode) {
  switch (mode) {
    case InitMode::kAuto:
      return "auto";
    case InitMode::kExec:
      return "exec";
    case InitMode::kChild:
      return "child";
    case InitMode::kGroup:
      return "group";
  }
  return "";
}

}  // namespace rlimit_init

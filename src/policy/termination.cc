// SPDX-License-Identifier: Apache-2.0
#include "policy/termination.h"

namespace rlimit_init {

std::optional<std::string> UnsafeTerminationPath(std::string_view path) {
  if (path.find('\0') != std::string_view::npos) return "must not contain a NUL byte";
  // The first component that is not empty or ".", as the kernel resolves it.
  std::string_view first;
  std::string_view rest = path;
  while (!rest.empty()) {
    const std::size_t end = rest.find('/');
    const std::string_view component = rest.substr(0, end);
    rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 1);
    if (component == "..") return "must not contain \"..\"";
    if (first.empty() && !component.empty() && component != ".") first = component;
  }
  if (first == "proc" || first == "sys") {
    return "must not be under /" + std::string(first) +
           ": its files are kernel interfaces, not files to write a message to";
  }
  return std::nullopt;
}

}  // namespace rlimit_init

// SPDX-License-Identifier: Apache-2.0
#include "observe/proc_text.h"

#include <charconv>

#include "base/text.h"
#include "observe/cgroup.h"
#include "observe/meminfo.h"
#include "observe/runtime_parse.h"

namespace rlimit_init {
namespace {

std::optional<int> ParseCount(std::string_view text) {
  text = TrimWhitespace(text);
  int value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || value < 0) return std::nullopt;
  return value;
}

}  // namespace

std::optional<StatusFields> ParseStatus(std::string_view text) {
  StatusFields fields;
  bool tgid = false, peak = false, hwm = false;
  while (!text.empty()) {
    const std::size_t newline = text.find('\n');
    const std::string_view line = text.substr(0, newline);
    text = newline == text.npos ? "" : text.substr(newline + 1);
    const std::size_t colon = line.find(':');
    if (colon == line.npos) continue;
    const std::string_view key = line.substr(0, colon);
    const std::string_view value = line.substr(colon + 1);
    if (key == "Name") {
      fields.name = std::string(TrimWhitespace(value));
    } else if (key == "Tgid") {
      std::optional<int> number = ParseCount(value);
      if (!number) return std::nullopt;
      fields.tgid = *number;
      tgid = true;
    } else if (key == "Threads") {
      fields.threads = ParseCount(value).value_or(0);
    } else if (key == "VmPeak" || key == "VmHWM" || key == "VmLck" || key == "VmSize" ||
               key == "VmRSS") {
      std::optional<std::uint64_t> bytes = ParseKiB(value);
      if (!bytes) return std::nullopt;
      if (key == "VmPeak") fields.vm_peak = *bytes, peak = true;
      if (key == "VmHWM") fields.vm_hwm = *bytes, hwm = true;
      if (key == "VmLck") fields.vm_lck = *bytes;
      if (key == "VmSize") fields.vm_size = *bytes;
      if (key == "VmRSS") fields.vm_rss = *bytes;
    }
  }
  if (!tgid || !peak || !hwm) return std::nullopt;
  return fields;
}

std::vector<std::string> SplitCmdline(std::string_view cmdline) {
  std::vector<std::string> words;
  while (!cmdline.empty()) {
    const std::size_t nul = cmdline.find('\0');
    words.emplace_back(cmdline.substr(0, nul));
    cmdline.remove_prefix(nul == cmdline.npos ? cmdline.size() : nul + 1);
  }
  return words;
}

bool JavaMaxHeapPinned(std::string_view cmdline, std::string_view environ) {
  const auto split = SplitCmdline;
  JavaSizes sizes;
  // The JVM reads JAVA_TOOL_OPTIONS, then the launcher's JDK_JAVA_OPTIONS and command line,
  // then _JAVA_OPTIONS; any -Xmx among them pins the heap, whichever wins.
  for (const std::string& variable : split(environ)) {
    for (std::string_view name : {"JAVA_TOOL_OPTIONS=", "JDK_JAVA_OPTIONS=", "_JAVA_OPTIONS="}) {
      if (std::string_view(variable).substr(0, name.size()) != name) continue;
      for (const std::string& option : SplitOptions(variable.substr(name.size()))) {
        ApplyJavaOption(option, &sizes);
      }
    }
  }
  const std::vector<std::string> argv = split(cmdline);
  if (!argv.empty() && BaseName(argv[0]) == "java") {
    for (const std::string& option : JavaLauncherOptions(argv)) ApplyJavaOption(option, &sizes);
  }
  return sizes.max_heap.has_value();
}

std::optional<unsigned> CountCpuList(std::string_view text) {
  text = TrimWhitespace(text);
  if (text.empty()) return std::nullopt;
  unsigned count = 0;
  while (!text.empty()) {
    const std::size_t comma = text.find(',');
    const std::string_view range = text.substr(0, comma);
    text = comma == text.npos ? "" : text.substr(comma + 1);
    const std::size_t dash = range.find('-');
    std::optional<int> first = ParseCount(range.substr(0, dash));
    std::optional<int> last = dash == range.npos ? first : ParseCount(range.substr(dash + 1));
    if (!first || !last || *last < *first) return std::nullopt;
    count += static_cast<unsigned>(*last - *first + 1);
  }
  return count;
}

}  // namespace rlimit_init

// SPDX-License-Identifier: Apache-2.0
#include "observe/runtime_parse.h"

#include <charconv>

namespace rlimit_init {
namespace {

bool StartsWith(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

// The java launcher's options that take the next argument as their value (java -help, JDK 17).
bool TakesValue(std::string_view option) {
  for (std::string_view name : {"-cp", "-classpath", "--class-path", "-p", "--module-path",
                                "--upgrade-module-path", "--add-modules", "--enable-native-access",
                                "--limit-modules", "--add-reads", "--add-exports",
                                "--add-opens", "--patch-module"}) {
    if (option == name) return true;
  }
  return false;
}

}  // namespace

std::optional<std::uint64_t> ParseJavaSize(std::string_view text) {
  std::uint64_t value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end == text.data()) return std::nullopt;
  std::string_view unit = text.substr(end - text.data());
  if (unit.empty()) return value;
  if (unit.size() != 1) return std::nullopt;
  int shift = 0;
  switch (unit[0]) {
    case 'k': case 'K': shift = 10; break;
    case 'm': case 'M': shift = 20; break;
    case 'g': case 'G': shift = 30; break;
    case 't': case 'T': shift = 40; break;
    default: return std::nullopt;
  }
  if (value > (UINT64_MAX >> shift)) return std::nullopt;
  return value << shift;
}

std::vector<std::string> SplitOptions(std::string_view text) {
  std::vector<std::string> words;
  std::string word;
  bool in_word = false;
  char quote = '\0';
  for (char c : text) {
    if (quote != '\0') {
      if (c == quote) {
        quote = '\0';
      } else {
        word += c;
      }
    } else if (c == '\'' || c == '"') {
      quote = c;
      in_word = true;
    } else if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      if (in_word) words.push_back(std::move(word));
      word.clear();
      in_word = false;
    } else {
      word += c;
      in_word = true;
    }
  }
  if (in_word) words.push_back(std::move(word));
  return words;
}

void ApplyJavaOption(std::string_view option, JavaSizes* sizes) {
  const std::pair<std::string_view, std::optional<std::uint64_t> JavaSizes::*> kOptions[] = {
      {"-Xmx", &JavaSizes::max_heap},
      {"-XX:MaxHeapSize=", &JavaSizes::max_heap},
      {"-XX:CompressedClassSpaceSize=", &JavaSizes::class_space},
      {"-XX:MaxMetaspaceSize=", &JavaSizes::metaspace},
      {"-XX:ReservedCodeCacheSize=", &JavaSizes::code_cache}};
  for (const auto& [prefix, member] : kOptions) {
    if (!StartsWith(option, prefix)) continue;
    // The JVM refuses to start on a malformed size; leaving it unknown costs nothing then.
    if (std::optional<std::uint64_t> value = ParseJavaSize(option.substr(prefix.size()))) {
      sizes->*member = value;
    }
    return;
  }
}

std::vector<std::string> JavaLauncherOptions(const std::vector<std::string>& argv) {
  std::vector<std::string> options;
  for (std::size_t i = 1; i < argv.size(); ++i) {
    const std::string& arg = argv[i];
    if (arg.empty() || arg[0] != '-' || arg == "-jar" || arg == "-m" || arg == "--module" ||
        StartsWith(arg, "--module=")) {
      break;
    }
    if (TakesValue(arg)) {
      ++i;
      continue;
    }
    options.push_back(arg);
  }
  return options;
}

std::vector<std::string> NodeOptionsInArgv(const std::vector<std::string>& argv) {
  std::vector<std::string> options;
  for (std::size_t i = 1; i < argv.size(); ++i) {
    const std::string& arg = argv[i];
    if (arg.empty() || arg[0] != '-' || arg == "-" || arg == "--" || arg == "-e" ||
        arg == "--eval" || arg == "-p" || arg == "--print") {
      break;
    }
    options.push_back(arg);
  }
  return options;
}

std::optional<std::string> ShebangProgram(std::string_view first_bytes) {
  if (!StartsWith(first_bytes, "#!")) return std::nullopt;
  std::string_view line = first_bytes.substr(2, first_bytes.find('\n') - 2);
  std::vector<std::string> words = SplitOptions(line);
  if (words.empty()) return std::nullopt;
  if (BaseName(words[0]) != "env") return std::string(BaseName(words[0]));
  // env [-S] [-i] [NAME=VALUE]... PROGRAM: the first word that is neither.
  for (std::size_t i = 1; i < words.size(); ++i) {
    if (words[i][0] == '-' || words[i].find('=') != std::string::npos) continue;
    return std::string(BaseName(words[i]));
  }
  return std::nullopt;
}

std::string_view BaseName(std::string_view path) {
  const std::size_t slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

}  // namespace rlimit_init

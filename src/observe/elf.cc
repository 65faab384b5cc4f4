// SPDX-License-Identifier: Apache-2.0
#include "observe/elf.h"

#include <string.h>

namespace rlimit_init {
namespace {

// Little-endian fields, byte by byte: the bytes are a file's, with no alignment promised.
std::uint64_t Field(std::string_view bytes, std::size_t at, std::size_t size) {
  std::uint64_t value = 0;
  for (std::size_t i = size; i > 0; --i) {
    value = (value << 8) | static_cast<unsigned char>(bytes[at + i - 1]);
  }
  return value;
}

constexpr std::size_t kSectionHeaderBytes = 64;
constexpr std::size_t kDynamicEntryBytes = 16;
constexpr std::uint64_t kDtNull = 0;
constexpr std::uint64_t kDtNeeded = 1;

}  // namespace

std::optional<ElfHeader> ParseElfHeader(std::string_view bytes) {
  if (bytes.size() < kElfHeaderBytes || bytes.substr(0, 4) != "\x7f" "ELF") return std::nullopt;
  if (bytes[4] != 2 || bytes[5] != 1) return std::nullopt;  // ELFCLASS64, ELFDATA2LSB
  ElfHeader header;
  header.section_table = Field(bytes, 0x28, 8);
  header.section_size = static_cast<std::uint16_t>(Field(bytes, 0x3a, 2));
  header.section_count = static_cast<std::uint16_t>(Field(bytes, 0x3c, 2));
  header.names_index = static_cast<std::uint16_t>(Field(bytes, 0x3e, 2));
  if (header.section_table == 0 || header.section_count == 0 ||
      header.section_size != kSectionHeaderBytes || header.names_index >= header.section_count) {
    return std::nullopt;
  }
  return header;
}

std::vector<ElfSection> ParseSectionTable(std::string_view table) {
  std::vector<ElfSection> sections;
  sections.reserve(table.size() / kSectionHeaderBytes);
  for (std::size_t at = 0; at + kSectionHeaderBytes <= table.size(); at += kSectionHeaderBytes) {
    ElfSection s;
    s.name = static_cast<std::uint32_t>(Field(table, at, 4));
    s.type = static_cast<std::uint32_t>(Field(table, at + 4, 4));
    s.offset = Field(table, at + 24, 8);
    s.size = Field(table, at + 32, 8);
    s.link = static_cast<std::uint32_t>(Field(table, at + 40, 4));
    sections.push_back(s);
  }
  return sections;
}

std::string_view StringAt(std::string_view table, std::uint64_t offset) {
  if (offset >= table.size()) return {};
  std::string_view rest = table.substr(offset);
  return rest.substr(0, rest.find('\0'));
}

std::vector<std::string> NeededLibraries(std::string_view dynamic, std::string_view strings) {
  std::vector<std::string> needed;
  for (std::size_t at = 0; at + kDynamicEntryBytes <= dynamic.size(); at += kDynamicEntryBytes) {
    const std::uint64_t tag = Field(dynamic, at, 8);
    if (tag == kDtNull) break;
    if (tag == kDtNeeded) needed.emplace_back(StringAt(strings, Field(dynamic, at + 8, 8)));
  }
  return needed;
}

std::vector<std::string_view> StringsEndingWith(std::string_view table,
                                                std::string_view suffix) {
  std::vector<std::string_view> found;
  const std::string needle = std::string(suffix) + '\0';
  // string_view::find steps a character at a time past every first-character match ('_'
  // begins most symbols); glibc's memmem does not.
  std::size_t at = 0;
  while (at < table.size()) {
    const void* hit = memmem(table.data() + at, table.size() - at, needle.data(), needle.size());
    if (hit == nullptr) break;
    const std::size_t end = static_cast<std::size_t>(static_cast<const char*>(hit) - table.data()) +
                            suffix.size();
    const std::size_t start = table.rfind('\0', end - suffix.size()) + 1;  // npos + 1 == 0
    found.push_back(table.substr(start, end - start));
    at = end + 1;
  }
  // The last string of a table cut by its bound has no NUL after it.
  if (table.size() >= suffix.size() && table.back() != '\0' &&
      table.substr(table.size() - suffix.size()) == suffix) {
    const std::size_t start = table.rfind('\0') + 1;  // npos + 1 == 0
    found.push_back(table.substr(start));
  }
  return found;
}

bool HasString(std::string_view table, std::string_view name) {
  std::string needle;
  needle.reserve(name.size() + 2);
  needle += '\0';
  needle += name;
  needle += '\0';
  return memmem(table.data(), table.size(), needle.data(), needle.size()) != nullptr;
}

}  // namespace rlimit_init

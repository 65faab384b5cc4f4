// SPDX-License-Identifier: Apache-2.0
// Just enough of ELF to tell what a workload's executable is before exec: its section names,
// its DT_NEEDED libraries and whether its dynamic string table names a symbol. Pure: the
// caller reads the byte ranges these functions ask for (runtime.cc, through the System seam).
// Only 64-bit little-endian ELF (x86-64, aarch64) is read; anything else reads as "not ELF".
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rlimit_init {

/// What the ELF header says about where the section header table is.
struct ElfHeader {
  std::uint64_t section_table = 0;  // e_shoff
  std::uint16_t section_size = 0;   // e_shentsize
  std::uint16_t section_count = 0;  // e_shnum
  std::uint16_t names_index = 0;    // e_shstrndx
};

struct ElfSection {
  std::uint32_t name = 0;  // offset in the section name table
  std::uint32_t type = 0;
  std::uint64_t offset = 0;
  std::uint64_t size = 0;
  std::uint32_t link = 0;
};

inline constexpr std::size_t kElfHeaderBytes = 64;
inline constexpr std::uint32_t kSectionSymbols = 2;  // SHT_SYMTAB
inline constexpr std::uint32_t kSectionDynamic = 6;  // SHT_DYNAMIC
inline constexpr std::uint32_t kSectionNote = 7;     // SHT_NOTE
inline constexpr std::uint32_t kSectionPreinitArray = 16;  // SHT_PREINIT_ARRAY

/// The header of a 64-bit little-endian ELF file from its first kElfHeaderBytes; nullopt for
/// anything else, and for a file whose section count does not fit the header (extended
/// numbering, e_shnum 0) or whose section headers are not 64 bytes.
std::optional<ElfHeader> ParseElfHeader(std::string_view bytes);

/// The section headers in `table` (section_count x 64 bytes from section_table); a short
/// table yields the whole entries it holds.
std::vector<ElfSection> ParseSectionTable(std::string_view table);

/// The NUL-terminated string at `offset` of a string table; "" past its end.
std::string_view StringAt(std::string_view table, std::uint64_t offset);

/// The DT_NEEDED names of a .dynamic section, read in its string table (sh_link's section).
std::vector<std::string> NeededLibraries(std::string_view dynamic, std::string_view strings);

/// The whole strings of a string table that end with `suffix` (".dynstr" names every symbol
/// the dynamic symbol table has, defined or not). One memmem pass: a table is tens of KiB.
std::vector<std::string_view> StringsEndingWith(std::string_view table, std::string_view suffix);

/// Whether a string table holds `name` as one whole string (the first string of a table follows
/// its leading NUL, as ELF string tables begin).
bool HasString(std::string_view table, std::string_view name);

}  // namespace rlimit_init

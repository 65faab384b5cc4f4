// SPDX-License-Identifier: Apache-2.0
#include "observe/runtime.h"

#include <algorithm>

#include "observe/elf.h"
#include "os/system.h"

namespace rlimit_init {
namespace {

// Linux reads at most this much of a script for its "#!" line (BINPRM_BUF_SIZE since 5.1).
constexpr std::size_t kShebangBytes = 256;
// Bounds on what is read of an ELF file: real executables stay far below them (a Go binary has
// about 40 sections, python3.11's .dynstr is 39 KiB, a -static-libasan hello world's .strtab
// 155 KiB), and a hostile file costs no more than this.
constexpr std::size_t kMaxSections = 1024;
constexpr std::size_t kMaxSectionNames = 64 << 10;
constexpr std::size_t kMaxDynamic = 64 << 10;
constexpr std::size_t kMaxStrings = 1 << 20;

// The runtimes of the sanitizers that reserve their shadow memory up front.
constexpr std::pair<std::string_view, std::string_view> kSanitizerLibraries[] = {
    {"libasan.so", "AddressSanitizer"},
    {"libtsan.so", "ThreadSanitizer"},
    {"libhwasan.so", "HWAddressSanitizer"}};
// Each ends with "san_init": one pass over a string table finds them all.
constexpr std::pair<std::string_view, std::string_view> kSanitizerSymbols[] = {
    {"__asan_init", "AddressSanitizer"},
    {"__tsan_init", "ThreadSanitizer"},
    {"__msan_init", "MemorySanitizer"}};

std::optional<std::string> Variable(System& system, const WorkloadEnv& env, const char* name) {
  std::optional<std::string> value;
  if (const char* inherited = system.GetEnv(name)) value = inherited;
  for (const auto& [key, set] : env) {
    if (key == name) value = set;
  }
  return value;
}

// execvp's search: a name with a slash is a path; otherwise each PATH entry in turn (an empty
// one is the current directory), and glibc's default when PATH is unset.
std::optional<std::string> Resolve(System& system, const std::string& name,
                                   const WorkloadEnv& env) {
  if (name.empty()) return std::nullopt;
  if (name.find('/') != std::string::npos) return name;
  const std::string path = Variable(system, env, "PATH").value_or("/bin:/usr/bin");
  std::string_view rest = path;
  while (true) {
    const std::size_t colon = rest.find(':');
    std::string dir(rest.substr(0, colon));
    std::string candidate = (dir.empty() ? "" : dir + "/") + name;
    if (system.IsExecutableFile(candidate)) return candidate;
    if (colon == std::string_view::npos) return std::nullopt;
    rest.remove_prefix(colon + 1);
  }
}

// A weak reference that sanitizer_common (the runtime that AddressSanitizer, LeakSanitizer,
// ThreadSanitizer and MemorySanitizer share, and that reserves their terabytes) makes for an
// external symbolizer. It stays in .dynstr when gcc links the runtime statically
// (-static-libasan, -static-libtsan, -static-liblsan) and strip removes .symtab with its
// __asan_init; which of them it is, .dynstr does not say soundly, and each reserves terabytes
// as it starts (gcc 12's: ASan's shadow and TSan's allocator fail to map under a 1 TiB
// RLIMIT_AS, LSan's allocator under 8 GiB).
constexpr std::string_view kSanitizerCommonHook = "__sanitizer_symbolize_code";

// Whether a string table names a sanitizer's entry point; sets `runtime` when it does.
bool NamesSanitizer(std::string_view strings, WorkloadRuntime* runtime) {
  for (std::string_view name : StringsEndingWith(strings, "san_init")) {
    for (const auto& [symbol, sanitizer] : kSanitizerSymbols) {
      if (name != symbol) continue;
      runtime->kind = RuntimeKind::kSanitizer;
      runtime->sanitizer = sanitizer;
      runtime->evidence = RuntimeEvidence::kSymbol;
      runtime->evidence_name = symbol;
      return true;
    }
  }
  return false;
}

// Sets `runtime` from the ELF file at `path`: a Go program by its sections, a sanitizer build
// by its DT_NEEDED libraries or the sanitizer's entry point in its string tables: .dynstr
// (clang links its runtime statically and exports it there), else .strtab (gcc's
// -static-libasan exports nothing), else, stripped, sanitizer_common's symbolizer hook.
void ReadElf(System& system, const std::string& path, std::string_view first_bytes,
             WorkloadRuntime* runtime) {
  std::optional<ElfHeader> header = ParseElfHeader(first_bytes);
  if (!header || header->section_count > kMaxSections) return;
  ReadResult table = system.ReadFileAt(path, header->section_table,
                                       std::size_t{header->section_count} * 64);
  if (!table.ok) return;
  std::vector<ElfSection> sections = ParseSectionTable(table.data);
  if (header->names_index >= sections.size()) return;
  const ElfSection& names_section = sections[header->names_index];
  ReadResult names = system.ReadFileAt(
      path, names_section.offset, std::min<std::uint64_t>(names_section.size, kMaxSectionNames));
  if (!names.ok) return;
  const ElfSection* dynamic = nullptr;
  const ElfSection* symbols = nullptr;
  bool preinit = false;
  for (const ElfSection& section : sections) {
    std::string_view name = StringAt(names.data, section.name);
    if (name == ".go.buildinfo" || name == ".note.go.buildid") {
      runtime->kind = RuntimeKind::kGo;
      runtime->evidence = RuntimeEvidence::kElfSection;
      runtime->evidence_name = name;
      return;
    }
    if (section.type == kSectionDynamic && dynamic == nullptr) dynamic = &section;
    if (section.type == kSectionSymbols && symbols == nullptr) symbols = &section;
    if (section.type == kSectionPreinitArray) preinit = true;
  }
  if (dynamic == nullptr || dynamic->link >= sections.size()) return;
  const ElfSection& strings_section = sections[dynamic->link];
  ReadResult entries = system.ReadFileAt(path, dynamic->offset,
                                         std::min<std::uint64_t>(dynamic->size, kMaxDynamic));
  ReadResult strings = system.ReadFileAt(
      path, strings_section.offset,
      std::min<std::uint64_t>(strings_section.size, kMaxStrings));
  if (!entries.ok || !strings.ok) return;
  for (const std::string& library : NeededLibraries(entries.data, strings.data)) {
    for (const auto& [prefix, sanitizer] : kSanitizerLibraries) {
      if (library.compare(0, prefix.size(), prefix) != 0) continue;
      runtime->kind = RuntimeKind::kSanitizer;
      runtime->sanitizer = sanitizer;
      runtime->evidence = RuntimeEvidence::kNeededLibrary;
      runtime->evidence_name = library;
      return;
    }
  }
  if (NamesSanitizer(strings.data, runtime)) return;
  if (symbols == nullptr) {
    // Stripped: only .dynstr is left to tell a statically linked sanitizer runtime by, and
    // the runtime starts from .preinit_array, which ordinary programs do not have: only those
    // that have one pay for the search (python3.11's 39 KiB .dynstr would cost 24,000
    // instructions more).
    if (preinit && HasString(strings.data, kSanitizerCommonHook)) {
      runtime->kind = RuntimeKind::kSanitizer;
      runtime->evidence = RuntimeEvidence::kStrippedSymbol;
      runtime->evidence_name = kSanitizerCommonHook;
    }
    return;
  }
  if (symbols->link >= sections.size()) return;
  const ElfSection& symbol_names = sections[symbols->link];
  ReadResult all = system.ReadFileAt(
      path, symbol_names.offset, std::min<std::uint64_t>(symbol_names.size, kMaxStrings));
  if (all.ok) NamesSanitizer(all.data, runtime);
}

void ReadJava(System& system, const std::vector<std::string>& command, const WorkloadEnv& env,
              WorkloadRuntime* runtime) {
  // The JVM reads JAVA_TOOL_OPTIONS first, the launcher puts JDK_JAVA_OPTIONS before the
  // command line's options, and _JAVA_OPTIONS comes last: the last of each option wins.
  const std::optional<std::string> tool = Variable(system, env, "JAVA_TOOL_OPTIONS");
  runtime->java_tool_options = tool.value_or("");
  for (const char* name : {"JAVA_TOOL_OPTIONS", "JDK_JAVA_OPTIONS"}) {
    for (const std::string& option : SplitOptions(Variable(system, env, name).value_or(""))) {
      ApplyJavaOption(option, &runtime->java);
    }
  }
  std::vector<std::string> fixed = JavaLauncherOptions(command);
  for (const std::string& option :
       SplitOptions(Variable(system, env, "_JAVA_OPTIONS").value_or(""))) {
    fixed.push_back(option);
  }
  for (const std::string& option : fixed) {
    ApplyJavaOption(option, &runtime->java);
    ApplyJavaOption(option, &runtime->java_fixed);
  }
}

void ReadNode(System& system, const std::vector<std::string>& command, const WorkloadEnv& env,
              WorkloadRuntime* runtime) {
  runtime->node_options = Variable(system, env, "NODE_OPTIONS").value_or("");
  std::vector<std::string> options = SplitOptions(runtime->node_options);
  for (std::string& option : NodeOptionsInArgv(command)) options.push_back(std::move(option));
  for (const std::string& option : options) {
    if (option == "--disable-wasm-trap-handler") runtime->wasm_trap_handler_off = true;
  }
}

}  // namespace

WorkloadRuntime ObserveRuntime(System& system, const std::vector<std::string>& command,
                       const WorkloadEnv& env) {
  WorkloadRuntime runtime;
  if (command.empty()) return runtime;
  runtime.program = command.front();
  const std::string_view name = BaseName(command.front());
  if (name == "java") {
    runtime.kind = RuntimeKind::kJava;
    runtime.evidence = RuntimeEvidence::kName;
    ReadJava(system, command, env, &runtime);
    return runtime;
  }
  if (name == "node" || name == "nodejs") {
    runtime.kind = RuntimeKind::kNode;
    runtime.evidence = RuntimeEvidence::kName;
    ReadNode(system, command, env, &runtime);
    return runtime;
  }
  const std::optional<std::string> path = Resolve(system, command.front(), env);
  if (!path) return runtime;
  ReadResult first = system.ReadFileAt(*path, 0, kShebangBytes);
  if (!first.ok) return runtime;
  if (std::optional<std::string> program = ShebangProgram(first.data)) {
    if (*program == "node" || *program == "nodejs") {
      runtime.kind = RuntimeKind::kNode;
      runtime.evidence = RuntimeEvidence::kShebang;
      runtime.evidence_name = *program;
      // A script's own arguments are not node's options.
      ReadNode(system, {}, env, &runtime);
    }
    return runtime;
  }
  ReadElf(system, *path, first.data, &runtime);
  return runtime;
}

}  // namespace rlimit_init

// SPDX-License-Identifier: Apache-2.0
// Recognising the runtime a workload starts (observe/runtime.h, observe/elf.h) and what it
// reserves of a grant (decide/runtime_budget.h).
#include "observe/runtime.h"

#include <gtest/gtest.h>

#include "decide/runtime_budget.h"
#include "fake_system.h"
#include "observe/elf.h"

namespace rlimit_init {
namespace {

constexpr std::uint64_t kMiB = 1ULL << 20;
constexpr std::uint64_t kGiB = 1ULL << 30;

void Put(std::string* bytes, std::size_t at, std::uint64_t value, std::size_t size) {
  if (bytes->size() < at + size) bytes->resize(at + size, '\0');
  for (std::size_t i = 0; i < size; ++i) (*bytes)[at + i] = static_cast<char>(value >> (8 * i));
}

struct Section {
  std::string name;
  std::uint32_t type = 1;  // SHT_PROGBITS
  std::string data;
  std::uint32_t link = 0;
};

// A 64-bit little-endian ELF file with these sections after a null one and .shstrtab, laid out
// as ld lays them out: header, section contents, then the section header table.
std::string Elf(const std::vector<Section>& given) {
  std::vector<Section> sections = {{"", 0, "", 0}, {".shstrtab", 3, "", 0}};
  sections.insert(sections.end(), given.begin(), given.end());
  std::string names(1, '\0');
  std::vector<std::size_t> name_at;
  for (const Section& s : sections) {
    name_at.push_back(s.name.empty() ? 0 : names.size());
    if (!s.name.empty()) names += s.name + '\0';
  }
  sections[1].data = names;
  std::string bytes = "\x7f" "ELF\x02\x01\x01";
  bytes.resize(64, '\0');
  std::vector<std::size_t> offsets;
  for (const Section& s : sections) {
    offsets.push_back(bytes.size());
    bytes += s.data;
  }
  const std::size_t table = bytes.size();
  bytes.resize(table + sections.size() * 64, '\0');
  for (std::size_t i = 0; i < sections.size(); ++i) {
    const std::size_t at = table + i * 64;
    Put(&bytes, at, name_at[i], 4);
    Put(&bytes, at + 4, sections[i].type, 4);
    Put(&bytes, at + 24, offsets[i], 8);
    Put(&bytes, at + 32, sections[i].data.size(), 8);
    Put(&bytes, at + 40, sections[i].link, 4);
  }
  Put(&bytes, 0x28, table, 8);
  Put(&bytes, 0x3a, 64, 2);
  Put(&bytes, 0x3c, sections.size(), 2);
  Put(&bytes, 0x3e, 1, 2);
  return bytes;
}

// A .dynamic section: (tag, value) pairs, 8 bytes each, ended by DT_NULL.
std::string Dynamic(const std::vector<std::pair<std::uint64_t, std::uint64_t>>& entries) {
  std::string bytes;
  for (const auto& [tag, value] : entries) {
    Put(&bytes, bytes.size(), tag, 8);
    Put(&bytes, bytes.size(), value, 8);
  }
  bytes.append(16, '\0');
  return bytes;
}

// An executable at /usr/local/bin/NAME, found through PATH.
WorkloadRuntime Observe(FakeSystem& system, const std::string& name, const std::string& bytes) {
  system.env["PATH"] = "/usr/bin:/usr/local/bin";
  system.executable.insert("/usr/local/bin/" + name);
  system.exec_files["/usr/local/bin/" + name] = bytes;
  return ObserveRuntime(system, {name}, {});
}

TEST(JavaSize, ReadsTheJvmsUnits) {
  EXPECT_EQ(ParseJavaSize("256m"), 256 * kMiB);
  EXPECT_EQ(ParseJavaSize("2G"), 2 * kGiB);
  EXPECT_EQ(ParseJavaSize("64k"), 64u * 1024);
  EXPECT_EQ(ParseJavaSize("1048576"), 1048576u);
  EXPECT_EQ(ParseJavaSize("1t"), 1024 * kGiB);
  EXPECT_EQ(ParseJavaSize("1.5g"), std::nullopt);
  EXPECT_EQ(ParseJavaSize("m"), std::nullopt);
  EXPECT_EQ(ParseJavaSize("256mb"), std::nullopt);
  EXPECT_EQ(ParseJavaSize("99999999999t"), std::nullopt);
}

TEST(SplitOptions, KeepsQuotedWordsTogether) {
  EXPECT_EQ(SplitOptions("  -Xmx1g\t-Dname='a b' \"-Dx=1 2\"  "),
            (std::vector<std::string>{"-Xmx1g", "-Dname=a b", "-Dx=1 2"}));
  EXPECT_EQ(SplitOptions(""), std::vector<std::string>{});
}

TEST(JavaLauncherOptions, StopAtTheMainClassOrJar) {
  EXPECT_EQ(JavaLauncherOptions({"java", "-cp", "-Xmx9g", "-Xmx1g", "Main", "-Xmx2g"}),
            std::vector<std::string>{"-Xmx1g"});
  EXPECT_EQ(JavaLauncherOptions({"java", "-Xss1m", "-jar", "app.jar", "-Xmx2g"}),
            std::vector<std::string>{"-Xss1m"});
  EXPECT_EQ(JavaLauncherOptions({"java", "-version"}), std::vector<std::string>{"-version"});
}

TEST(ObserveRuntime, JavaSizesAsTheJvmSeesThem) {
  FakeSystem system;
  system.env["JAVA_TOOL_OPTIONS"] = "-Xmx4g -XX:CompressedClassSpaceSize=128m";
  system.env["JDK_JAVA_OPTIONS"] = "-XX:ReservedCodeCacheSize=64m";
  // The policy's env: wins over the inherited variable; the command line over both.
  WorkloadRuntime r = ObserveRuntime(
      system, {"/usr/lib/jvm/java-17-openjdk-amd64/bin/java", "-Xmx512m", "-jar", "a.jar", "-Xmx9g"},
      {{"JAVA_TOOL_OPTIONS", "-Xmx2g -XX:MaxMetaspaceSize=256m"}});
  EXPECT_EQ(r.kind, RuntimeKind::kJava);
  EXPECT_EQ(r.evidence, RuntimeEvidence::kName);
  EXPECT_EQ(r.java.max_heap, 512 * kMiB);
  EXPECT_EQ(r.java.class_space, std::nullopt);
  EXPECT_EQ(r.java.metaspace, 256 * kMiB);
  EXPECT_EQ(r.java.code_cache, 64 * kMiB);
  EXPECT_EQ(r.java_fixed.max_heap, 512 * kMiB);
  EXPECT_EQ(r.java_fixed.code_cache, std::nullopt);
  EXPECT_EQ(r.java_tool_options, "-Xmx2g -XX:MaxMetaspaceSize=256m");
  EXPECT_TRUE(system.read_at_calls.empty());  // a name says it all: nothing is read
  system.env["_JAVA_OPTIONS"] = "-Xmx100m";
  EXPECT_EQ(ObserveRuntime(system, {"java", "-Xmx512m", "Main"}, {}).java.max_heap, 100 * kMiB);
}

TEST(ObserveRuntime, NodeTrapHandlerFromArgvOrNodeOptions) {
  FakeSystem system;
  EXPECT_FALSE(ObserveRuntime(system, {"node", "app.js", "--disable-wasm-trap-handler"}, {})
                   .wasm_trap_handler_off);
  EXPECT_TRUE(ObserveRuntime(system, {"node", "--disable-wasm-trap-handler", "app.js"}, {})
                  .wasm_trap_handler_off);
  EXPECT_TRUE(ObserveRuntime(system, {"nodejs", "-e", "1"},
                             {{"NODE_OPTIONS", "--max-old-space-size=100 "
                                               "--disable-wasm-trap-handler"}})
                  .wasm_trap_handler_off);
}

TEST(ShebangProgram, NamesWhatTheScriptRuns) {
  EXPECT_EQ(ShebangProgram("#!/usr/bin/env node\nrequire('x')"), "node");
  EXPECT_EQ(ShebangProgram("#!/usr/bin/env -S node --flag\n"), "node");
  EXPECT_EQ(ShebangProgram("#! /usr/bin/nodejs\n"), "nodejs");
  EXPECT_EQ(ShebangProgram("#!/bin/sh -e\n"), "sh");
  EXPECT_EQ(ShebangProgram("#!/usr/bin/env\n"), std::nullopt);
  EXPECT_EQ(ShebangProgram("\x7f" "ELF"), std::nullopt);
}

TEST(ObserveRuntime, ANodeScriptThroughPathAsExecvpFindsIt) {
  FakeSystem system;
  // /usr/bin/npm exists but is not executable: execvp goes on to the next entry.
  system.exec_files["/usr/bin/npm"] = "#!/bin/sh\n";
  WorkloadRuntime r = Observe(system, "npm", "#!/usr/bin/env node\nrequire('npm')\n");
  EXPECT_EQ(r.kind, RuntimeKind::kNode);
  EXPECT_EQ(r.program, "npm");
  EXPECT_EQ(r.evidence, RuntimeEvidence::kShebang);
  EXPECT_EQ(r.evidence_name, "node");
  EXPECT_EQ(system.read_at_calls, std::vector<std::string>{"/usr/local/bin/npm 0 256"});
}

TEST(ObserveRuntime, TheWorkloadsPathWinsAndAShellScriptIsNothing) {
  FakeSystem system;
  system.env["PATH"] = "/usr/local/bin";
  system.executable = {"/opt/bin/tool", "/usr/local/bin/tool"};
  system.exec_files["/opt/bin/tool"] = "#!/bin/sh\nexec java Main\n";
  WorkloadRuntime r = ObserveRuntime(system, {"tool"}, {{"PATH", "/opt/bin"}});
  EXPECT_EQ(r.kind, RuntimeKind::kNone);
  EXPECT_EQ(system.read_at_calls, std::vector<std::string>{"/opt/bin/tool 0 256"});
  EXPECT_EQ(ObserveRuntime(system, {"missing"}, {}).kind, RuntimeKind::kNone);
}

TEST(ObserveRuntime, AGoProgramByItsBuildInfoSection) {
  FakeSystem system;
  const std::string elf = Elf({{".text", 1, "code", 0}, {".go.buildinfo", 1, "buildinf", 0}});
  WorkloadRuntime r = Observe(system, "server", elf);
  EXPECT_EQ(r.kind, RuntimeKind::kGo);
  EXPECT_EQ(r.evidence, RuntimeEvidence::kElfSection);
  EXPECT_EQ(r.evidence_name, ".go.buildinfo");
  // The first bytes, the section header table, the section names: nothing else.
  const std::size_t table = elf.size() - 4 * 64;
  EXPECT_EQ(system.read_at_calls,
            (std::vector<std::string>{"/usr/local/bin/server 0 256",
                                      "/usr/local/bin/server " + std::to_string(table) + " 256",
                                      "/usr/local/bin/server 64 31"}));
  EXPECT_EQ(Observe(system, "gccgo", Elf({{".note.go.buildid", 7, "id", 0}})).kind,
            RuntimeKind::kGo);
}

TEST(ObserveRuntime, ASanitizerBuildByDtNeededOrItsEntryPoint) {
  FakeSystem system;
  const std::string strings = std::string("\0libasan.so.8\0libc.so.6\0", 24);
  WorkloadRuntime asan = Observe(
      system, "test",
      Elf({{".dynstr", 3, strings, 0}, {".dynamic", kSectionDynamic, Dynamic({{1, 1}, {1, 14}}),
                                       2}}));
  EXPECT_EQ(asan.kind, RuntimeKind::kSanitizer);
  EXPECT_EQ(asan.sanitizer, "AddressSanitizer");
  EXPECT_EQ(asan.evidence, RuntimeEvidence::kNeededLibrary);
  EXPECT_EQ(asan.evidence_name, "libasan.so.8");
  // -static-libasan, or clang: the runtime is inside, its entry point in .dynstr.
  const std::string tsan = std::string("\0libc.so.6\0__tsan_init\0", 23);
  WorkloadRuntime t = Observe(
      system, "race",
      Elf({{".dynstr", 3, tsan, 0}, {".dynamic", kSectionDynamic, Dynamic({{1, 1}}), 2}}));
  EXPECT_EQ(t.kind, RuntimeKind::kSanitizer);
  EXPECT_EQ(t.sanitizer, "ThreadSanitizer");
  EXPECT_EQ(t.evidence, RuntimeEvidence::kSymbol);
  EXPECT_EQ(t.evidence_name, "__tsan_init");
  // gcc's -static-libasan: only .symtab's string table names it.
  const std::string statics = std::string("\0main\0__asan_init\0", 18);
  WorkloadRuntime s = Observe(
      system, "static",
      Elf({{".dynstr", 3, std::string("\0libc.so.6\0", 11), 0},
           {".dynamic", kSectionDynamic, Dynamic({{1, 1}}), 2},
           {".strtab", 3, statics, 0}, {".symtab", kSectionSymbols, "", 4}}));
  EXPECT_EQ(s.kind, RuntimeKind::kSanitizer);
  EXPECT_EQ(s.evidence, RuntimeEvidence::kSymbol);
  EXPECT_EQ(s.evidence_name, "__asan_init");
  // A name that only contains an entry point's name is not one.
  const std::string plain = std::string("\0libc.so.6\0my__asan_init\0", 25);
  EXPECT_EQ(Observe(system, "plain",
                    Elf({{".dynstr", 3, plain, 0},
                         {".dynamic", kSectionDynamic, Dynamic({{1, 1}}), 2}}))
                .kind,
            RuntimeKind::kNone);
}

TEST(ObserveRuntime, AStrippedStaticSanitizerBySanitizerCommonsHook) {
  // gcc -fsanitize=address -static-libasan, stripped: no .symtab, no __asan_init anywhere, the
  // runtime started from .preinit_array and its symbolizer hook left in .dynstr (as gcc 12's
  // -static-libtsan and -static-liblsan leave it).
  FakeSystem system;
  const std::string strings =
      std::string("\0libc.so.6\0__sanitizer_symbolize_code\0__lsan_is_turned_off\0", 59);
  auto build = [&](const std::string& dynstr, bool preinit) {
    std::vector<Section> sections = {{".dynstr", 3, dynstr, 0},
                                     {".dynamic", kSectionDynamic, Dynamic({{1, 1}}), 2}};
    if (preinit) sections.push_back({".preinit_array", kSectionPreinitArray, "12345678", 0});
    return Elf(sections);
  };
  WorkloadRuntime stripped = Observe(system, "asan-static", build(strings, true));
  EXPECT_EQ(stripped.kind, RuntimeKind::kSanitizer);
  EXPECT_EQ(stripped.sanitizer, "");  // the file does not say which
  EXPECT_EQ(stripped.evidence, RuntimeEvidence::kStrippedSymbol);
  EXPECT_EQ(stripped.evidence_name, "__sanitizer_symbolize_code");
  // Without .preinit_array, .dynstr is not searched: ordinary programs pay nothing.
  EXPECT_EQ(Observe(system, "no-preinit", build(strings, false)).kind, RuntimeKind::kNone);
  // Only the whole name counts.
  EXPECT_EQ(Observe(system, "longer",
                    build(std::string("\0libc.so.6\0my__sanitizer_symbolize_code\0", 40), true))
                .kind,
            RuntimeKind::kNone);
}

TEST(ElfHeader, RefusesWhatItDoesNotRead) {
  std::string elf = Elf({});
  EXPECT_TRUE(ParseElfHeader(elf).has_value());
  std::string thirty_two = elf;
  thirty_two[4] = 1;  // ELFCLASS32
  EXPECT_EQ(ParseElfHeader(thirty_two), std::nullopt);
  EXPECT_EQ(ParseElfHeader(elf.substr(0, 63)), std::nullopt);
  std::string no_sections = elf;
  Put(&no_sections, 0x3c, 0, 2);  // extended numbering
  EXPECT_EQ(ParseElfHeader(no_sections), std::nullopt);
}

TEST(ElfTables, StringsStopAtTheirEnds) {
  const std::string table = std::string("\0abc\0de", 7);
  EXPECT_EQ(StringAt(table, 1), "abc");
  EXPECT_EQ(StringAt(table, 5), "de");  // no final NUL: up to the end
  EXPECT_EQ(StringAt(table, 99), "");
  EXPECT_EQ(StringsEndingWith(std::string("\0__asan_init\0x__tsan_init\0san_init", 34),
                              "san_init"),
            (std::vector<std::string_view>{"__asan_init", "x__tsan_init", "san_init"}));
  EXPECT_EQ(StringsEndingWith(table, "bc"), std::vector<std::string_view>{"abc"});
  EXPECT_EQ(StringsEndingWith(table, "x"), std::vector<std::string_view>{});
  EXPECT_EQ(StringsEndingWith(table, "e"), std::vector<std::string_view>{"de"});
  EXPECT_TRUE(HasString(table, "abc"));
  EXPECT_FALSE(HasString(table, "bc"));
  EXPECT_FALSE(HasString(table, "de"));  // cut by the bound: not a whole string
  EXPECT_EQ(NeededLibraries(Dynamic({{1, 1}, {5, 0}, {1, 5}}), table),
            (std::vector<std::string>{"abc", "de"}));
}

WorkloadRuntime Java(JavaSizes sizes = {}, JavaSizes fixed = {}) {
  WorkloadRuntime r;
  r.kind = RuntimeKind::kJava;
  r.program = "java";
  r.evidence = RuntimeEvidence::kName;
  r.java = sizes;
  r.java_fixed = fixed;
  return r;
}

TEST(JvmEstimate, HeapIsHalfTheGrantOrAQuarterOfMemory) {
  JvmEstimate e = EstimateJvm({}, 0, 4 * kGiB, 64 * kGiB);
  EXPECT_EQ(e.heap, 2 * kGiB);
  EXPECT_EQ(e.total, 2 * kGiB + 2 * kGiB / 25 + kJvmClassSpace + kJvmCodeCache + kJvmRest);
  EXPECT_EQ(EstimateJvm({}, 0, 4 * kGiB, 4 * kGiB).heap, kGiB);
  JvmEstimate fixed = EstimateJvm({256 * kMiB, std::nullopt, 100 * kMiB, 32 * kMiB}, 2,
                                  kGiB, std::nullopt);
  EXPECT_EQ(fixed.class_space, 80 * kMiB);  // 80% of MaxMetaspaceSize
  EXPECT_EQ(fixed.rest, kJvmRestTwoArenas);
}

// The figures each runtime's warning carries; report/warning_text.cc words them
// (warning_text_test.cc).
TEST(RuntimeWarnings, AJvmWithoutXmxGetsJavaToolOptionsThatFitTheGrant) {
  std::optional<RuntimeWarning> w = WarnRuntime(Java(), 0, 2 * kGiB, 64 * kGiB);
  ASSERT_TRUE(w);
  const JvmWarning& jvm = std::get<JvmWarning>(*w);
  EXPECT_EQ(jvm.grant, 2 * kGiB);
  EXPECT_EQ(jvm.estimate.heap, kGiB);
  EXPECT_EQ(jvm.estimate.heap_from, HeapFrom::kHalfGrant);
  EXPECT_EQ(jvm.class_space, kJvmFixClassSpace);
  EXPECT_EQ(jvm.code_cache, kJvmFixCodeCache);
  EXPECT_EQ(jvm.max_heap, 1024 * kMiB);
  EXPECT_TRUE(jvm.arenas);
  EXPECT_TRUE(jvm.fix_fits);
  EXPECT_EQ(jvm.least_grant, 17 * kGiB / 4);  // 4.25 GiB
  EXPECT_EQ(WarnRuntime(Java(), 0, 5 * kGiB, 64 * kGiB), std::nullopt);
  EXPECT_EQ(WarnRuntime(Java(), 0, kUnlimited, 64 * kGiB), std::nullopt);
}

TEST(RuntimeWarnings, AnXmxOnTheCommandLineStaysAndTheGrantMustHoldIt) {
  WorkloadRuntime java = Java({2 * kGiB, std::nullopt, std::nullopt, std::nullopt},
                              {2 * kGiB, std::nullopt, std::nullopt, std::nullopt});
  java.java_tool_options = "-Dfile.encoding=UTF-8";
  std::optional<RuntimeWarning> w = WarnRuntime(java, 2, kGiB, std::nullopt);
  ASSERT_TRUE(w);
  const JvmWarning& jvm = std::get<JvmWarning>(*w);
  EXPECT_EQ(jvm.estimate.heap_from, HeapFrom::kXmx);
  EXPECT_EQ(jvm.max_heap, std::nullopt);  // the command line's -Xmx wins over the fix's
  EXPECT_FALSE(jvm.arenas);               // MALLOC_ARENA_MAX is 2 already
  EXPECT_FALSE(jvm.fix_fits);
  EXPECT_EQ(jvm.least_grant_fixed, 11 * kGiB / 4);  // 2.75 GiB
  EXPECT_EQ(jvm.least_grant, 4 * kGiB);
}

TEST(RuntimeWarnings, NodeWasmAndItsSwitch) {
  WorkloadRuntime node;
  node.kind = RuntimeKind::kNode;
  node.program = "npm";
  EXPECT_EQ(WarnRuntime(node, 0, 4 * kGiB, std::nullopt),
            RuntimeWarning(NodeWarning{4 * kGiB, false, kNodeStart, kNodeWasmMemory,
                                       747 * kMiB, 45 * kGiB / 4}));
  EXPECT_EQ(WarnRuntime(node, 0, 12 * kGiB, std::nullopt), std::nullopt);
  node.wasm_trap_handler_off = true;
  EXPECT_EQ(WarnRuntime(node, 0, 4 * kGiB, std::nullopt), std::nullopt);
  EXPECT_EQ(WarnRuntime(node, 0, 512 * kMiB, std::nullopt),
            RuntimeWarning(NodeWarning{512 * kMiB, true, kNodeStart, kNodeWasmMemory,
                                       747 * kMiB, 45 * kGiB / 4}));
}

TEST(RuntimeWarnings, GoAndSanitizers) {
  WorkloadRuntime go;
  go.kind = RuntimeKind::kGo;
  EXPECT_EQ(WarnRuntime(go, 0, 512 * kMiB, std::nullopt),
            RuntimeWarning(GoWarning{512 * kMiB, kGoStart, 730 * kMiB}));
  EXPECT_EQ(WarnRuntime(go, 0, 695 * kMiB, std::nullopt), std::nullopt);
  WorkloadRuntime asan;
  asan.kind = RuntimeKind::kSanitizer;
  asan.sanitizer = "AddressSanitizer";
  EXPECT_EQ(WarnRuntime(asan, 0, 1024 * kGiB, std::nullopt),
            RuntimeWarning(SanitizerWarning{1024 * kGiB, kSanitizerShadow}));
  asan.sanitizer = "ThreadSanitizer";
  EXPECT_EQ(WarnRuntime(asan, 0, 1024 * kGiB, std::nullopt),
            RuntimeWarning(SanitizerWarning{1024 * kGiB, std::nullopt}));
  EXPECT_EQ(WarnRuntime(asan, 0, kUnlimited, std::nullopt), std::nullopt);
}

}  // namespace
}  // namespace rlimit_init

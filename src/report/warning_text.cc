// SPDX-License-Identifier: Apache-2.0
#include "report/warning_text.h"

#include <initializer_list>
#include <string_view>

#include "base/quantity.h"
#include "base/text.h"
#include "policy/limit_value.h"
#include "report/cgroup_note_text.h"

namespace rlimit_init {
namespace {

constexpr std::uint64_t kMiB = 1ULL << 20;

std::string JavaSize(std::uint64_t bytes) { return std::to_string(bytes / kMiB) + "m"; }

// "nofile: " before a limit's warnings; the address space's go without.
std::string Prefix(Resource resource) {
  return resource == Resource::kAs ? "" : Cat({Row(resource).name, ": "});
}

// Where the request came from: "addressSpace.request", "limits.nofile", "--as",
// "RLIMIT_INIT_LIMITS nofile" ...
const std::string& Origin(Resource resource, const Policy& policy) {
  static const std::string kNone;
  if (resource == Resource::kAs) return policy.request_origin;
  const std::optional<LimitSpec>& spec = policy.limits[static_cast<std::size_t>(resource)];
  return spec ? spec->origin : kNone;
}

// How the runtime was recognised: "its name", "DT_NEEDED libasan.so.8", ...
std::string Evidence(const WorkloadRuntime& runtime) {
  const std::string& name = runtime.evidence_name;
  switch (runtime.evidence) {
    case RuntimeEvidence::kName:
      return "its name";
    case RuntimeEvidence::kShebang:
      return Cat({"its #! line runs ", name});
    case RuntimeEvidence::kElfSection:
      return Cat({"its ELF section ", name});
    case RuntimeEvidence::kNeededLibrary:
      return Cat({"DT_NEEDED ", name});
    case RuntimeEvidence::kSymbol:
      return Cat({"symbol ", name});
    case RuntimeEvidence::kStrippedSymbol:
      break;
  }
  return Cat({"symbol ", name, ", stripped"});
}

// Words each kind; `observed` and `policy` give the names.
struct Wording {
  const Observed& observed;
  const Policy& policy;

  std::string operator()(const CgroupNoteWarning& w) const {
    return CgroupNoteText(observed.cgroup.notes[w.index]);
  }

  std::string operator()(const StrictOvercommitWarning& w) const {
    std::string text =
        "vm.overcommit_memory is 2 (strict accounting): allocations fail with MemoryError once "
        "Committed_AS reaches CommitLimit, whatever the address-space limit";
    if (w.commit_limit && w.committed_as) {
      const std::uint64_t left =
          *w.committed_as >= *w.commit_limit ? 0 : *w.commit_limit - *w.committed_as;
      text += Cat({"; ", HumanBytes(*w.committed_as), " of ", HumanBytes(*w.commit_limit),
                   " is committed, ", HumanBytes(left), " left"});
    }
    return text;
  }

  std::string operator()(const KeptHigherSoftWarning& w) const {
    const std::string_view name = Row(w.resource).name;
    return Cat({name, ": the request ", FormatLimit(w.resource, w.request),
                " is below the inherited soft limit ", FormatLimit(w.resource, w.soft),
                ", which is kept; set limits.", name, ".lower: true to lower it"});
  }

  // A request below the policy's own minimum can only come from an override (--as, --limit,
  // RLIMIT_INIT_LIMITS) or a percentage that resolved low: the request wins, as the command
  // line wins over the policy everywhere, but not silently.
  std::string operator()(const BelowMinimumWarning& w) const {
    const Resource r = w.resource;
    const std::string minimum = FormatLimit(r, w.minimum);
    return Cat({Prefix(r), Origin(r, policy), " asks for ", FormatLimit(r, w.request),
                ", below the policy's minimum ", minimum, ": the request wins, so the job gets ",
                FormatLimit(r, w.granted), ", less than its policy says it needs; ask for at "
                "least ", minimum, ", or lower the policy's minimum"});
  }

  std::string operator()(const GrantedHardLimitWarning& w) const {
    const Resource r = w.resource;
    return Cat({Prefix(r), "granted the hard limit ", FormatLimit(r, w.hard), ", less than the ",
                FormatLimit(r, w.request), " requested; the minimum ", FormatLimit(r, w.minimum),
                " is met"});
  }

  std::string operator()(const NoCapabilityWarning& w) const {
    return Cat({Prefix(w.resource), "raiseHard is set but the process lacks CAP_SYS_RESOURCE in "
                "the initial user namespace, so the hard limit stays ",
                FormatLimit(w.resource, w.hard)});
  }

  // Address space past the cgroup limit turns a MemoryError into an OOM kill.
  std::string operator()(const AboveCgroupWarning& w) const {
    const std::string_view what =
        w.inherited ? "the inherited soft limit" : "the address space granted";
    const std::string_view tail = w.inherited ? "; rlimit-init does not lower limits" : "";
    if (!w.cgroup_limit) {
      return Cat({what, " (", HumanBytes(w.bytes), ") may be above the cgroup memory limit, "
                  "which is unknown: past that limit the kernel OOM-kills the job instead of "
                  "letting it catch MemoryError", tail});
    }
    const std::string limit = HumanBytes(*w.cgroup_limit);
    return Cat({what, " (", HumanBytes(w.bytes), ") is above the cgroup memory limit ", limit,
                " (", observed.cgroup.limit_source, "): past ", limit,
                " the kernel OOM-kills the job instead of letting it catch MemoryError", tail});
  }

  std::string operator()(const DataLimitWarning& w) const {
    return Cat({"the data limit (RLIMIT_DATA, ulimit -d) is ", HumanBytes(w.data_soft),
                ": allocations past it still fail with MemoryError"});
  }

  std::string operator()(const ThreadsWarning& w) const {
    const Budget& b = w.budget;
    const std::string threads_from =
        b.threads_variable
            ? Cat({kBudgetVariables[*b.threads_variable], "=", b.threads_value})
            : "one per CPU of the affinity mask, as OpenBLAS and OpenMP start them";
    const std::string arenas_from =
        !b.arenas_variable      ? Cat({"8 x ", std::to_string(b.cpus), " CPUs"})
        : *b.arenas_variable == 0 ? Cat({"MALLOC_ARENA_MAX=", b.arenas_value})
                                  : "glibc.malloc.arena_max=" + std::to_string(b.arena_limit);
    std::string text = Cat(
        {"address-space budget: ", std::to_string(b.threads), " threads (", threads_from,
         ") reserve ", HumanBytes(b.reserved), " of the ", HumanBytes(w.grant), " grant: ",
         std::to_string(b.threads - 1), b.threads == 2 ? " more stack of " : " more stacks of ",
         HumanBytes(b.stack),
         w.stack_unlimited ? " (glibc's default under an unlimited RLIMIT_STACK)"
                           : " (RLIMIT_STACK)",
         " and OpenBLAS buffers of 128 MiB; threads that call malloc add up to ",
         std::to_string(b.arena_limit > 0 ? b.arena_limit - 1 : 0), " malloc arenas of 64 MiB (",
         arenas_from, ")"});
    if (b.usable_cpus < b.cpus) {
      text += Cat({"; the cgroup CPU quota (", observed.budget.quota_source, ") allows ",
                   std::to_string(b.usable_cpus), b.usable_cpus == 1 ? " CPU" : " CPUs"});
    }
    return Cat({text, "; set env: {", w.set_arenas ? "MALLOC_ARENA_MAX: \"2\", " : "",
                "OPENBLAS_NUM_THREADS: \"", std::to_string(w.set_threads),
                "\"} in the policy, or grant at least ", HumanBytes(w.least_grant)});
  }

  std::string operator()(const GpuWarning& w) const {
    return Cat({"address-space budget: GPU device node ", observed.budget.gpu_devices.front(),
                " found under a finite grant of ", HumanBytes(w.grant),
                ": CUDA reserves tens of GiB of virtual address space when it starts and fails "
                "under RLIMIT_AS; request unlimited address space for a GPU job"});
  }

  std::string operator()(const JvmWarning& w) const {
    const WorkloadRuntime& runtime = observed.runtime;
    const JvmEstimate& e = w.estimate;
    const std::string heap_from =
        e.heap_from == HeapFrom::kXmx ? "-Xmx" + JavaSize(e.heap)
        : e.heap_from == HeapFrom::kHalfGrant
            ? "no -Xmx: half the grant, as the JVM sizes it under RLIMIT_AS"
            : Cat({"no -Xmx: a quarter of the ", HumanBytes(e.memory), " of memory"});
    const std::string text =
        Cat({"address-space budget: ", runtime.program, " (a JVM, by ", Evidence(runtime),
             ") reserves about ", HumanBytes(e.total), " when it starts, over the ",
             HumanBytes(w.grant), " grant: a heap of ", HumanBytes(e.heap), " (", heap_from, "), ",
             HumanBytes(e.class_space), " of compressed class space, ", HumanBytes(e.code_cache),
             " of code cache and about ", HumanBytes(e.rest),
             " of malloc arenas, thread stacks and libraries"});
    // The fix's options go after what JAVA_TOOL_OPTIONS holds (the command line and
    // _JAVA_OPTIONS win over it).
    std::string options = runtime.java_tool_options;
    auto add = [&options](std::string_view option, std::uint64_t bytes) {
      options += Cat({options.empty() ? "" : " ", option, JavaSize(bytes)});
    };
    if (w.class_space != 0) add("-XX:CompressedClassSpaceSize=", w.class_space);
    if (w.code_cache != 0) add("-XX:ReservedCodeCacheSize=", w.code_cache);
    if (w.max_heap) add("-Xmx", *w.max_heap);
    std::string settings;
    if (options != runtime.java_tool_options) {
      settings = Cat({"JAVA_TOOL_OPTIONS: \"", options, "\""});
    }
    if (w.arenas) settings += Cat({settings.empty() ? "" : ", ", "MALLOC_ARENA_MAX: \"2\""});
    const std::string least = HumanBytes(w.least_grant);
    if (settings.empty()) return Cat({text, "; grant at least ", least});
    if (w.fix_fits) {
      return Cat({text, "; set env: {", settings, "} in the policy, or grant at least ", least});
    }
    return Cat({text, "; grant at least ", HumanBytes(w.least_grant_fixed), " with env: {",
                settings, "} in the policy, or ", least, " without"});
  }

  std::string operator()(const NodeWarning& w) const {
    const WorkloadRuntime& runtime = observed.runtime;
    const std::string what =
        Cat({"address-space budget: ", runtime.program, " (Node.js, by ", Evidence(runtime),
             ") reserves about ", HumanBytes(w.start), " when it starts"});
    if (w.trap_handler_off) {
      return Cat({what, ", over the ", HumanBytes(w.grant), " grant; grant at least ",
                  HumanBytes(w.least_grant)});
    }
    const bool short_of_start = w.grant < w.start;
    const std::string start =
        short_of_start ? Cat({"grant at least ", HumanBytes(w.least_grant), " with "}) : "set ";
    return Cat({what, " and ", HumanBytes(w.wasm_memory),
                " more for each WebAssembly memory (V8's guard region; fetch() and many "
                "libraries use WebAssembly), so the ", HumanBytes(w.grant), " grant holds ",
                short_of_start ? "not even its start" : "none", "; ", start,
                "env: {NODE_OPTIONS: \"", runtime.node_options,
                runtime.node_options.empty() ? "" : " ", "--disable-wasm-trap-handler\"} in the "
                "policy (Node.js 20.15 and later; older versions have no such switch), or ",
                short_of_start ? "" : "grant at least ", HumanBytes(w.least_grant_wasm),
                " for one WebAssembly memory"});
  }

  std::string operator()(const GoWarning& w) const {
    const WorkloadRuntime& runtime = observed.runtime;
    return Cat({"address-space budget: ", runtime.program, " (a Go program, by ", Evidence(runtime),
                ") reserves about ", HumanBytes(w.start),
                " before main (its heap arena index and page summaries), over the ",
                HumanBytes(w.grant),
                " grant, and its heap comes on top; GOMEMLIMIT does not "
                "lower it: grant at least ",
                HumanBytes(w.least_grant), " and what the heap needs"});
  }

  std::string operator()(const SanitizerWarning& w) const {
    const WorkloadRuntime& runtime = observed.runtime;
    return Cat({"address-space budget: ", runtime.program, " is built with ",
                runtime.sanitizer.empty() ? "a sanitizer's runtime" : runtime.sanitizer, " (",
                Evidence(runtime), "): it reserves ",
                w.shadow ? "about " + HumanBytes(*w.shadow) : std::string("terabytes"),
                " of shadow memory when it starts and fails under any finite RLIMIT_AS, this ",
                HumanBytes(w.grant),
                " grant included; request unlimited (addressSpace: {request: unlimited})"});
  }
};

}  // namespace

std::string WarningText(const Warning& warning, const Observed& observed, const Policy& policy) {
  return std::visit(Wording{observed, policy}, warning);
}

void AppendWarnings(std::string* out, const Warnings& warnings, const Observed& observed,
                    const Policy& policy) {
  for (const Warning& w : warnings) {
    *out += "rlimit-init: warning: ";
    *out += WarningText(w, observed, policy);
    *out += '\n';
  }
}

Json WarningsJson(const Warnings& warnings, const Observed& observed, const Policy& policy) {
  Json out = Json::array();
  for (const Warning& w : warnings) out.push_back(WarningText(w, observed, policy));
  return out;
}

}  // namespace rlimit_init

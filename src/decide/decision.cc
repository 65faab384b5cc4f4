// SPDX-License-Identifier: Apache-2.0
#include "decide/decision.h"

#include "decide/runtime_budget.h"

#include "policy/limit_value.h"
#include "base/quantity.h"

namespace rlimit_init {
namespace {

// Resolves a request or minimum to bytes; nullopt when a percentage meets no ceiling or an
// unknown one.
std::optional<std::uint64_t> Resolve(const AmountSpec& spec, const Observed& observed,
                                     std::optional<std::uint64_t> ceiling) {
  switch (spec.kind) {
    case AmountSpec::Kind::kBytes:
      return spec.bytes;
    case AmountSpec::Kind::kPercent:
      if (!ceiling || *ceiling == kUnlimited) return std::nullopt;
      return ApplyPercent(*ceiling, spec.basis_points);
    case AmountSpec::Kind::kNoLimit:
      return kUnlimited;
    case AmountSpec::Kind::kHard:
      return observed.limit(Resource::kAs).hard;
  }
  return std::nullopt;
}

std::string OomWarning(std::uint64_t granted, const CgroupMemory& cgroup, const char* what) {
  return std::string(what) + " (" + HumanBytes(granted) + ") is above the cgroup memory limit " +
         HumanBytes(cgroup.limit) + " (" + cgroup.limit_source + "): past " +
         HumanBytes(cgroup.limit) +
         " the kernel OOM-kills the job instead of letting it catch MemoryError";
}

// The same risk when the limit cannot be read: any grant may be above it.
std::string UnknownOomWarning(std::uint64_t granted, const char* what) {
  return std::string(what) + " (" + HumanBytes(granted) +
         ") may be above the cgroup memory limit, which is unknown: past that limit the kernel "
         "OOM-kills the job instead of letting it catch MemoryError";
}

void AddHostWarnings(const Observed& observed, Decision* d) {
  for (const std::string& note : observed.cgroup.notes) d->warnings.push_back(note);
  const HostMemory& host = observed.host;
  if (host.overcommit_mode == 2) {
    std::string warning =
        "vm.overcommit_memory is 2 (strict accounting): allocations fail with MemoryError once "
        "Committed_AS reaches CommitLimit, whatever the address-space limit";
    if (host.commit_limit && host.committed_as) {
      std::uint64_t left =
          *host.committed_as >= *host.commit_limit ? 0 : *host.commit_limit - *host.committed_as;
      warning += "; " + HumanBytes(*host.committed_as) + " of " + HumanBytes(*host.commit_limit) +
                 " is committed, " + HumanBytes(left) + " left";
    }
    d->warnings.push_back(warning);
  }
}

std::uint64_t ResolveValue(const AmountSpec& spec, const LimitPair& before) {
  switch (spec.kind) {
    case AmountSpec::Kind::kBytes:
      return spec.bytes;
    case AmountSpec::Kind::kHard:
      return before.hard;
    case AmountSpec::Kind::kNoLimit:
    case AmountSpec::Kind::kPercent:  // resolved by the caller; unlimited is the safe reading
      break;
  }
  return kUnlimited;
}

// Turns a percentage of the memory ceiling into a value; false when there is no ceiling or it
// is unknown.
bool ResolvePercent(AmountSpec* spec, std::optional<std::uint64_t> ceiling) {
  if (spec->kind != AmountSpec::Kind::kPercent) return true;
  if (!ceiling || *ceiling == kUnlimited) return false;
  spec->kind = AmountSpec::Kind::kBytes;
  spec->bytes = ApplyPercent(*ceiling, spec->basis_points);
  return true;
}

// A request below the policy's own minimum can only come from an override (--as, --limit,
// RLIMIT_INIT_LIMITS) or a percentage that resolved low: a policy file giving both as values
// is refused (78). The request wins, as the command line wins over the policy everywhere,
// but not silently: the job then gets less than its policy says it needs.
void BelowMinimumWarning(const LimitSpec& spec, const std::string& prefix, LimitDecision* d) {
  if (!d->minimum || d->after.soft >= *d->minimum) return;
  const Resource r = d->resource;
  d->warnings.push_back(prefix + spec.origin + " asks for " + FormatLimit(r, d->request) +
                        ", below the policy's minimum " + FormatLimit(r, *d->minimum) +
                        ": the request wins, so the job gets " + FormatLimit(r, d->after.soft) +
                        ", less than its policy says it needs; ask for at least " +
                        FormatLimit(r, *d->minimum) + ", or lower the policy's minimum");
}

}  // namespace

LimitDecision DecideLimit(Resource resource, const LimitSpec& spec, const LimitPair& before,
                          bool may_raise_hard) {
  LimitDecision d;
  d.resource = resource;
  d.before = before;
  d.after = before;
  d.request = ResolveValue(spec.request, before);
  if (spec.minimum) d.minimum = ResolveValue(*spec.minimum, before);
  const std::string name(Row(resource).name);
  const std::string prefix = resource == Resource::kAs ? "" : name + ": ";
  // 1. Never lower, unless the policy asks, and then only the soft limit.
  if (before.soft >= d.request) {
    if (before.soft > d.request && spec.lower) {
      d.outcome = Outcome::kLowered;
      d.after.soft = d.request;
    } else if (before.soft > d.request && resource != Resource::kAs &&
               !(d.minimum && d.request >= *d.minimum)) {
      // A request at or above its own minimum states a need (measure's recommended policy
      // does), which a higher soft limit meets: nothing to say. Without a minimum it may be
      // meant as a cap (core: 0).
      d.warnings.push_back(name + ": the request " + FormatLimit(resource, d.request) +
                           " is below the inherited soft limit " +
                           FormatLimit(resource, before.soft) + ", which is kept; set limits." +
                           name + ".lower: true to lower it");
    }
    BelowMinimumWarning(spec, prefix, &d);
    return d;
  }
  if (d.request <= before.hard) {
    // 2. Within the hard limit: raise the soft limit only.
    d.outcome = Outcome::kRaised;
    d.after.soft = d.request;
  } else if (spec.raise_hard && may_raise_hard) {
    // 3a. Above the hard limit, and allowed to move it.
    d.outcome = Outcome::kRaised;
    d.after = {d.request, d.request};
  } else if (d.minimum && before.hard >= *d.minimum) {
    // 3b. The hard limit is less than asked but enough to live with.
    d.outcome = Outcome::kPartial;
    d.after.soft = before.hard;
    d.warnings.push_back(prefix + "granted the hard limit " + FormatLimit(resource, before.hard) +
                         ", less than the " + FormatLimit(resource, d.request) +
                         " requested; the minimum " + FormatLimit(resource, *d.minimum) +
                         " is met");
  } else {
    // 3c. Nothing acceptable fits under the hard limit.
    d.outcome = Outcome::kRefused;
    d.blocker = Blocker::kHardLimit;
    return d;
  }
  BelowMinimumWarning(spec, prefix, &d);
  if (spec.raise_hard && !may_raise_hard && d.request > before.hard) {
    d.warnings.push_back(
        prefix + "raiseHard is set but the process lacks CAP_SYS_RESOURCE in the initial user "
        "namespace, so the hard limit stays " + FormatLimit(resource, before.hard));
  }
  return d;
}

bool AnyRefused(const Decision& decision) {
  if (decision.outcome == Outcome::kRefused) return true;
  for (const LimitDecision& limit : decision.limits) {
    if (limit.outcome == Outcome::kRefused) return true;
  }
  return false;
}

std::optional<std::uint64_t> MemoryCeiling(const Observed& observed, std::string* source) {
  source->clear();
  if (!observed.cgroup.known()) return std::nullopt;
  std::uint64_t total = observed.host.mem_total.value_or(kUnlimited);
  if (observed.cgroup.limit != kUnlimited && observed.cgroup.limit <= total) {
    *source = observed.cgroup.limit_source;
    return observed.cgroup.limit;
  }
  *source = total == kUnlimited ? "" : "/proc/meminfo MemTotal";
  return total;
}

namespace {

// The address space: one limit among the others, with the memory ceiling and the cgroup on top.
Decision DecideAddressSpace(const Policy& policy, const Observed& observed) {
  Decision d;
  d.before = observed.limit(Resource::kAs);
  d.after = observed.limit(Resource::kAs);
  d.ceiling = MemoryCeiling(observed, &d.ceiling_source);
  AddHostWarnings(observed, &d);

  std::optional<std::uint64_t> request = Resolve(policy.request, observed, d.ceiling);
  std::optional<std::uint64_t> minimum;
  if (policy.minimum) minimum = Resolve(*policy.minimum, observed, d.ceiling);
  const bool unknown = !d.ceiling;
  if (!request || (policy.minimum && !minimum)) {
    d.outcome = Outcome::kRefused;
    d.blocker = unknown ? Blocker::kShareUnknown : Blocker::kNoCeiling;
    return d;
  }
  d.request_bytes = *request;
  d.minimum_bytes = minimum;

  // 4. The memory the job needs must exist before any address space is worth granting; an
  // unknown limit is not taken for enough.
  if (policy.memory_require && (unknown || *policy.memory_require > *d.ceiling)) {
    d.outcome = Outcome::kRefused;
    d.blocker = unknown ? Blocker::kMemoryRequireUnknown : Blocker::kMemoryRequire;
    return d;
  }

  const LimitPair& before = observed.limit(Resource::kAs);
  LimitSpec spec;
  spec.request.kind = AmountSpec::Kind::kBytes;
  spec.request.bytes = *request;
  if (minimum) spec.minimum = AmountSpec{AmountSpec::Kind::kBytes, *minimum, 0, ""};
  spec.raise_hard = policy.raise_hard;
  spec.origin = policy.request_origin;
  LimitDecision limit = DecideLimit(Resource::kAs, spec, before, observed.may_raise_hard);
  d.outcome = limit.outcome;
  d.blocker = limit.blocker;
  d.after = limit.after;
  for (std::string& warning : limit.warnings) d.warnings.push_back(std::move(warning));
  if (d.outcome == Outcome::kRefused) return d;
  // 1. Never lower: a soft limit already at or above the request stays.
  if (d.outcome == Outcome::kUnchanged) {
    d.grant = before.soft;
    if (unknown && policy.above_cgroup != AboveCgroup::kAllow) {
      d.warnings.push_back(UnknownOomWarning(before.soft, "the inherited soft limit") +
                           "; rlimit-init does not lower limits");
    } else if (before.soft > observed.cgroup.limit &&
               policy.above_cgroup != AboveCgroup::kAllow) {
      d.warnings.push_back(OomWarning(before.soft, observed.cgroup, "the inherited soft limit") +
                           "; rlimit-init does not lower limits");
    }
    return d;
  }

  // 5. Address space past the cgroup limit turns a MemoryError into an OOM kill.
  // An unknown limit may be below any grant: refuse does not pass on a guess, warn says so.
  d.grant = d.after.soft;
  if (unknown || d.grant > observed.cgroup.limit) {
    if (policy.above_cgroup == AboveCgroup::kRefuse) {
      d.outcome = Outcome::kRefused;
      d.blocker = unknown ? Blocker::kAboveCgroupUnknown : Blocker::kAboveCgroup;
      d.after = before;
      return d;
    }
    if (policy.above_cgroup == AboveCgroup::kWarn) {
      d.warnings.push_back(unknown ? UnknownOomWarning(d.grant, "the address space granted")
                                   : OomWarning(d.grant, observed.cgroup,
                                                "the address space granted"));
    }
  }
  if (observed.limit(Resource::kData).soft < d.after.soft) {
    d.warnings.push_back("the data limit (RLIMIT_DATA, ulimit -d) is " +
                         HumanBytes(observed.limit(Resource::kData).soft) +
                         ": allocations past it still fail with MemoryError");
  }
  return d;
}

}  // namespace

Decision Decide(const Policy& policy, const Observed& observed) {
  Decision d = DecideAddressSpace(policy, observed);
  for (const ResourceRow& row : kResources) {
    const std::optional<LimitSpec>& spec = policy.limits[static_cast<std::size_t>(row.resource)];
    if (!spec || row.resource == Resource::kAs) continue;
    const LimitPair& before = observed.limits[static_cast<std::size_t>(row.resource)];
    LimitSpec resolved = *spec;
    if (!ResolvePercent(&resolved.request, d.ceiling) ||
        (resolved.minimum && !ResolvePercent(&*resolved.minimum, d.ceiling))) {
      LimitDecision refused;
      refused.resource = row.resource;
      refused.outcome = Outcome::kRefused;
      refused.blocker = d.ceiling ? Blocker::kNoCeiling : Blocker::kShareUnknown;
      refused.before = refused.after = before;
      d.limits.push_back(std::move(refused));
      continue;
    }
    d.limits.push_back(DecideLimit(row.resource, resolved, before, observed.may_raise_hard));
  }
  // What a threaded runtime reserves of a finite grant, with the stack limit the workload gets.
  if (d.outcome != Outcome::kRefused) {
    std::uint64_t stack = observed.limit(Resource::kStack).soft;
    for (const LimitDecision& limit : d.limits) {
      if (limit.resource == Resource::kStack) stack = limit.after.soft;
    }
    for (std::string& warning : BudgetWarnings(observed.budget, policy.env, stack,
                                               d.after.soft)) {
      d.warnings.push_back(std::move(warning));
    }
    // The JVM sizes a default heap from the cgroup limit, else from the RAM.
    std::optional<std::uint64_t> memory = d.ceiling;
    if (memory == kUnlimited) memory.reset();
    for (std::string& warning :
         RuntimeWarnings(observed.runtime, ArenaMax(observed.budget, policy.env), d.after.soft,
                         memory)) {
      d.warnings.push_back(std::move(warning));
    }
  }
  return d;
}

const char* OutcomeName(Outcome outcome) {
  switch (outcome) {
    case Outcome::kRaised:
      return "raised";
    case Outcome::kUnchanged:
      return "unchanged";
    case Outcome::kPartial:
      return "partial";
    case Outcome::kRefused:
      return "refused";
    case Outcome::kLowered:
      return "lowered";
  }
  return "";
}

}  // namespace rlimit_init

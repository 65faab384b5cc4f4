// SPDX-License-Identifier: Apache-2.0
#include "decide/decision.h"

#include "decide/runtime_budget.h"

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

void AddHostWarnings(const Observed& observed, Decision* d) {
  for (std::size_t i = 0; i < observed.cgroup.notes.size(); ++i) {
    d->warnings.push_back(CgroupNoteWarning{i});
  }
  const HostMemory& host = observed.host;
  if (host.overcommit_mode == 2) {
    StrictOvercommitWarning warning;
    if (host.commit_limit && host.committed_as) {
      warning.committed_as = host.committed_as;
      warning.commit_limit = host.commit_limit;
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
void WarnBelowMinimum(LimitDecision* d) {
  if (!d->minimum || d->after.soft >= *d->minimum) return;
  d->warnings.push_back(
      BelowMinimumWarning{d->resource, d->request, *d->minimum, d->after.soft});
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
      d.warnings.push_back(KeptHigherSoftWarning{resource, d.request, before.soft});
    }
    WarnBelowMinimum(&d);
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
    d.warnings.push_back(GrantedHardLimitWarning{resource, before.hard, d.request, *d.minimum});
  } else {
    // 3c. Nothing acceptable fits under the hard limit.
    d.outcome = Outcome::kRefused;
    d.blocker = Blocker::kHardLimit;
    return d;
  }
  WarnBelowMinimum(&d);
  if (spec.raise_hard && !may_raise_hard && d.request > before.hard) {
    d.warnings.push_back(NoCapabilityWarning{resource, before.hard});
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
  for (Warning& warning : limit.warnings) d.warnings.push_back(std::move(warning));
  if (d.outcome == Outcome::kRefused) return d;
  // 1. Never lower: a soft limit already at or above the request stays.
  if (d.outcome == Outcome::kUnchanged) {
    d.grant = before.soft;
    if (unknown && policy.above_cgroup != AboveCgroup::kAllow) {
      d.warnings.push_back(AboveCgroupWarning{true, before.soft, std::nullopt});
    } else if (before.soft > observed.cgroup.limit &&
               policy.above_cgroup != AboveCgroup::kAllow) {
      d.warnings.push_back(AboveCgroupWarning{true, before.soft, observed.cgroup.limit});
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
      d.warnings.push_back(AboveCgroupWarning{
          false, d.grant, unknown ? std::nullopt : std::optional(observed.cgroup.limit)});
    }
  }
  if (observed.limit(Resource::kData).soft < d.after.soft) {
    d.warnings.push_back(DataLimitWarning{observed.limit(Resource::kData).soft});
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
    if (auto threads = WarnThreads(observed.budget, policy.env, stack, d.after.soft)) {
      d.warnings.push_back(std::move(*threads));
    }
    if (auto gpu = WarnGpu(observed.budget, d.after.soft)) d.warnings.push_back(*gpu);
    // The JVM sizes a default heap from the cgroup limit, else from the RAM.
    std::optional<std::uint64_t> memory = d.ceiling;
    if (memory == kUnlimited) memory.reset();
    if (auto runtime = WarnRuntime(observed.runtime, ArenaMax(observed.budget, policy.env),
                                   d.after.soft, memory)) {
      std::visit([&d](auto& w) { d.warnings.push_back(std::move(w)); }, *runtime);
    }
  }
  return d;
}

}  // namespace rlimit_init

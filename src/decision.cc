// SPDX-License-Identifier: Apache-2.0
#include "decision.h"

#include "quantity.h"

namespace rlimit_init {
namespace {

// Resolves a request or minimum to bytes; nullopt when a percentage meets no ceiling.
std::optional<std::uint64_t> Resolve(const AmountSpec& spec, const Observed& observed,
                                     std::uint64_t ceiling) {
  switch (spec.kind) {
    case AmountSpec::Kind::kBytes:
      return spec.bytes;
    case AmountSpec::Kind::kPercent:
      if (ceiling == kUnlimited) return std::nullopt;
      return ApplyPercent(ceiling, spec.basis_points);
    case AmountSpec::Kind::kNoLimit:
      return kUnlimited;
    case AmountSpec::Kind::kHard:
      return observed.limit.hard;
  }
  return std::nullopt;
}

std::string OomWarning(std::uint64_t granted, const CgroupMemory& cgroup, const char* what) {
  return std::string(what) + " (" + HumanBytes(granted) + ") is above the cgroup memory limit " +
         HumanBytes(cgroup.limit) + " (" + cgroup.limit_source + "): past " +
         HumanBytes(cgroup.limit) +
         " the kernel OOM-kills the job instead of letting it catch MemoryError";
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

}  // namespace

std::uint64_t MemoryCeiling(const Observed& observed, std::string* source) {
  std::uint64_t total = observed.host.mem_total.value_or(kUnlimited);
  if (observed.cgroup.limit != kUnlimited && observed.cgroup.limit <= total) {
    *source = observed.cgroup.limit_source;
    return observed.cgroup.limit;
  }
  *source = total == kUnlimited ? "" : "/proc/meminfo MemTotal";
  return total;
}

Decision Decide(const Policy& policy, const Observed& observed) {
  Decision d;
  d.before = observed.limit;
  d.after = observed.limit;
  d.ceiling = MemoryCeiling(observed, &d.ceiling_source);
  AddHostWarnings(observed, &d);

  std::optional<std::uint64_t> request = Resolve(policy.request, observed, d.ceiling);
  std::optional<std::uint64_t> minimum;
  if (policy.minimum) minimum = Resolve(*policy.minimum, observed, d.ceiling);
  if (!request || (policy.minimum && !minimum)) {
    d.outcome = Outcome::kRefused;
    d.blocker = Blocker::kNoCeiling;
    return d;
  }
  d.request_bytes = *request;
  d.minimum_bytes = minimum;

  // 4. The memory the job needs must exist before any address space is worth granting.
  if (policy.memory_require && *policy.memory_require > d.ceiling) {
    d.outcome = Outcome::kRefused;
    d.blocker = Blocker::kMemoryRequire;
    return d;
  }

  const LimitPair& before = observed.limit;
  // 1. Never lower: a soft limit already at or above the request stays.
  if (before.soft >= d.request_bytes) {
    d.outcome = Outcome::kUnchanged;
    d.grant = before.soft;
    if (before.soft > observed.cgroup.limit && policy.above_cgroup != AboveCgroup::kAllow) {
      d.warnings.push_back(OomWarning(before.soft, observed.cgroup, "the inherited soft limit") +
                           "; rlimit-init does not lower limits");
    }
    return d;
  }
  if (d.request_bytes <= before.hard) {
    // 2. Within the hard limit: raise the soft limit only.
    d.outcome = Outcome::kRaised;
    d.after.soft = d.request_bytes;
  } else if (policy.raise_hard && observed.may_raise_hard) {
    // 3a. Above the hard limit, and allowed to move it.
    d.outcome = Outcome::kRaised;
    d.after = {d.request_bytes, d.request_bytes};
  } else if (minimum && before.hard >= *minimum) {
    // 3b. The hard limit is less than asked but enough to live with.
    d.outcome = Outcome::kPartial;
    d.after.soft = before.hard;
    d.warnings.push_back("granted the hard limit " + HumanBytes(before.hard) +
                         ", less than the " + HumanBytes(d.request_bytes) +
                         " requested; the minimum " + HumanBytes(*minimum) + " is met");
  } else {
    // 3c. Nothing acceptable fits under the hard limit.
    d.outcome = Outcome::kRefused;
    d.blocker = Blocker::kHardLimit;
    return d;
  }
  if (policy.raise_hard && !observed.may_raise_hard && d.request_bytes > before.hard) {
    d.warnings.push_back(
        "raiseHard is set but the process lacks CAP_SYS_RESOURCE in the initial user namespace, "
        "so the hard limit stays " + HumanBytes(before.hard));
  }

  // 5. Address space past the cgroup limit turns a MemoryError into an OOM kill.
  d.grant = d.after.soft;
  if (d.grant > observed.cgroup.limit) {
    if (policy.above_cgroup == AboveCgroup::kRefuse) {
      d.outcome = Outcome::kRefused;
      d.blocker = Blocker::kAboveCgroup;
      d.after = before;
      return d;
    }
    if (policy.above_cgroup == AboveCgroup::kWarn) {
      d.warnings.push_back(OomWarning(d.grant, observed.cgroup, "the address space granted"));
    }
  }
  if (observed.data_limit.soft < d.after.soft) {
    d.warnings.push_back("the data limit (RLIMIT_DATA, ulimit -d) is " +
                         HumanBytes(observed.data_limit.soft) +
                         ": allocations past it still fail with MemoryError");
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
  }
  return "";
}

}  // namespace rlimit_init

// SPDX-License-Identifier: Apache-2.0
#include "report/wording.h"

#include "advice/limit_names.h"
#include "base/quantity.h"
#include "policy/limit_value.h"
#include "report/cgroup_note_text.h"

namespace rlimit_init {
namespace {

// The percentage that needs the memory ceiling: the request's, else the minimum's.
std::string ShareAsked(const Policy& policy) {
  if (policy.request.kind == AmountSpec::Kind::kPercent || !policy.minimum) {
    return policy.request_origin + " " + policy.request.text;
  }
  return "addressSpace.minimum " + policy.minimum->text;
}

// Phrases the address space's refusals and the other limits' share.
const char* const kShare = " is a share of the memory ceiling";
const char* const kUnknownTail = ", but the cgroup memory limit is unknown";
const char* const kNoCeilingTail =
    ", but neither a cgroup memory limit nor MemTotal could be read";
const char* const kLacksCapability = " and this process lacks CAP_SYS_RESOURCE to raise it";

// Whether the policy file asked, rather than --limit or RLIMIT_INIT_LIMITS.
bool FromPolicy(const LimitSpec& spec) { return spec.origin.starts_with("limits."); }

// "nofile limit (RLIMIT_NOFILE, ulimit -n)"
std::string Named(Resource resource) {
  const ResourceRow& row = Row(resource);
  return std::string(row.name) + " limit (" + std::string(row.kernel_name) + ", ulimit -" +
         row.ulimit_flag + ")";
}

}  // namespace

std::string LayerEvidenceText(const DetectedLayer& layer) {
  const std::string path = "cgroup path " + layer.evidence_path;
  const std::string runtime = RuntimeName(layer.runtime);
  switch (layer.evidence) {
    case LayerEvidence::kSlurmEnv:
      return "SLURM_JOB_ID is set";
    case LayerEvidence::kKubernetesEnv:
      return layer.runtime == Runtime::kUnknown
                 ? "KUBERNETES_SERVICE_HOST is set"
                 : "KUBERNETES_SERVICE_HOST is set; the cgroup path names " + runtime;
    case LayerEvidence::kKubepodsPath:
      return path + " is under kubepods" +
             (layer.runtime == Runtime::kUnknown ? "" : " and names " + runtime);
    case LayerEvidence::kContainerenv:
      return "/run/.containerenv exists";
    case LayerEvidence::kDockerenv:
      return "/.dockerenv exists";
    case LayerEvidence::kEngineCgroup:
      return path + " is a " + runtime + " cgroup";
    case LayerEvidence::kCriCgroup:
      return path + " is a " + runtime + " CRI container";
    case LayerEvidence::kMaskedProc:
      return layer.evidence_path + " is masked, as OCI runtimes do for containers";
    case LayerEvidence::kServiceCgroup:
      return path + " is a systemd service";
    case LayerEvidence::kInvocationEnv:
      return "INVOCATION_ID is set";
    case LayerEvidence::kNothing:
      break;
  }
  return "no container, scheduler or service manager detected";
}

std::string LayerLine(const DetectedLayer& layer) {
  return std::string(LayerName(layer.layer)) + " (" + LayerEvidenceText(layer) + ")";
}

std::string DescribeLimit(Resource resource, std::uint64_t value) {
  if (value == kUnlimited || Row(resource).unit != LimitUnit::kBytes) {
    return FormatLimit(resource, value);
  }
  const std::string ulimit =
      std::string("ulimit -") + Row(resource).ulimit_flag + " " + UlimitValueOf(resource, value);
  // Below 1 KiB, HumanBytes already gives the byte count.
  if (value < 1024) return HumanBytes(value) + " (" + ulimit + ")";
  return HumanBytes(value) + " (" + std::to_string(value) + " bytes, " + ulimit + ")";
}

void AddMemoryLimit(const CgroupMemory& cgroup, Json* object) {
  Json& out = *object;
  out["memory_limit_bytes"] = cgroup.known() ? JsonBytes(cgroup.limit) : Json(nullptr);
  out["memory_limit_source"] = cgroup.limit_source;
  out["memory_limit_unknown"] =
      cgroup.known() ? Json(nullptr) : Json(CgroupNoteText(*cgroup.unknown));
}

std::string MemoryPart(const Observed& observed) {
  const CgroupMemory& cgroup = observed.cgroup;
  if (!cgroup.known()) {
    std::string part = "cgroup memory limit unknown (" + CgroupNoteText(*cgroup.unknown) + ")";
    if (observed.host.mem_total) part += "; host MemTotal " + HumanBytes(*observed.host.mem_total);
    return part;
  }
  if (cgroup.limit != kUnlimited) {
    return "cgroup memory limit " + HumanBytes(cgroup.limit) + " from " + cgroup.limit_source;
  }
  std::string part = "no cgroup memory limit";
  if (observed.host.mem_total) part += "; host MemTotal " + HumanBytes(*observed.host.mem_total);
  return part;
}

const LimitSpec& SpecOf(const LimitDecision& limit, const Policy& policy) {
  static const LimitSpec kNone;
  const std::optional<LimitSpec>& spec = policy.limits[static_cast<std::size_t>(limit.resource)];
  return spec ? *spec : kNone;
}

std::string Summary(const Decision& d, const Observed& observed, const Policy& policy,
                    bool would) {
  const std::string memory = MemoryPart(observed);
  // `check` says what a run would do; a run says what it did.
  const std::string raised = would ? "would raise" : "raised";
  switch (d.outcome) {
    case Outcome::kRaised:
      if (d.after.hard != d.before.hard) {
        return raised + " the soft and hard address-space limits (RLIMIT_AS) from " +
               DescribeBytes(d.before.soft) + " and " + DescribeBytes(d.before.hard) + " to " +
               DescribeBytes(d.after.soft) + "; " + memory;
      }
      return raised + " the soft address-space limit (RLIMIT_AS) from " +
             DescribeBytes(d.before.soft) + " to " + DescribeBytes(d.after.soft) +
             "; hard limit " + DescribeBytes(d.after.hard) + "; " + memory;
    case Outcome::kUnchanged:
      return (would ? "would leave" : "left") +
             std::string(" the soft address-space limit (RLIMIT_AS) at ") + DescribeBytes(d.before.soft) +
             ": it already covers the request " + DescribeBytes(d.request_bytes) +
             "; hard limit " + DescribeBytes(d.after.hard) + "; " + memory;
    case Outcome::kPartial:
      return raised + " the soft address-space limit (RLIMIT_AS) from " +
             DescribeBytes(d.before.soft) + " to the hard limit " + DescribeBytes(d.after.soft) +
             ", less than the " + HumanBytes(d.request_bytes) + " requested; " + memory;
    case Outcome::kRefused:
    case Outcome::kLowered:  // the address space is never lowered
      break;
  }
  switch (d.blocker) {
    case Blocker::kHardLimit:
      return "refused: the job asks for " +
             (d.request_bytes == kUnlimited ? std::string("unlimited address space")
                                            : DescribeBytes(d.request_bytes) +
                                                  " of address space") +
             ", but the hard limit is " + DescribeBytes(d.before.hard) +
             (policy.raise_hard ? kLacksCapability : " and raiseHard is not set");
    case Blocker::kMemoryRequire:
      return "refused: the policy requires " + DescribeBytes(*policy.memory_require) +
             " of memory, but the memory ceiling is " + DescribeBytes(*d.ceiling);
    case Blocker::kMemoryRequireUnknown:
      return "refused: the policy requires " + DescribeBytes(*policy.memory_require) +
             " of memory" + kUnknownTail;
    case Blocker::kShareUnknown:
      return "refused: " + ShareAsked(policy) + kShare + kUnknownTail;
    case Blocker::kAboveCgroupUnknown:
      return "refused: addressSpace.aboveCgroup is refuse, but the cgroup memory limit is "
             "unknown, so a grant of " + DescribeBytes(d.grant) + " cannot be checked against it";
    case Blocker::kAboveCgroup:
      return "refused: granting " +
             (d.grant == kUnlimited
                  ? std::string("unlimited address space")
                  : DescribeBytes(d.grant) +
                        " of address space") +
             " would exceed the cgroup memory limit " +
             DescribeBytes(observed.cgroup.limit) + ", and addressSpace.aboveCgroup is refuse";
    case Blocker::kNoCeiling:
    case Blocker::kNone:
      break;
  }
  return "refused: " + policy.request_origin + " " + policy.request.text + kShare +
         kNoCeilingTail;
}

Advice Remedies(const Decision& d, const Observed& observed, const Policy& policy) {
  AdviceInput input{observed.layer, observed.may_raise_hard, policy.raise_hard};
  Advice advice;
  switch (d.blocker) {
    case Blocker::kNone:
      return {};
    case Blocker::kHardLimit:
      advice = HardLimitAdvice(kAddressSpaceNames, input, d.request_bytes);
      advice.push_back("lower the request, or set addressSpace.minimum to at most " +
                       ToQuantity(d.before.hard) + " to accept the hard limit");
      return advice;
    case Blocker::kMemoryRequire:
      return MemoryLimitAdvice(input, *policy.memory_require, observed.cgroup);
    case Blocker::kAboveCgroup:
      if (d.grant == kUnlimited) {
        // No memory limit is large enough for an unlimited grant; only the request can move.
        return {"an unlimited grant is above any memory limit: give addressSpace.request a "
                "quantity of at most " + ToQuantity(observed.cgroup.limit) +
                ", or set addressSpace.aboveCgroup to warn"};
      }
      if (policy.request.kind == AmountSpec::Kind::kPercent &&
          policy.request.basis_points > 10000 && d.ceiling == observed.cgroup.limit) {
        // A share above 100% of the cgroup limit grows with it: no memory limit can catch up.
        return {policy.request.text + " of the cgroup memory limit stays above it however high "
                "the limit is: set addressSpace.aboveCgroup to warn (or allow) to grant it, or "
                "lower the request to at most 100% (" + ToQuantity(observed.cgroup.limit) + ")"};
      }
      advice = MemoryLimitAdvice(input, d.grant, observed.cgroup);
      advice.push_back("lower the request to at most " + ToQuantity(observed.cgroup.limit) +
                       ", or set addressSpace.aboveCgroup to warn");
      return advice;
    case Blocker::kNoCeiling:
      return {"give addressSpace.request as a quantity such as 4Gi instead of a percentage"};
    case Blocker::kShareUnknown:
      return {UnknownLimitAdvice(observed.cgroup),
              "give addressSpace.request as a quantity such as 4Gi instead of a percentage"};
    case Blocker::kMemoryRequireUnknown:
      return {UnknownLimitAdvice(observed.cgroup),
              "remove memory.require to start without checking the memory"};
    case Blocker::kAboveCgroupUnknown:
      return {UnknownLimitAdvice(observed.cgroup),
              "set addressSpace.aboveCgroup to warn to grant it without knowing the limit"};
  }
  return {};
}

std::string Fix(const Decision& d, const Observed& observed, const Policy& policy) {
  Advice advice = Remedies(d, observed, policy);
  return advice.empty() ? "" : advice.front();
}

std::string LimitSummary(const LimitDecision& d, const Policy& policy, bool would) {
  const Resource r = d.resource;
  const std::string name(Row(r).name);
  const std::string raised = would ? "would raise" : "raised";
  const std::string hard = "; hard limit " + DescribeLimit(r, d.after.hard);
  switch (d.outcome) {
    case Outcome::kRaised:
      if (d.after.hard != d.before.hard) {
        return raised + " the soft and hard " + name + " limits (" +
               std::string(Row(r).kernel_name) + ") from " + DescribeLimit(r, d.before.soft) +
               " and " + DescribeLimit(r, d.before.hard) + " to " + DescribeLimit(r, d.after.soft);
      }
      return raised + " the soft " + Named(r) + " from " + DescribeLimit(r, d.before.soft) +
             " to " + DescribeLimit(r, d.after.soft) + hard;
    case Outcome::kUnchanged:
      return (would ? "would leave" : "left") + std::string(" the soft ") + Named(r) + " at " +
             DescribeLimit(r, d.before.soft) + ": it already covers the request " +
             DescribeLimit(r, d.request) + hard;
    case Outcome::kPartial:
      return raised + " the soft " + Named(r) + " from " + DescribeLimit(r, d.before.soft) +
             " to the hard limit " + DescribeLimit(r, d.after.soft) + ", less than the " +
             FormatLimit(r, d.request) + " requested";
    case Outcome::kLowered:
      return (would ? "would lower" : "lowered") + std::string(" the soft ") + Named(r) +
             " from " + DescribeLimit(r, d.before.soft) + " to " + DescribeLimit(r, d.after.soft) +
             ", as " + (FromPolicy(SpecOf(d, policy)) ? "limits." + name + ".lower"
                                                       : SpecOf(d, policy).origin) +
             " asks" + hard;
    case Outcome::kRefused:
      break;
  }
  const LimitSpec& spec = SpecOf(d, policy);
  if (d.blocker == Blocker::kNoCeiling) {
    return "refused: " + spec.origin + ": " + spec.request.text + kShare + kNoCeilingTail;
  }
  if (d.blocker == Blocker::kShareUnknown) {
    return "refused: " + spec.origin + ": " + spec.request.text + kShare + kUnknownTail;
  }
  return "refused: the job asks for a soft " + Named(r) + " of " + DescribeLimit(r, d.request) +
         ", but the hard limit is " + DescribeLimit(r, d.before.hard) +
         (spec.raise_hard ? kLacksCapability
                          : FromPolicy(spec) ? " and limits." + name + ".raiseHard is not set"
                                             : " and " + spec.origin + " asks for the soft "
                                               "limit only");
}

Advice LimitRemedies(const LimitDecision& d, const Observed& observed, const Policy& policy) {
  const LimitSpec& spec = SpecOf(d, policy);
  const std::string name(Row(d.resource).name);
  // A partial grant says how to get the rest, as loudly as a refusal says how to get any.
  if (d.blocker == Blocker::kHardLimit || d.outcome == Outcome::kPartial) {
    AdviceInput input{observed.layer, observed.may_raise_hard, spec.raise_hard};
    Advice advice = HardLimitAdvice(NamesOf(d.resource), input, d.request);
    if (d.outcome == Outcome::kRefused) {
      advice.push_back("lower the request, or set limits." + name + ".minimum to at most " +
                       PolicyValue(d.resource, d.before.hard) +
                       " (0 to always take the hard limit) to accept the hard limit");
    }
    return advice;
  }
  if (d.blocker == Blocker::kNoCeiling || d.blocker == Blocker::kShareUnknown) {
    Advice advice;
    if (d.blocker == Blocker::kShareUnknown) advice.push_back(UnknownLimitAdvice(observed.cgroup));
    advice.push_back("give limits." + name + ".request as a quantity such as 4Gi instead of a "
                     "percentage");
    return advice;
  }
  return {};
}

}  // namespace rlimit_init

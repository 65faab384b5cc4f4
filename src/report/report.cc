// SPDX-License-Identifier: Apache-2.0
#include "report/report.h"

#include <array>
#include <cstdio>

#include "advice/advice.h"
#include "base/quantity.h"
#include "report/report_limits.h"
#include "report/warning_text.h"
#include "report/wording.h"
#include "base/text.h"

namespace rlimit_init {
namespace {

constexpr char kPrefix[] = "rlimit-init: ";

std::string MemoryPart(const Observed& observed) {
  const CgroupMemory& cgroup = observed.cgroup;
  if (!cgroup.known()) {
    std::string part = "cgroup memory limit unknown (" + cgroup.unknown + ")";
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

void AppendLine(std::string* out, std::string_view label, const std::string& text) {
  *out += "  ";
  *out += label;
  *out += std::string(9 - label.size(), ' ');
  *out += text;
  *out += "\n";
}

const char* BlockerName(Blocker blocker) {
  switch (blocker) {
    case Blocker::kNone:
      return "";
    case Blocker::kHardLimit:
      return "hard_limit";
    case Blocker::kMemoryRequire:
      return "memory_require";
    case Blocker::kAboveCgroup:
      return "above_cgroup";
    case Blocker::kNoCeiling:
      return "no_ceiling";
    case Blocker::kShareUnknown:
    case Blocker::kMemoryRequireUnknown:
    case Blocker::kAboveCgroupUnknown:
      return "memory_limit_unknown";
  }
  return "";
}

// The percentage that needs the memory ceiling: the request's, else the minimum's.
std::string ShareAsked(const Policy& policy) {
  if (policy.request.kind == AmountSpec::Kind::kPercent || !policy.minimum) {
    return policy.request_origin + " " + policy.request.text;
  }
  return "addressSpace.minimum " + policy.minimum->text;
}

}  // namespace

namespace {

const char* const kUnknownTail = ", but the cgroup memory limit is unknown";

}  // namespace

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
             (policy.raise_hard ? " and this process lacks CAP_SYS_RESOURCE to raise it"
                                : " and raiseHard is not set");
    case Blocker::kMemoryRequire:
      return "refused: the policy requires " + DescribeBytes(*policy.memory_require) +
             " of memory, but the memory ceiling is " + DescribeBytes(*d.ceiling);
    case Blocker::kMemoryRequireUnknown:
      return "refused: the policy requires " + DescribeBytes(*policy.memory_require) +
             " of memory" + kUnknownTail;
    case Blocker::kShareUnknown:
      return "refused: " + ShareAsked(policy) + " is a share of the memory ceiling" +
             kUnknownTail;
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
  return "refused: " + policy.request_origin + " " + policy.request.text +
         " is a share of the memory ceiling, but neither a cgroup memory limit nor MemTotal "
         "could be read";
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

std::string RenderText(const Decision& d, const Observed& observed, const Policy& policy,
                       bool quiet, bool verbose, bool would) {
  std::string out;
  if (verbose) {
    const CgroupMemory& cgroup = observed.cgroup;
    out += std::string(kPrefix) + "observed: RLIMIT_AS soft " + DescribeBytes(d.before.soft) +
           ", hard " + DescribeBytes(d.before.hard) + "; may raise hard: " +
           (observed.may_raise_hard ? "yes" : "no") + "\n";
    out += std::string(kPrefix) + "observed: cgroup " + CgroupVersionName(cgroup.version) + " " +
           (cgroup.cgroup_path.empty() ? "-" : cgroup.cgroup_path) + " at " +
           (cgroup.directory.empty() ? "-" : cgroup.directory) + "; " + MemoryPart(observed) +
           "\n";
    out += std::string(kPrefix) + "observed: layer " + LayerName(observed.layer.layer) + " (" +
           observed.layer.evidence + ")\n";
  }
  if (d.outcome != Outcome::kRefused) {
    if (!quiet) out += kPrefix + Summary(d, observed, policy, would) + "\n";
    AppendWarnings(&out, d.warnings, observed, policy);
    return out + RenderLimitsText(d, observed, policy, quiet, would);
  }
  out += kPrefix + Summary(d, observed, policy) + "\n";
  AppendLine(&out, "asked:", policy.request_origin + " = " + policy.request.text +
                                 (d.request_bytes == kUnlimited || policy.request.text ==
                                          std::to_string(d.request_bytes)
                                      ? ""
                                      : " (" + std::to_string(d.request_bytes) + " bytes)"));
  switch (d.blocker) {
    case Blocker::kHardLimit:
      AppendLine(&out, "blocked:", "hard RLIMIT_AS " + DescribeBytes(d.before.hard) +
                                       ", set before rlimit-init started");
      break;
    case Blocker::kMemoryRequire:
    case Blocker::kAboveCgroup:
      AppendLine(&out, "blocked:", "memory limit " + DescribeBytes(*d.ceiling) + " from " +
                                       d.ceiling_source);
      break;
    case Blocker::kShareUnknown:
    case Blocker::kMemoryRequireUnknown:
    case Blocker::kAboveCgroupUnknown:
      AppendLine(&out, "blocked:", "cgroup memory limit unknown: " + observed.cgroup.unknown);
      break;
    case Blocker::kNoCeiling:
    case Blocker::kNone:
      break;
  }
  AppendLine(&out, "layer:", std::string(LayerName(observed.layer.layer)) + " (" +
                                 observed.layer.evidence + ")");
  Advice advice = Remedies(d, observed, policy);
  for (std::size_t i = 0; i < advice.size(); ++i) {
    AppendLine(&out, i == 0 ? "fix:" : "or:", advice[i]);
  }
  AppendWarnings(&out, d.warnings, observed, policy);
  return out + RenderLimitsText(d, observed, policy, quiet, would);
}

Json DecisionJson(const Decision& d, const Observed& observed, const Policy& policy,
                  bool would) {
  // The top level answers for the whole run, as the exit code does: refused when any limit is.
  // The address space's own refusal comes first; else the first limit refused gives the
  // blocker, the fix and the message. The address space's figures stay as they are.
  const LimitDecision* refused = nullptr;
  if (d.outcome != Outcome::kRefused) {
    for (const LimitDecision& limit : d.limits) {
      if (limit.outcome == Outcome::kRefused) {
        refused = &limit;
        break;
      }
    }
  }
  Advice advice = refused ? LimitRemedies(*refused, observed, policy)
                          : Remedies(d, observed, policy);
  const Blocker blocker = refused ? refused->blocker : d.blocker;
  Json out;
  out["outcome"] = OutcomeName(refused ? Outcome::kRefused : d.outcome);
  out["request_bytes"] = JsonBytes(d.request_bytes);
  out["minimum_bytes"] = JsonBytes(d.minimum_bytes);
  out["soft_before"] = JsonBytes(d.before.soft);
  out["soft_after"] = JsonBytes(d.after.soft);
  out["hard_before"] = JsonBytes(d.before.hard);
  out["hard_after"] = JsonBytes(d.after.hard);
  AddMemoryLimit(observed.cgroup, &out);
  out["memory_ceiling_bytes"] = JsonBytes(d.ceiling);
  out["memory_ceiling_source"] = d.ceiling_source;
  out["cgroup_version"] = CgroupVersionName(observed.cgroup.version);
  out["layer"] = LayerName(observed.layer.layer);
  out["blocker"] = blocker == Blocker::kNone ? Json(nullptr) : Json(BlockerName(blocker));
  out["fix"] = advice.empty() ? Json(nullptr) : Json(advice.front());
  out["alternatives"] = advice.empty() ? Json::array()
                                       : Json(Advice(advice.begin() + 1, advice.end()));
  out["warnings"] = WarningsJson(d.warnings, observed, policy);
  out["limits"] = LimitsJson(d, observed, policy, would);
  out["message"] = refused ? LimitSummary(*refused, policy, would)
                           : Summary(d, observed, policy, would);
  return out;
}

std::string RenderJson(const Decision& d, const Observed& observed, const Policy& policy,
                       bool would) {
  return DumpJson(DecisionJson(d, observed, policy, would));
}

std::string RenderVersionJson(std::string_view version, std::string_view commit) {
  Json out;
  out["version"] = version;
  out["commit"] = commit;
  return DumpJson(std::move(out));
}

std::string RenderInstalledJson(std::string_view path) {
  Json out;
  out["outcome"] = "installed";
  out["path"] = path;
  out["mode"] = "0755";
  return DumpJson(std::move(out));
}

std::string RenderErrorJson(int exit_code, std::string_view message) {
  Json out;
  out["outcome"] = "error";
  out["exit_code"] = exit_code;
  out["message"] = message;
  return DumpJson(std::move(out));
}

}  // namespace rlimit_init

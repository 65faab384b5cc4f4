// SPDX-License-Identifier: Apache-2.0
#include "report/report_limits.h"

#include "advice/limit_names.h"
#include "policy/limit_value.h"
#include "base/quantity.h"
#include "report/warning_text.h"
#include "report/wording.h"

namespace rlimit_init {
namespace {

constexpr char kPrefix[] = "rlimit-init: ";

const LimitSpec& SpecOf(const LimitDecision& limit, const Policy& policy) {
  static const LimitSpec kNone;
  const std::optional<LimitSpec>& spec = policy.limits[static_cast<std::size_t>(limit.resource)];
  return spec ? *spec : kNone;
}

// Whether the policy file asked, rather than --limit or RLIMIT_INIT_LIMITS.
bool FromPolicy(const LimitSpec& spec) { return spec.origin.starts_with("limits."); }

// "nofile limit (RLIMIT_NOFILE, ulimit -n)"
std::string Named(Resource resource) {
  const ResourceRow& row = Row(resource);
  return std::string(row.name) + " limit (" + std::string(row.kernel_name) + ", ulimit -" +
         row.ulimit_flag + ")";
}

void AppendLine(std::string* out, std::string_view label, const std::string& text) {
  *out += "  ";
  *out += label;
  *out += std::string(9 - label.size(), ' ');
  *out += text;
  *out += "\n";
}

// The layer line, then the fix and its alternatives.
void AppendAdvice(std::string* out, const LimitDecision& d, const Observed& observed,
                         const Policy& policy) {
  AppendLine(out, "layer:", std::string(LayerName(observed.layer.layer)) + " (" +
                                observed.layer.evidence + ")");
  Advice advice = LimitRemedies(d, observed, policy);
  for (std::size_t i = 0; i < advice.size(); ++i) {
    AppendLine(out, i == 0 ? "fix:" : "or:", advice[i]);
  }
}

}  // namespace

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
    return "refused: " + spec.origin + ": " + spec.request.text +
           " is a share of the memory ceiling, but neither a cgroup memory limit nor MemTotal "
           "could be read";
  }
  if (d.blocker == Blocker::kShareUnknown) {
    return "refused: " + spec.origin + ": " + spec.request.text +
           " is a share of the memory ceiling, but the cgroup memory limit is unknown";
  }
  return "refused: the job asks for a soft " + Named(r) + " of " + DescribeLimit(r, d.request) +
         ", but the hard limit is " + DescribeLimit(r, d.before.hard) +
         (spec.raise_hard ? " and this process lacks CAP_SYS_RESOURCE to raise it"
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

std::string RenderLimitsText(const Decision& decision, const Observed& observed,
                             const Policy& policy, bool quiet, bool would) {
  std::string out;
  for (const LimitDecision& d : decision.limits) {
    if (d.outcome != Outcome::kRefused) {
      if (!quiet) out += kPrefix + LimitSummary(d, policy, would) + "\n";
    } else {
      const LimitSpec& spec = SpecOf(d, policy);
      out += kPrefix + LimitSummary(d, policy, would) + "\n";
      std::string asked = spec.origin + " = " + spec.request.text;
      if (spec.request.kind == AmountSpec::Kind::kBytes &&
          PolicyValue(d.resource, d.request) != spec.request.text) {
        asked += " (" + std::to_string(d.request) + ")";
      }
      AppendLine(&out, "asked:", asked);
      if (d.blocker == Blocker::kHardLimit) {
        AppendLine(&out, "blocked:", "hard " + std::string(Row(d.resource).kernel_name) + " " +
                                         DescribeLimit(d.resource, d.before.hard) +
                                         ", set before rlimit-init started");
      } else if (d.blocker == Blocker::kShareUnknown) {
        AppendLine(&out, "blocked:", "cgroup memory limit unknown: " + observed.cgroup.unknown);
      }
      AppendAdvice(&out, d, observed, policy);
    }
    AppendWarnings(&out, d.warnings, observed, policy);
    if (d.outcome == Outcome::kPartial) AppendAdvice(&out, d, observed, policy);
  }
  return out;
}

Json LimitsJson(const Decision& decision, const Observed& observed, const Policy& policy,
                bool would) {
  Json out = Json::array();
  for (const LimitDecision& d : decision.limits) {
    Advice advice = LimitRemedies(d, observed, policy);
    Json limit;
    limit["name"] = Row(d.resource).name;
    limit["outcome"] = OutcomeName(d.outcome);
    limit["request"] = JsonBytes(d.request);
    limit["minimum"] = JsonBytes(d.minimum);
    limit["soft_before"] = JsonBytes(d.before.soft);
    limit["soft_after"] = JsonBytes(d.after.soft);
    limit["hard_before"] = JsonBytes(d.before.hard);
    limit["hard_after"] = JsonBytes(d.after.hard);
    limit["origin"] = SpecOf(d, policy).origin;
    limit["blocker"] = d.blocker == Blocker::kHardLimit      ? Json("hard_limit")
                       : d.blocker == Blocker::kNoCeiling    ? Json("no_ceiling")
                       : d.blocker == Blocker::kShareUnknown ? Json("memory_limit_unknown")
                                                             : Json(nullptr);
    limit["fix"] = advice.empty() ? Json(nullptr) : Json(advice.front());
    limit["alternatives"] = advice.empty() ? Json::array()
                                           : Json(Advice(advice.begin() + 1, advice.end()));
    limit["warnings"] = WarningsJson(d.warnings, observed, policy);
    limit["message"] = LimitSummary(d, policy, would);
    out.push_back(std::move(limit));
  }
  return out;
}

}  // namespace rlimit_init

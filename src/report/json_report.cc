// SPDX-License-Identifier: Apache-2.0
#include "report/json_report.h"

#include "advice/advice.h"
#include "report/warning_text.h"
#include "report/wording.h"

namespace rlimit_init {
namespace {

// The schema's names of the outcomes (docs/schema/report.json).
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

// "blocker", "fix" and "alternatives", in that order: the verdict of a limit or of the run.
void AddVerdict(Blocker blocker, const Advice& advice, Json* object) {
  Json& out = *object;
  out["blocker"] = blocker == Blocker::kNone ? Json(nullptr) : Json(BlockerName(blocker));
  out["fix"] = advice.empty() ? Json(nullptr) : Json(advice.front());
  out["alternatives"] = advice.empty() ? Json::array()
                                       : Json(Advice(advice.begin() + 1, advice.end()));
}

// One object per limit other than the address space.
Json LimitsJson(const Decision& decision, const Observed& observed, const Policy& policy,
                bool would) {
  Json out = Json::array();
  for (const LimitDecision& d : decision.limits) {
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
    AddVerdict(d.blocker, LimitRemedies(d, observed, policy), &limit);
    limit["warnings"] = WarningsJson(d.warnings, observed, policy);
    limit["message"] = LimitSummary(d, policy, would);
    out.push_back(std::move(limit));
  }
  return out;
}

}  // namespace

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
  AddVerdict(refused ? refused->blocker : d.blocker,
             refused ? LimitRemedies(*refused, observed, policy) : Remedies(d, observed, policy),
             &out);
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

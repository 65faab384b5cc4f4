// SPDX-License-Identifier: Apache-2.0
#include "report/text_report.h"

#include "advice/advice.h"
#include "base/quantity.h"
#include "policy/limit_value.h"
#include "report/cgroup_note_text.h"
#include "report/warning_text.h"
#include "report/wording.h"

namespace rlimit_init {
namespace {

constexpr char kPrefix[] = "rlimit-init: ";

void AppendLine(std::string* out, std::string_view label, const std::string& text) {
  *out += "  ";
  *out += label;
  *out += std::string(9 - label.size(), ' ');
  *out += text;
  *out += "\n";
}

// The layer line, then the fix and its alternatives.
void AppendAdvice(std::string* out, const Advice& advice, const Observed& observed) {
  AppendLine(out, "layer:", LayerLine(observed.layer));
  for (std::size_t i = 0; i < advice.size(); ++i) {
    AppendLine(out, i == 0 ? "fix:" : "or:", advice[i]);
  }
}

// What blocks a refusal: the hard limit set before (`described`), or an unknown cgroup limit.
void AppendHardBlocked(std::string* out, std::string_view kernel_name,
                       const std::string& described) {
  AppendLine(out, "blocked:", "hard " + std::string(kernel_name) + " " + described +
                                  ", set before rlimit-init started");
}

void AppendUnknownLimit(std::string* out, const Observed& observed) {
  AppendLine(
      out, "blocked:", "cgroup memory limit unknown: " + CgroupNoteText(*observed.cgroup.unknown));
}

// The lines of the limits other than the address space.
std::string LimitsText(const Decision& decision, const Observed& observed, const Policy& policy,
                       bool quiet, bool would) {
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
        AppendHardBlocked(&out, Row(d.resource).kernel_name,
                          DescribeLimit(d.resource, d.before.hard));
      } else if (d.blocker == Blocker::kShareUnknown) {
        AppendUnknownLimit(&out, observed);
      }
      AppendAdvice(&out, LimitRemedies(d, observed, policy), observed);
    }
    AppendWarnings(&out, d.warnings, observed, policy);
    if (d.outcome == Outcome::kPartial) {
      AppendAdvice(&out, LimitRemedies(d, observed, policy), observed);
    }
  }
  return out;
}

}  // namespace

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
    out += std::string(kPrefix) + "observed: layer " + LayerLine(observed.layer) + "\n";
  }
  if (d.outcome != Outcome::kRefused) {
    if (!quiet) out += kPrefix + Summary(d, observed, policy, would) + "\n";
    AppendWarnings(&out, d.warnings, observed, policy);
    return out + LimitsText(d, observed, policy, quiet, would);
  }
  out += kPrefix + Summary(d, observed, policy) + "\n";
  AppendLine(&out, "asked:", policy.request_origin + " = " + policy.request.text +
                                 (d.request_bytes == kUnlimited || policy.request.text ==
                                          std::to_string(d.request_bytes)
                                      ? ""
                                      : " (" + std::to_string(d.request_bytes) + " bytes)"));
  switch (d.blocker) {
    case Blocker::kHardLimit:
      AppendHardBlocked(&out, "RLIMIT_AS", DescribeBytes(d.before.hard));
      break;
    case Blocker::kMemoryRequire:
    case Blocker::kAboveCgroup:
      AppendLine(&out, "blocked:", "memory limit " + DescribeBytes(*d.ceiling) + " from " +
                                       d.ceiling_source);
      break;
    case Blocker::kShareUnknown:
    case Blocker::kMemoryRequireUnknown:
    case Blocker::kAboveCgroupUnknown:
      AppendUnknownLimit(&out, observed);
      break;
    case Blocker::kNoCeiling:
    case Blocker::kNone:
      break;
  }
  AppendAdvice(&out, Remedies(d, observed, policy), observed);
  AppendWarnings(&out, d.warnings, observed, policy);
  return out + LimitsText(d, observed, policy, quiet, would);
}

}  // namespace rlimit_init

// SPDX-License-Identifier: Apache-2.0
#include "cli/limit_override.h"

#include "policy/limit_value.h"
#include "base/text.h"

namespace rlimit_init {
namespace {

constexpr std::string_view kNames =
    "core, cpu, data, fsize, locks, memlock, msgqueue, nice, nofile, nproc, rss, rtprio, "
    "rttime, sigpending, stack";

bool SameAmount(const AmountSpec& a, const AmountSpec& b) {
  return a.kind == b.kind && a.bytes == b.bytes && a.basis_points == b.basis_points;
}

}  // namespace

Result<LimitOverride> ParseLimitOverride(std::string_view text) {
  const std::string said = Quoted(text) + ": ";
  const std::size_t equals = text.find('=');
  if (equals == text.npos) return Error{said + "expected NAME=VALUE, such as nofile=65536"};
  const std::string_view name = text.substr(0, equals);
  const std::string_view value = text.substr(equals + 1);
  if (name == "as") {
    return Error{said + "the address space is given with --as (or RLIMIT_INIT_AS)"};
  }
  const ResourceRow* row = FindResource(name);
  if (row == nullptr) {
    return Error{said + "unknown limit " + Quoted(name) + "; the names are prlimit's: " +
                 std::string(kNames)};
  }
  LimitOverride out;
  out.resource = row->resource;
  const std::size_t colon = value.find(':');
  Result<AmountSpec> soft = ParseLimitAmount(*row, value.substr(0, colon), true);
  if (!soft) return Error{said + soft.error()};
  out.request = std::move(soft).value();
  if (colon != value.npos) {
    // prlimit's and Docker's SOFT:HARD. rlimit-init never lowers a hard limit and raises one
    // only to the soft limit asked for (limits.NAME.raiseHard), so the two must agree.
    Result<AmountSpec> hard = ParseLimitAmount(*row, value.substr(colon + 1), true);
    if (!hard) return Error{said + hard.error()};
    if (!SameAmount(out.request, hard.value())) {
      return Error{said + "the soft and hard values differ; give " + std::string(name) + "=" +
                   Printable(value.substr(0, colon)) +
                   " for the soft limit, or the same value twice to raise the hard limit too "
                   "(rlimit-init never lowers a hard limit)"};
    }
    out.raise_hard = true;
  }
  return out;
}

Result<std::vector<LimitOverride>> ParseLimitList(std::string_view text) {
  std::vector<LimitOverride> out;
  std::size_t at = 0;
  while (at < text.size()) {
    const std::size_t end = text.find_first_of(", \t\n", at);
    const std::string_view word = text.substr(at, end == text.npos ? text.npos : end - at);
    at = end == text.npos ? text.size() : end + 1;
    if (word.empty()) continue;
    Result<LimitOverride> limit = ParseLimitOverride(word);
    if (!limit) return Error{limit.error()};
    for (const LimitOverride& earlier : out) {
      if (earlier.resource == limit->resource) {
        return Error{Quoted(word) + ": " + std::string(Row(earlier.resource).name) +
                     " is given more than once"};
      }
    }
    out.push_back(std::move(limit).value());
  }
  return out;
}

void ApplyLimitOverrides(const std::vector<LimitOverride>& from_env,
                         const std::vector<LimitOverride>& from_flags, Policy* policy) {
  auto apply = [policy](const LimitOverride& o, std::string_view origin) {
    std::optional<LimitSpec>& spec = policy->limits[static_cast<std::size_t>(o.resource)];
    if (!spec) spec.emplace();
    spec->request = o.request;
    spec->lower = true;
    spec->raise_hard = spec->raise_hard || o.raise_hard;
    spec->origin = std::string(origin) + " " + std::string(Row(o.resource).name);
  };
  for (const LimitOverride& o : from_env) {
    bool flagged = false;
    for (const LimitOverride& flag : from_flags) flagged = flagged || flag.resource == o.resource;
    if (!flagged) apply(o, "RLIMIT_INIT_LIMITS");
  }
  for (const LimitOverride& o : from_flags) apply(o, "--limit");
}

}  // namespace rlimit_init

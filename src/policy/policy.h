// SPDX-License-Identifier: Apache-2.0
// The YAML policy, version rlimit-init/v1. yaml-cpp reads it in policy_tree.cc alone;
// policy_writer.cc writes measure's recommended policy with yaml-cpp's Emitter.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/limit.h"
#include "base/result.h"
#include "policy/init_mode.h"

namespace rlimit_init {

/// The policy's env: section, name -> value, in file order.
using EnvSettings = std::vector<std::pair<std::string, std::string>>;

/// Why `name` cannot be an environment variable's name, or "" when it can: a letter or '_'
/// then letters, digits and '_' (POSIX's portable names; '=' would cut it).
std::string EnvNameProblem(std::string_view name);

/// Policy files larger than this are refused before parsing: yaml-cpp needs hundreds of MiB
/// for a few MiB of input, and no real policy is longer than a page.
inline constexpr std::size_t kMaxPolicyBytes = 256 * 1024;

/// A requested amount of address space before it is resolved against the host.
struct AmountSpec {
  enum class Kind { kBytes, kPercent, kNoLimit, kHard };
  Kind kind = Kind::kHard;
  std::uint64_t bytes = 0;          // kBytes
  std::uint32_t basis_points = 0;   // kPercent: hundredths of a percent of the memory ceiling
  std::string text;                 // as written, for messages
};

enum class AboveCgroup { kAllow, kWarn, kRefuse };

/// One resource's section, limits.NAME: the address space's rules for any rlimit. `kBytes`
/// amounts carry the value in the resource's own unit (bytes, files, seconds ...).
struct LimitSpec {
  AmountSpec request;                 // kHard when only minimum or lower is given
  std::optional<AmountSpec> minimum;  // a value only
  bool raise_hard = false;
  /// The policy asks to lower the soft limit to the request when it is above it (core: 0 to
  /// keep dumps off ephemeral storage). Never the hard limit: a process without
  /// CAP_SYS_RESOURCE could not raise it back.
  bool lower = false;
  /// For messages: "limits.nofile in FILE", "--limit nofile", "RLIMIT_INIT_LIMITS".
  std::string origin;
};
enum class OutputFormat { kText, kJson };

struct Policy {
  AmountSpec request;                    // addressSpace.request; "hard" when there is no policy
  std::optional<AmountSpec> minimum;     // addressSpace.minimum (bytes or percent only)
  AboveCgroup above_cgroup = AboveCgroup::kWarn;
  bool raise_hard = false;
  std::optional<std::uint64_t> memory_require;  // memory.require
  std::optional<OutputFormat> format;           // report.format
  std::string termination_message_path = "/dev/termination-log";  // "" disables
  std::optional<std::string> user;              // user: "UID[:GID]" or a name, dropped to
  std::optional<InitMode> init;                 // init: auto, exec, child or group
  std::string source;                           // file name the policy came from, or ""
  /// Where the request came from, for messages: "addressSpace.request in FILE", "--as",
  /// "RLIMIT_INIT_AS" or "the default (hard)". Set by whoever assembles the policy.
  std::string request_origin = "the default (hard)";
  /// limits.NAME for every resource but as (which is request/minimum/raise_hard above),
  /// indexed by Resource; empty where the policy says nothing and the limit is left alone.
  std::array<std::optional<LimitSpec>, kResourceCount> limits;
  /// env: variables set in the workload's environment before exec, over inherited ones.
  EnvSettings env;
};

/// Parses an amount: a quantity, "<n>%", "unlimited" or "hard". `allow_keywords` is false for
/// addressSpace.minimum, which takes only a quantity or a percentage.
Result<AmountSpec> ParseAmount(std::string_view text, bool allow_keywords);

/// Parses policy text. `file_name` is used in messages, which read
/// "FILE:LINE:COLUMN: KEY: what is wrong" (line and column 1-based).
Result<Policy> ParsePolicy(std::string_view text, const std::string& file_name);

}  // namespace rlimit_init

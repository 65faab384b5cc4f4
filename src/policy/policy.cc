// SPDX-License-Identifier: Apache-2.0
// Reads the policy tree into a Policy, checking every key and value against schema v1.
#include "policy/policy.h"

#include <algorithm>
#include <array>
#include <vector>

#include "policy/limit_value.h"
#include "policy/policy_tree.h"
#include "base/quantity.h"
#include "policy/termination.h"
#include "base/text.h"
#include "policy/user.h"

namespace rlimit_init {
namespace {

std::size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

// Walks the tree into a Policy; the first problem found becomes the error.
class PolicyReader {
 public:
  explicit PolicyReader(const std::string& file_name) : file_name_(file_name) {}

  Error Fail(Position at, const std::string& key, const std::string& what) const {
    std::string message = file_name_;
    if (at.line > 0) message += ":" + std::to_string(at.line) + ":" + std::to_string(at.column);
    message += ": ";
    if (!key.empty()) message += key + ": ";
    return {message + what};
  }

  // Checks a mapping's keys: each a plain scalar, known, and given once.
  std::optional<Error> CheckKeys(const Node& map, const std::string& path,
                                 std::initializer_list<std::string_view> known) const {
    std::vector<std::string_view> seen;
    for (const auto& [key, value] : map.entries) {
      std::string where = path.empty() ? "" : path;
      if (key.kind != Node::Kind::kScalar) {
        return Fail(key.position, where, std::string("a key must be a plain word, not ") +
                                             KindName(key.kind));
      }
      std::string full = path.empty() ? key.value : path + "." + key.value;
      if (std::find(known.begin(), known.end(), key.value) == known.end()) {
        std::string what = "unknown key";
        // A zero-width space or a byte-order mark pasted into a key leaves it looking like
        // the key it is not: suggest from what the reader sees, and name what they cannot.
        const std::optional<HiddenCharacter> hidden = FindHiddenCharacter(key.value);
        const std::string seen_as = hidden ? WithoutHiddenCharacters(key.value) : key.value;
        for (std::string_view candidate : known) {
          if (EditDistance(candidate, seen_as) <= 2) {
            what += " (did you mean \"" + std::string(candidate) + "\"?)";
            break;
          }
        }
        if (hidden) what += ": it contains an invisible character, " + Describe(*hidden);
        std::string expected;
        for (std::string_view candidate : known) {
          expected += (expected.empty() ? "" : ", ") + std::string(candidate);
        }
        // Escaped here, not only when printed, so that JSON shows the character too.
        return Fail(key.position, hidden ? Printable(full) : full,
                    what + "; expected one of: " + expected);
      }
      if (std::find(seen.begin(), seen.end(), key.value) != seen.end()) {
        return Fail(key.position, full, "duplicate key");
      }
      seen.push_back(key.value);
    }
    return std::nullopt;
  }

  static const Node* Find(const Node& map, std::string_view key) {
    for (const auto& [k, v] : map.entries) {
      if (k.value == key) return &v;
    }
    return nullptr;
  }

  std::optional<Error> ExpectScalar(const Node& node, const std::string& key,
                                    const char* expected) const {
    if (node.kind == Node::Kind::kScalar) return std::nullopt;
    return Fail(node.position, key,
                std::string("expected ") + expected + ", got " + KindName(node.kind));
  }

  std::optional<Error> ExpectMap(const Node& node, const std::string& key) const {
    if (node.kind == Node::Kind::kMap) return std::nullopt;
    return Fail(node.position, key, std::string("expected a mapping, got ") +
                                        KindName(node.kind));
  }

  Result<Policy> Read(const Node& root) const {
    Policy policy;
    policy.source = file_name_;
    policy.request_origin = "addressSpace.request in " + file_name_;
    if (root.kind != Node::Kind::kMap) {
      return Fail(root.position, "", std::string("a policy must be a mapping, got ") +
                                         KindName(root.kind));
    }
    if (auto e = CheckKeys(root, "", {"apiVersion", "addressSpace", "limits", "memory", "report",
                                      "user", "init", "env"})) {
      return *e;
    }
    const Node* api = Find(root, "apiVersion");
    if (api == nullptr) return Fail(root.position, "apiVersion", "required key is missing");
    if (auto e = ExpectScalar(*api, "apiVersion", "\"rlimit-init/v1\"")) return *e;
    if (api->value != "rlimit-init/v1") {
      return Fail(api->position, "apiVersion",
                  "unsupported version \"" + api->value + "\"; expected \"rlimit-init/v1\"");
    }
    const Node* space = Find(root, "addressSpace");
    const Node* limits = Find(root, "limits");
    if (space == nullptr && limits == nullptr) {
      return Fail(root.position, "addressSpace", "required key is missing");
    }
    if (space != nullptr) {
      if (auto e = ReadAddressSpace(*space, &policy)) return *e;
    }
    if (limits != nullptr) {
      if (auto e = ReadLimits(*limits, space != nullptr, &policy)) return *e;
    }
    if (const Node* memory = Find(root, "memory")) {
      if (auto e = ReadMemory(*memory, &policy)) return *e;
    }
    if (const Node* report = Find(root, "report")) {
      if (auto e = ReadReport(*report, &policy)) return *e;
    }
    if (const Node* user = Find(root, "user")) {
      if (auto e = ExpectScalar(*user, "user", "\"UID[:GID]\" or a user name")) return *e;
      Result<UserSpec> spec = ParseUserSpec(user->value);
      if (!spec) return Fail(user->position, "user", spec.error());
      policy.user = user->value;
    }
    if (const Node* env = Find(root, "env")) {
      if (auto e = ReadEnv(*env, &policy)) return *e;
    }
    if (const Node* init = Find(root, "init")) {
      if (auto e = ExpectScalar(*init, "init", "auto, exec, child or group")) return *e;
      Result<InitMode> mode = ParseInitMode(init->value);
      if (!mode) return Fail(init->position, "init", mode.error());
      policy.init = mode.value();
    }
    return policy;
  }

 private:
  std::optional<Error> ReadAmount(const Node& node, const std::string& key, bool keywords,
                                  AmountSpec* out) const {
    const char* expected = keywords ? "a quantity, a percentage, \"unlimited\" or \"hard\""
                                    : "a quantity or a percentage";
    if (auto e = ExpectScalar(node, key, expected)) return e;
    Result<AmountSpec> amount = ParseAmount(node.value, keywords);
    if (!amount) return Fail(node.position, key, amount.error());
    *out = std::move(amount).value();
    return std::nullopt;
  }

  std::optional<Error> ReadAddressSpace(const Node& node, Policy* policy) const {
    if (auto e = ExpectMap(node, "addressSpace")) return e;
    if (auto e = CheckKeys(node, "addressSpace",
                           {"request", "minimum", "aboveCgroup", "raiseHard"})) {
      return e;
    }
    const Node* request = Find(node, "request");
    if (request == nullptr) {
      return Fail(node.position, "addressSpace.request", "required key is missing");
    }
    if (auto e = ReadAmount(*request, "addressSpace.request", true, &policy->request)) return e;
    if (const Node* minimum = Find(node, "minimum")) {
      AmountSpec spec;
      if (auto e = ReadAmount(*minimum, "addressSpace.minimum", false, &spec)) return e;
      if (spec.kind == AmountSpec::Kind::kBytes &&
          policy->request.kind == AmountSpec::Kind::kBytes &&
          spec.bytes > policy->request.bytes) {
        return Fail(minimum->position, "addressSpace.minimum",
                    spec.text + " is more than addressSpace.request " + policy->request.text);
      }
      policy->minimum = spec;
    }
    if (const Node* above = Find(node, "aboveCgroup")) {
      const char* expected = "allow, warn or refuse";
      if (auto e = ExpectScalar(*above, "addressSpace.aboveCgroup", expected)) return e;
      if (above->value == "allow") {
        policy->above_cgroup = AboveCgroup::kAllow;
      } else if (above->value == "warn") {
        policy->above_cgroup = AboveCgroup::kWarn;
      } else if (above->value == "refuse") {
        policy->above_cgroup = AboveCgroup::kRefuse;
      } else {
        return Fail(above->position, "addressSpace.aboveCgroup",
                    "expected allow, warn or refuse, got \"" + above->value + "\"");
      }
    }
    if (const Node* raise = Find(node, "raiseHard")) {
      if (auto e = ReadBool(*raise, "addressSpace.raiseHard", &policy->raise_hard)) return e;
    }
    return std::nullopt;
  }

  // limits: one key per resource, each a value (the request) or a mapping like addressSpace's.
  std::optional<Error> ReadLimits(const Node& node, bool has_address_space,
                                  Policy* policy) const {
    if (auto e = ExpectMap(node, "limits")) return e;
    if (auto e = CheckKeys(node, "limits",
                           {"as", "core", "cpu", "data", "fsize", "locks", "memlock", "msgqueue",
                            "nice", "nofile", "nproc", "rss", "rtprio", "rttime", "sigpending",
                            "stack"})) {
      return e;
    }
    for (const auto& [key, value] : node.entries) {
      const ResourceRow& row = *FindResource(key.value);
      const std::string path = "limits." + key.value;
      if (row.resource == Resource::kAs && has_address_space) {
        return Fail(key.position, path, "the address space is already set by addressSpace; "
                                        "keep one of the two");
      }
      LimitSpec spec;
      spec.origin = path + " in " + file_name_;
      if (auto e = ReadLimit(row, value, path, &spec)) return e;
      if (row.resource == Resource::kAs) {
        if (spec.lower) return Fail(value.position, path + ".lower", "the address space is "
                                    "never lowered; remove lower");
        policy->request = spec.request;
        policy->minimum = spec.minimum;
        policy->raise_hard = spec.raise_hard;
        policy->request_origin = path + ".request in " + file_name_;
        continue;
      }
      policy->limits[static_cast<std::size_t>(row.resource)] = std::move(spec);
    }
    return std::nullopt;
  }

  std::optional<Error> ReadLimit(const ResourceRow& row, const Node& node,
                                 const std::string& path, LimitSpec* spec) const {
    const std::string expected =
        row.unit == LimitUnit::kBytes ? "a quantity, \"unlimited\" or \"hard\""
                                      : "a number, \"unlimited\" or \"hard\"";
    auto read_value = [&](const Node& value, const std::string& key, bool keywords,
                          AmountSpec* out) -> std::optional<Error> {
      if (auto e = ExpectScalar(value, key, keywords ? expected.c_str() : "a value")) return e;
      Result<AmountSpec> amount = ParseLimitAmount(row, value.value, keywords);
      if (!amount) return Fail(value.position, key, amount.error());
      *out = std::move(amount).value();
      return std::nullopt;
    };
    if (node.kind != Node::Kind::kMap) {
      // The short form: limits.nofile: 65536 is limits.nofile.request.
      return read_value(node, path, true, &spec->request);
    }
    if (auto e = CheckKeys(node, path, {"request", "minimum", "raiseHard", "lower"})) return e;
    const Node* request = Find(node, "request");
    if (request == nullptr) return Fail(node.position, path + ".request", "required key is missing");
    if (auto e = read_value(*request, path + ".request", true, &spec->request)) return e;
    if (const Node* minimum = Find(node, "minimum")) {
      AmountSpec value;
      if (auto e = read_value(*minimum, path + ".minimum", false, &value)) return e;
      if (value.kind == AmountSpec::Kind::kBytes &&
          spec->request.kind == AmountSpec::Kind::kBytes && value.bytes > spec->request.bytes) {
        return Fail(minimum->position, path + ".minimum",
                    value.text + " is more than " + path + ".request " + spec->request.text);
      }
      spec->minimum = value;
    }
    if (const Node* raise = Find(node, "raiseHard")) {
      if (auto e = ReadBool(*raise, path + ".raiseHard", &spec->raise_hard)) return e;
    }
    if (const Node* lower = Find(node, "lower")) {
      if (auto e = ReadBool(*lower, path + ".lower", &spec->lower)) return e;
      if (spec->lower && spec->request.kind != AmountSpec::Kind::kBytes) {
        return Fail(lower->position, path + ".lower",
                    "lower needs a value to lower to; " + path + ".request is " +
                        spec->request.text);
      }
    }
    return std::nullopt;
  }

  std::optional<Error> ReadBool(const Node& node, const std::string& key, bool* out) const {
    if (auto e = ExpectScalar(node, key, "true or false")) return e;
    static constexpr std::array<std::string_view, 3> kTrue = {"true", "True", "TRUE"};
    static constexpr std::array<std::string_view, 3> kFalse = {"false", "False", "FALSE"};
    const bool plain = node.style == Node::Style::kPlain;
    if (plain && std::find(kTrue.begin(), kTrue.end(), node.value) != kTrue.end()) {
      *out = true;
      return std::nullopt;
    }
    if (plain && std::find(kFalse.begin(), kFalse.end(), node.value) != kFalse.end()) {
      *out = false;
      return std::nullopt;
    }
    const std::string shown =
        plain ? node.value : "\"" + node.value + "\" (" + StyleNote(node.style) + ")";
    return Fail(node.position, key, "expected true or false, got " + shown);
  }

  // env: NAME: value. The names are checked here so that a typo fails before anything runs.
  std::optional<Error> ReadEnv(const Node& node, Policy* policy) const {
    if (auto e = ExpectMap(node, "env")) return e;
    for (const auto& [key, value] : node.entries) {
      if (key.kind != Node::Kind::kScalar) {
        return Fail(key.position, "env", std::string("a key must be a variable name, not ") +
                                             KindName(key.kind));
      }
      const std::string path = "env." + key.value;
      if (std::string why = EnvNameProblem(key.value); !why.empty()) {
        return Fail(key.position, "env", why + ", got " + Quoted(key.value));
      }
      for (const auto& [name, unused] : policy->env) {
        if (name == key.value) return Fail(key.position, path, "duplicate key");
      }
      if (auto e = ExpectScalar(value, path, "a string (quote numbers: \"2\")")) return e;
      // A double-quoted "\0" is a NUL in the value, and the environment would end the value
      // there: FOO would reach the workload as "abc" where the policy says "abc\0def".
      if (value.value.find('\0') != std::string::npos) {
        return Fail(value.position, path, "must not contain a NUL byte (an environment value "
                                          "ends at the first one)");
      }
      policy->env.emplace_back(key.value, value.value);
    }
    return std::nullopt;
  }

  std::optional<Error> ReadMemory(const Node& node, Policy* policy) const {
    if (auto e = ExpectMap(node, "memory")) return e;
    if (auto e = CheckKeys(node, "memory", {"require"})) return e;
    if (const Node* require = Find(node, "require")) {
      if (auto e = ExpectScalar(*require, "memory.require", "a quantity")) return e;
      Result<std::uint64_t> bytes = ParseQuantity(require->value);
      if (!bytes) return Fail(require->position, "memory.require", bytes.error());
      policy->memory_require = bytes.value();
    }
    return std::nullopt;
  }

  std::optional<Error> ReadReport(const Node& node, Policy* policy) const {
    if (auto e = ExpectMap(node, "report")) return e;
    if (auto e = CheckKeys(node, "report", {"format", "terminationMessagePath"})) return e;
    if (const Node* format = Find(node, "format")) {
      if (auto e = ExpectScalar(*format, "report.format", "text or json")) return e;
      if (format->value == "text") {
        policy->format = OutputFormat::kText;
      } else if (format->value == "json") {
        policy->format = OutputFormat::kJson;
      } else {
        return Fail(format->position, "report.format",
                    "expected text or json, got \"" + format->value + "\"");
      }
    }
    if (const Node* path = Find(node, "terminationMessagePath")) {
      if (auto e = ExpectScalar(*path, "report.terminationMessagePath", "a path or \"\"")) {
        return e;
      }
      if (!path->value.empty() && path->value.front() != '/') {
        return Fail(path->position, "report.terminationMessagePath",
                    "must be an absolute path or \"\", got " + Quoted(path->value));
      }
      if (std::optional<std::string> why = UnsafeTerminationPath(path->value)) {
        return Fail(path->position, "report.terminationMessagePath", *why);
      }
      policy->termination_message_path = path->value;
    }
    return std::nullopt;
  }

  const std::string& file_name_;
};

}  // namespace

Result<AmountSpec> ParseAmount(std::string_view text, bool allow_keywords) {
  AmountSpec spec;
  spec.text = std::string(text);
  if (allow_keywords && text == "unlimited") {
    spec.kind = AmountSpec::Kind::kNoLimit;
    return spec;
  }
  if (allow_keywords && text == "hard") {
    spec.kind = AmountSpec::Kind::kHard;
    return spec;
  }
  if (!text.empty() && text.back() == '%') {
    Result<std::uint32_t> percent = ParsePercent(text);
    if (!percent) return Error{percent.error()};
    spec.kind = AmountSpec::Kind::kPercent;
    spec.basis_points = percent.value();
    return spec;
  }
  Result<std::uint64_t> bytes = ParseQuantity(text);
  if (!bytes) {
    if (!allow_keywords && (text == "unlimited" || text == "hard")) {
      return Error{"\"" + std::string(text) + "\" is not allowed here; give a quantity or a "
                   "percentage"};
    }
    return Error{bytes.error()};
  }
  spec.kind = AmountSpec::Kind::kBytes;
  spec.bytes = bytes.value();
  return spec;
}

Result<Policy> ParsePolicy(std::string_view text, const std::string& file_name) {
  PolicyReader reader(file_name);
  Node root;
  TreeError error;
  if (!ParseYamlTree(text, &root, &error)) return reader.Fail(error.position, "", error.message);
  return reader.Read(root);
}

std::string EnvNameProblem(std::string_view name) {
  if (name.empty()) return "an environment variable needs a name";
  auto letter = [](char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_'; };
  if (!letter(name.front())) return "a name starts with a letter or '_'";
  for (char c : name) {
    if (!letter(c) && !(c >= '0' && c <= '9')) {
      return "a name has only letters, digits and '_'";
    }
  }
  return "";
}

}  // namespace rlimit_init

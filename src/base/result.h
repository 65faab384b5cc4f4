// SPDX-License-Identifier: Apache-2.0
// Value-or-error return type used by every parser: they never throw into the core.
#pragma once

#include <optional>
#include <string>
#include <utility>

namespace rlimit_init {

/// An error message already in the project's format, without the "rlimit-init: " prefix.
struct Error {
  std::string message;
};

/// Holds either a T or an Error. Small stand-in for C++23 std::expected.
template <typename T>
class Result {
 public:
  Result(T value) : value_(std::move(value)) {}           // NOLINT: implicit by design
  Result(Error error) : error_(std::move(error.message)) {}  // NOLINT: implicit by design

  bool ok() const { return value_.has_value(); }
  explicit operator bool() const { return ok(); }
  const T& value() const& { return *value_; }
  T& value() & { return *value_; }
  T&& value() && { return std::move(*value_); }
  const T& operator*() const& { return *value_; }
  const T* operator->() const { return &*value_; }
  const std::string& error() const { return error_; }

 private:
  std::optional<T> value_;
  std::string error_;
};

}  // namespace rlimit_init

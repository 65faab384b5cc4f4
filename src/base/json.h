// SPDX-License-Identifier: Apache-2.0
// What every JSON document rlimit-init writes shares: nlohmann-json's object kept in the order
// fields are added (the documents in docs/schema/ list them so), a byte value, and the one way
// a document becomes text. Header-only, as nlohmann-json is; only the JSON renderers call it,
// and a run without `-o json` never enters them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "base/limit.h"
#include "base/text.h"

namespace rlimit_init {

using Json = nlohmann::ordered_json;

/// A byte value or a limit: a number, or the string "unlimited".
inline Json JsonBytes(std::uint64_t value) {
  if (value == kUnlimited) return "unlimited";
  return value;
}

/// JsonBytes(*value), or null.
inline Json JsonBytes(const std::optional<std::uint64_t>& value) {
  return value ? JsonBytes(*value) : Json(nullptr);
}

namespace json_internal {

inline void MakeValidUtf8(Json* value) {
  if (value->is_string()) {
    std::string& text = value->get_ref<std::string&>();
    text = ValidUtf8(text);
  } else if (value->is_structured()) {
    for (Json& item : *value) MakeValidUtf8(&item);
  }
}

}  // namespace json_internal

/// The document on one line, ending in a newline. Every string in it is first made valid
/// UTF-8 the way the text report does it (ValidUtf8 in base/text.h): a byte from a hostile
/// file or value survives as the four characters \xNN instead of being dropped or replaced.
inline std::string DumpJson(Json document) {
  json_internal::MakeValidUtf8(&document);
  // Every string is valid UTF-8 by now; `replace` only keeps dump from ever throwing.
  return document.dump(-1, ' ', false, Json::error_handler_t::replace) + "\n";
}

}  // namespace rlimit_init

#pragma once
// JSON text writing helpers for the /deepstream-json codec (internal to strata_protocol_json).
// Thread-safety: pure functions.

#include <string>
#include <string_view>

#include <rapidjson/document.h>

namespace strata::json_wire::internal {

// Appends `s` as a JSON string literal (quotes included). Escapes '"', '\\' and control
// characters; replaces each byte that does not start a valid UTF-8 sequence (overlong forms,
// surrogates and code points above U+10FFFF included) by U+FFFD, so the result is valid UTF-8.
void AppendJsonString(std::string_view s, std::string* out);

// Appends the compact JSON text of `value` (no whitespace; member order kept; integers exact,
// doubles in shortest round-trip form). Iterative: any nesting depth uses bounded stack.
void AppendCompactJson(const rapidjson::Value& value, std::string* out);

}  // namespace strata::json_wire::internal

#pragma once
// Typed values of the legacy text protocol (PROTOCOL.md 7.3) and the JSON payloads of the
// internal message model. A typed value is one prefix character and the value:
//   S<string> N<number> O<JSON> T F L(null) U(undefined: no value).
// In the internal model a payload is JSON text, and "no value" is an absent `data`.
// Thread-safety: pure functions.

#include <optional>
#include <string>
#include <string_view>

#include "strata/status.h"

namespace strata::text_wire {

// The legacy field separators; no field may contain them.
inline constexpr char kMessageSeparator = '\x1e';
inline constexpr char kPartSeparator = '\x1f';

// Typed value -> JSON text (nullopt for `U`). kInvalidArgument for an empty field, an unknown
// prefix, a number that is not finite, or `O` that is not JSON.
Result<std::optional<std::string>> TypedToJson(std::string_view typed);

// JSON text (absent = `U`) -> typed value. A JSON string becomes `S` unless it holds a separator
// (then `O` with the JSON string, which the client's JSON.parse turns back into the string);
// text that is not JSON is sent as a string, without separators.
std::string JsonToTyped(const std::optional<std::string>& json);

// Whether `text` is exactly one JSON value (surrounding whitespace allowed).
bool IsJson(std::string_view text);

// `text` as a JSON string literal.
std::string JsonString(std::string_view text);

}  // namespace strata::text_wire

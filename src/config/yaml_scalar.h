#pragma once
// What a YAML scalar means under the YAML 1.2 core schema, and YAML -> JSON conversion.
// yaml-cpp hands out every scalar as text; these helpers decide whether `8080`, `true`, `~` or
// `'8080'` is a number, a boolean, null or a string, the same way for typed config fields and
// for free-form connector options converted to JSON.

#include <cstdint>
#include <optional>
#include <string>

#include <yaml-cpp/yaml.h>

#include "strata/status.h"

namespace strata::config_internal {

enum class ScalarKind { kNull, kBool, kInt, kFloat, kString };

// The kind of a scalar or null node. Quoted scalars and `!!str` are always strings; plain ones
// are resolved by the core schema. REQUIRES: node is a scalar or null.
ScalarKind ResolveScalar(const YAML::Node& node);

// A core-schema integer (decimal, 0x hex, 0o octal) of a plain scalar; nullopt if it is not one
// or does not fit in 64 bits.
std::optional<int64_t> ParseCoreInt(const std::string& text);

// `"text"` with JSON escapes.
std::string JsonQuote(const std::string& text);

// Converts a YAML tree to compact JSON text. `path` names the node in error messages (mapping
// keys must be scalars). Floats that JSON cannot express (.inf, .nan) become strings.
Result<std::string> YamlToJson(const YAML::Node& node, const std::string& path);

}  // namespace strata::config_internal

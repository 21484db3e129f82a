#pragma once
// Path writes on record documents, as deepstream's json-path does them:
// a path is `a.b[2].c`; missing containers on the way are created (an array when the next step
// is an index, else an object); erasing removes an object member, or nulls an array element
// (JSON has no holes). Thread-safety: pure functions.

#include <optional>
#include <string>
#include <string_view>

#include "strata/status.h"

namespace strata {

// `record_json` with `path` set to the JSON value `value_json`, or erased when it is nullopt.
// kInvalidArgument for an empty or malformed path, or value/record text that is not JSON.
Result<std::string> ApplyPatch(std::string_view record_json, std::string_view path,
                               std::optional<std::string_view> value_json);

}  // namespace strata

#pragma once
// Checks that text is JSON, for data that comes from clients (record data, auth data) before
// anything parses or stores it. Below every layer that validates client JSON (record, permission,
// server). Thread-safety: pure functions.

#include <string_view>

#include "strata/status.h"

namespace strata {

// kInvalidArgument unless `json` is one complete JSON value (whitespace around it allowed).
Status ValidateJson(std::string_view json);
// kInvalidArgument unless `json` is a JSON object or array (what a whole record may be).
Status ValidateRecordData(std::string_view json);

}  // namespace strata

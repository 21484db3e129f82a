#include "connectors/sqlite/sqlite_options.h"

#include <limits>

#include <rapidjson/document.h>

#include "connectors/common/json_options.h"

namespace strata {
namespace {

Status Invalid(std::string_view key, std::string_view expected) {
  return Status::InvalidArgument("storage.options." + std::string(key) + ": expected " +
                                 std::string(expected));
}

Status ApplyPath(const rapidjson::Value& value, SqliteOptions& options) {
  if (!value.IsString() || value.GetStringLength() == 0) {
    return Invalid("path", "a non-empty string");
  }
  options.path.assign(value.GetString(), value.GetStringLength());
  return Status();
}

Status ApplySynchronous(const rapidjson::Value& value, SqliteOptions& options) {
  std::string_view mode = value.IsString() ? value.GetString() : "";
  if (mode == "normal") {
    options.synchronous = SqliteSync::kNormal;
  } else if (mode == "full") {
    options.synchronous = SqliteSync::kFull;
  } else {
    return Invalid("synchronous", "\"normal\" or \"full\"");
  }
  return Status();
}

Status ApplyBusyTimeout(const rapidjson::Value& value, SqliteOptions& options) {
  if (!value.IsUint64() || value.GetUint64() > std::numeric_limits<int>::max()) {
    return Invalid("busyTimeout", "a non-negative integer (milliseconds)");
  }
  options.busy_timeout_ms = static_cast<int>(value.GetUint64());
  return Status();
}

}  // namespace

Result<SqliteOptions> ParseSqliteOptions(std::string_view options_json) {
  SqliteOptions options;
  STRATA_RETURN_IF_ERROR(ForEachJsonOption(
      options_json, "storage", [&](std::string_view key, const rapidjson::Value& value) -> Status {
        if (key == "path") return ApplyPath(value, options);
        if (key == "synchronous") return ApplySynchronous(value, options);
        if (key == "busyTimeout") return ApplyBusyTimeout(value, options);
        return Status::InvalidArgument("storage.options." + std::string(key) +
                                       ": unknown option; known: path, synchronous, busyTimeout");
      }));
  return options;
}

}  // namespace strata

#include "connectors/sqlite/sqlite_options.h"

#include <rapidjson/document.h>

#include <limits>

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
  if (options_json.empty()) return options;
  rapidjson::Document doc;
  doc.Parse(options_json.data(), options_json.size());
  if (doc.HasParseError() || !doc.IsObject()) {
    return Status::InvalidArgument("storage.options: expected a JSON object");
  }
  for (const auto& member : doc.GetObject()) {
    std::string_view key(member.name.GetString(), member.name.GetStringLength());
    if (key == "path") {
      STRATA_RETURN_IF_ERROR(ApplyPath(member.value, options));
    } else if (key == "synchronous") {
      STRATA_RETURN_IF_ERROR(ApplySynchronous(member.value, options));
    } else if (key == "busyTimeout") {
      STRATA_RETURN_IF_ERROR(ApplyBusyTimeout(member.value, options));
    } else {
      return Status::InvalidArgument("storage.options." + std::string(key) +
                                     ": unknown option; known: path, synchronous, busyTimeout");
    }
  }
  return options;
}

}  // namespace strata

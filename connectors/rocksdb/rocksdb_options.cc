#include "connectors/rocksdb/rocksdb_options.h"

#include <rapidjson/document.h>

#include "connectors/common/json_options.h"

namespace strata {
namespace {

Status Invalid(std::string_view key, std::string_view expected) {
  return Status::InvalidArgument("storage.options." + std::string(key) + ": expected " +
                                 std::string(expected));
}

}  // namespace

Result<RocksdbOptions> ParseRocksdbOptions(std::string_view options_json) {
  RocksdbOptions options;
  STRATA_RETURN_IF_ERROR(ForEachJsonOption(
      options_json, "storage", [&](std::string_view key, const rapidjson::Value& value) -> Status {
        if (key == "path") {
          if (!value.IsString() || value.GetStringLength() == 0) {
            return Invalid("path", "a non-empty string");
          }
          options.path.assign(value.GetString(), value.GetStringLength());
          return Status();
        }
        if (key == "sync") {
          if (!value.IsBool()) return Invalid("sync", "true or false");
          options.sync = value.GetBool();
          return Status();
        }
        return Status::InvalidArgument("storage.options." + std::string(key) +
                                       ": unknown option; known: path, sync");
      }));
  return options;
}

}  // namespace strata

#include "connectors/rocksdb/rocksdb_options.h"

#include <rapidjson/document.h>

namespace strata {
namespace {

Status Invalid(std::string_view key, std::string_view expected) {
  return Status::InvalidArgument("storage.options." + std::string(key) + ": expected " +
                                 std::string(expected));
}

}  // namespace

Result<RocksdbOptions> ParseRocksdbOptions(std::string_view options_json) {
  RocksdbOptions options;
  if (options_json.empty()) return options;
  rapidjson::Document doc;
  doc.Parse(options_json.data(), options_json.size());
  if (doc.HasParseError() || !doc.IsObject()) {
    return Status::InvalidArgument("storage.options: expected a JSON object");
  }
  for (const auto& member : doc.GetObject()) {
    std::string_view key(member.name.GetString(), member.name.GetStringLength());
    const rapidjson::Value& value = member.value;
    if (key == "path") {
      if (!value.IsString() || value.GetStringLength() == 0) {
        return Invalid("path", "a non-empty string");
      }
      options.path.assign(value.GetString(), value.GetStringLength());
    } else if (key == "sync") {
      if (!value.IsBool()) return Invalid("sync", "true or false");
      options.sync = value.GetBool();
    } else {
      return Status::InvalidArgument("storage.options." + std::string(key) +
                                     ": unknown option; known: path, sync");
    }
  }
  return options;
}

}  // namespace strata

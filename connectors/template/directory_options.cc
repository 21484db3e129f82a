// Options of the template connector. FILL IN: one key per field of DirectoryOptions; refuse
// unknown keys, so that a misspelt option is an error and not a silent default.

#include <rapidjson/document.h>

#include "connectors/template/directory_storage.h"

namespace strata::template_connector {

Result<DirectoryOptions> ParseDirectoryOptions(std::string_view options_json) {
  rapidjson::Document doc;
  doc.Parse(options_json.data(), options_json.size());
  if (doc.HasParseError() || !doc.IsObject()) {
    return Status::InvalidArgument("options: expected a JSON object");
  }
  DirectoryOptions options;
  for (const auto& member : doc.GetObject()) {
    std::string key(member.name.GetString(), member.name.GetStringLength());
    if (key == "path") {
      if (!member.value.IsString() || member.value.GetStringLength() == 0) {
        return Status::InvalidArgument("options.path: expected a non-empty string");
      }
      options.path.assign(member.value.GetString(), member.value.GetStringLength());
    } else {
      return Status::InvalidArgument("options." + key + ": unknown option (known: path)");
    }
  }
  return options;
}

}  // namespace strata::template_connector

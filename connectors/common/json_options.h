#pragma once
// The `options` of a connector's config section, as JSON text: every connector reads them the same
// way (empty = all defaults; anything but a JSON object is refused naming the section), then
// applies each member itself. Header-only, so plugins need no extra library for it.
// Thread-safety: pure function.

#include <string>
#include <string_view>

#include <rapidjson/document.h>

#include "strata/status.h"

namespace strata {

// Calls apply(key, value) -> Status for each member of the object `options_json`, stopping at the
// first error. `section` names the config section for the error ("cache", "storage").
template <typename Apply>
Status ForEachJsonOption(std::string_view options_json, std::string_view section, Apply&& apply) {
  if (options_json.empty()) return Status();
  rapidjson::Document doc;
  doc.Parse(options_json.data(), options_json.size());
  if (doc.HasParseError() || !doc.IsObject()) {
    return Status::InvalidArgument(std::string(section) + ".options: expected a JSON object");
  }
  for (const auto& member : doc.GetObject()) {
    std::string_view key(member.name.GetString(), member.name.GetStringLength());
    STRATA_RETURN_IF_ERROR(apply(key, member.value));
  }
  return Status();
}

}  // namespace strata

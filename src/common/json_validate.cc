#include "common/json_validate.h"

#include <string>

#include <rapidjson/error/en.h>
#include <rapidjson/reader.h>

namespace strata {
namespace {

bool IsJsonSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

bool OnlySpaceAfter(std::string_view json, size_t offset) {
  for (size_t i = offset; i < json.size(); ++i) {
    if (!IsJsonSpace(json[i])) return false;
  }
  return true;
}

}  // namespace

Status ValidateJson(std::string_view json) {
  rapidjson::Reader reader;
  rapidjson::BaseReaderHandler<> handler;
  rapidjson::MemoryStream stream(json.data(), json.size());
  rapidjson::ParseResult ok = reader.Parse<rapidjson::kParseStopWhenDoneFlag>(stream, handler);
  if (!ok) {
    return Status::InvalidArgument(std::string("not JSON: ") +
                                   rapidjson::GetParseError_En(ok.Code()));
  }
  if (!OnlySpaceAfter(json, stream.Tell())) {
    return Status::InvalidArgument("not JSON: trailing characters");
  }
  return Status();
}

Status ValidateRecordData(std::string_view json) {
  size_t i = 0;
  while (i < json.size() && IsJsonSpace(json[i])) ++i;
  if (i == json.size() || (json[i] != '{' && json[i] != '[')) {
    return Status::InvalidArgument("record data must be a JSON object or array");
  }
  return ValidateJson(json);
}

}  // namespace strata

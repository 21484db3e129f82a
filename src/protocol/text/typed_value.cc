#include "protocol/text/typed_value.h"

#include <charconv>
#include <cmath>
#include <cstdlib>

#include <rapidjson/document.h>
#include <rapidjson/reader.h>

#include "protocol/json/json_text.h"

namespace strata::text_wire {
namespace {

constexpr unsigned kParseFlags =
    rapidjson::kParseIterativeFlag | rapidjson::kParseValidateEncodingFlag;

bool HasSeparator(std::string_view s) {
  return s.find(kMessageSeparator) != s.npos || s.find(kPartSeparator) != s.npos;
}

// JSON number text for `text` as JS parseFloat would read the whole field, or nullopt.
std::optional<std::string> NumberJson(std::string_view text) {
  if (IsJson(text)) {
    std::string s(text);
    rapidjson::Document doc;
    doc.Parse<kParseFlags>(s.c_str(), s.size());
    if (doc.IsNumber()) return s;
  }
  // Not JSON syntax (".5", "+1", "1."): accept any complete, finite decimal number.
  std::string s(text);
  if (s.empty() || std::isspace(static_cast<unsigned char>(s[0]))) return std::nullopt;
  char* end = nullptr;
  double value = std::strtod(s.c_str(), &end);
  if (end != s.c_str() + s.size() || !std::isfinite(value)) return std::nullopt;
  if (s.find_first_of("xXnN") != s.npos) return std::nullopt;  // hex, nan, inf spellings
  char buf[32];
  auto [ptr, ec] = std::to_chars(buf, buf + sizeof(buf), value);
  return std::string(buf, ptr);
}

}  // namespace

bool IsJson(std::string_view text) {
  if (text.find('\0') != text.npos) return false;
  std::string s(text);
  rapidjson::Reader reader;
  rapidjson::BaseReaderHandler<> handler;
  rapidjson::StringStream stream(s.c_str());
  return !reader.Parse<kParseFlags>(stream, handler).IsError();
}

std::string JsonString(std::string_view text) {
  std::string out;
  json_wire::internal::AppendJsonString(text, &out);
  return out;
}

Result<std::optional<std::string>> TypedToJson(std::string_view typed) {
  if (typed.empty()) return Status::InvalidArgument("empty typed value");
  std::string_view value = typed.substr(1);
  switch (typed[0]) {
    case 'S':
      return std::optional<std::string>(JsonString(value));
    case 'N': {
      std::optional<std::string> number = NumberJson(value);
      if (!number) return Status::InvalidArgument("not a number: " + std::string(value));
      return number;
    }
    case 'O':
      if (!IsJson(value)) return Status::InvalidArgument("not JSON: " + std::string(value));
      return std::optional<std::string>(std::string(value));
    case 'T':
      return std::optional<std::string>("true");
    case 'F':
      return std::optional<std::string>("false");
    case 'L':
      return std::optional<std::string>("null");
    case 'U':
      return std::optional<std::string>();
    default:
      return Status::InvalidArgument("unknown type prefix '" + std::string(1, typed[0]) + "'");
  }
}

std::string JsonToTyped(const std::optional<std::string>& json) {
  if (!json) return "U";
  std::string s = *json;
  rapidjson::Document doc;
  if (s.find('\0') != s.npos || doc.Parse<kParseFlags>(s.c_str(), s.size()).HasParseError()) {
    for (char& c : s) {
      if (c == kMessageSeparator || c == kPartSeparator) c = ' ';
    }
    return "S" + s;
  }
  if (doc.IsString()) {
    std::string_view str(doc.GetString(), doc.GetStringLength());
    if (HasSeparator(str)) return "O" + JsonString(str);
    return "S" + std::string(str);
  }
  if (doc.IsNumber()) return "N" + s.substr(s.find_first_not_of(" \t\r\n"));
  if (doc.IsTrue()) return "T";
  if (doc.IsFalse()) return "F";
  if (doc.IsNull()) return "L";
  return "O" + s;  // object or array; valid JSON never holds a raw separator
}

}  // namespace strata::text_wire

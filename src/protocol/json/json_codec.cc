#include "protocol/json/json_codec.h"

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <utility>

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>

#include "protocol/json/json_text.h"

namespace strata::json_wire {
namespace {

using rapidjson::Value;
using StringField = std::optional<std::string> Message::*;
using BoolField = std::optional<bool> Message::*;
using IntField = std::optional<int32_t> Message::*;

// JSON keys of the plain fields; the same tables drive Decode and Encode.
constexpr std::pair<std::string_view, StringField> kStringFields[] = {
    {"data", &Message::data},
    {"correlationId", &Message::correlation_id},
    {"name", &Message::name},
    {"pattern", &Message::pattern},
    {"subscription", &Message::subscription},
    {"path", &Message::path},
    {"url", &Message::url},
    {"protocolVersion", &Message::protocol_version},
    {"sdkVersion", &Message::sdk_version},
    {"sdkType", &Message::sdk_type},
    {"requestorName", &Message::requestor_name},
    {"requestorData", &Message::requestor_data},
};
constexpr std::pair<std::string_view, BoolField> kBoolFields[] = {
    {"isError", &Message::is_error},
    {"isAck", &Message::is_ack},
    {"isWriteAck", &Message::is_write_ack},
};
constexpr std::pair<std::string_view, IntField> kIntFields[] = {
    {"originalAction", &Message::original_action},
    {"version", &Message::version},
};

constexpr unsigned kParseFlags = rapidjson::kParseIterativeFlag |
                                 rapidjson::kParseValidateEncodingFlag |
                                 rapidjson::kParseFullPrecisionFlag;

Status WrongType(std::string_view key, std::string_view expected) {
  return Status::InvalidArgument("json: field '" + std::string(key) + "' must be " +
                                 std::string(expected));
}

// Integers come as JSON numbers that fit int32; an integral double (2.0) is accepted too.
bool ToInt32(const Value& v, int32_t* out) {
  if (v.IsInt()) {
    *out = v.GetInt();
    return true;
  }
  if (!v.IsDouble()) return false;
  const double d = v.GetDouble();
  if (d != std::trunc(d) || d < std::numeric_limits<int32_t>::min() ||
      d > std::numeric_limits<int32_t>::max()) {
    return false;
  }
  *out = static_cast<int32_t>(d);
  return true;
}

Status ReadInt(std::string_view key, const Value& v, int32_t* out) {
  if (!ToInt32(v, out)) return WrongType(key, "an int32 number");
  return Status::Ok();
}

Status ReadNames(const Value& v, std::vector<std::string>* names) {
  if (!v.IsArray()) return WrongType("names", "an array of strings");
  names->clear();
  for (const Value& e : v.GetArray()) {
    if (!e.IsString()) return WrongType("names", "an array of strings");
    names->emplace_back(e.GetString(), e.GetStringLength());
  }
  return Status::Ok();
}

Status ReadVersions(const Value& v, std::vector<std::pair<std::string, int32_t>>* versions) {
  if (!v.IsObject()) return WrongType("versions", "an object of int32 numbers");
  versions->clear();
  for (const auto& m : v.GetObject()) {
    int32_t n;
    if (!ToInt32(m.value, &n)) return WrongType("versions", "an object of int32 numbers");
    versions->emplace_back(std::string(m.name.GetString(), m.name.GetStringLength()), n);
  }
  return Status::Ok();
}

// Decode state beyond the Message itself.
struct DecodeState {
  bool has_topic = false;
  const Value* parsed_data = nullptr;
};

// Sets a plain (string/bool/int32) field named `key`; *known is false if `key` is none of them.
Status ReadPlainField(std::string_view key, const Value& v, Message* msg, bool* known) {
  *known = true;
  for (const auto& [name, field] : kStringFields) {
    if (key != name) continue;
    if (v.IsNull()) return (msg->*field).reset(), Status::Ok();
    if (!v.IsString()) return WrongType(key, "a string");
    (msg->*field).emplace(v.GetString(), v.GetStringLength());
    return Status::Ok();
  }
  for (const auto& [name, field] : kBoolFields) {
    if (key != name) continue;
    if (v.IsNull()) return (msg->*field).reset(), Status::Ok();
    if (!v.IsBool()) return WrongType(key, "a boolean");
    msg->*field = v.GetBool();
    return Status::Ok();
  }
  for (const auto& [name, field] : kIntFields) {
    if (key != name) continue;
    if (v.IsNull()) return (msg->*field).reset(), Status::Ok();
    int32_t n;
    STRATA_RETURN_IF_ERROR(ReadInt(key, v, &n));
    msg->*field = n;
    return Status::Ok();
  }
  *known = false;
  return Status::Ok();
}

// Sets the field named `key`; ignores unknown keys.
Status ReadField(std::string_view key, const Value& v, Message* msg, DecodeState* state) {
  bool known;
  STRATA_RETURN_IF_ERROR(ReadPlainField(key, v, msg, &known));
  if (known) return Status::Ok();
  int32_t n = 0;
  if (key == "topic") {
    state->has_topic = !v.IsNull();
    if (v.IsNull()) return Status::Ok();
    STRATA_RETURN_IF_ERROR(ReadInt(key, v, &n));
    msg->topic = static_cast<Topic>(n);
  } else if (key == "action") {
    if (!v.IsNull()) STRATA_RETURN_IF_ERROR(ReadInt(key, v, &n));
    msg->action = n;
  } else if (key == "originalTopic" || key == "originalTOPIC") {
    if (v.IsNull()) return msg->original_topic.reset(), Status::Ok();
    STRATA_RETURN_IF_ERROR(ReadInt(key, v, &n));
    msg->original_topic = static_cast<Topic>(n);
  } else if (key == "names") {
    if (v.IsNull()) return msg->names.clear(), Status::Ok();
    return ReadNames(v, &msg->names);
  } else if (key == "versions") {
    if (v.IsNull()) return msg->versions.clear(), Status::Ok();
    return ReadVersions(v, &msg->versions);
  } else if (key == "parsedData") {
    state->parsed_data = &v;
  }
  return Status::Ok();
}

// Writes the members of one JSON object, handling the separating commas.
class ObjectWriter {
 public:
  explicit ObjectWriter(std::string* out) : out_(out) { out_->push_back('{'); }
  ~ObjectWriter() { out_->push_back('}'); }
  ObjectWriter(const ObjectWriter&) = delete;
  ObjectWriter& operator=(const ObjectWriter&) = delete;

  // `key` is one of our ASCII field names: no escaping needed.
  void Key(std::string_view key) {
    if (!first_) out_->push_back(',');
    first_ = false;
    out_->push_back('"');
    out_->append(key);
    out_->append("\":");
  }
  void Int(std::string_view key, int32_t v) { Key(key), out_->append(std::to_string(v)); }
  void Bool(std::string_view key, bool v) { Key(key), out_->append(v ? "true" : "false"); }
  void String(std::string_view key, std::string_view v) {
    Key(key);
    internal::AppendJsonString(v, out_);
  }

 private:
  std::string* out_;
  bool first_ = true;
};

void WriteNames(const std::vector<std::string>& names, ObjectWriter* w, std::string* out) {
  w->Key("names");
  out->push_back('[');
  for (size_t i = 0; i < names.size(); ++i) {
    if (i > 0) out->push_back(',');
    internal::AppendJsonString(names[i], out);
  }
  out->push_back(']');
}

void WriteVersions(const std::vector<std::pair<std::string, int32_t>>& versions, ObjectWriter* w,
                   std::string* out) {
  w->Key("versions");
  out->push_back('{');
  for (size_t i = 0; i < versions.size(); ++i) {
    if (i > 0) out->push_back(',');
    internal::AppendJsonString(versions[i].first, out);
    out->push_back(':');
    out->append(std::to_string(versions[i].second));
  }
  out->push_back('}');
}

}  // namespace

Result<Message> Decode(std::string_view text) {
  // RapidJSON's memory stream reads a NUL byte as end of input; JSON text never contains one.
  if (text.find('\0') != std::string_view::npos) {
    return Status::InvalidArgument("json: frame contains a NUL byte");
  }
  rapidjson::Document doc;
  doc.Parse<kParseFlags>(text.data(), text.size());
  if (doc.HasParseError()) {
    return Status::InvalidArgument(std::string("json: ") +
                                   rapidjson::GetParseError_En(doc.GetParseError()) + " (offset " +
                                   std::to_string(doc.GetErrorOffset()) + ")");
  }
  if (!doc.IsObject()) return Status::InvalidArgument("json: frame is not a JSON object");
  Message msg;
  DecodeState state;
  for (const auto& m : doc.GetObject()) {
    const std::string_view key(m.name.GetString(), m.name.GetStringLength());
    STRATA_RETURN_IF_ERROR(ReadField(key, m.value, &msg, &state));
  }
  if (!state.has_topic) return Status::InvalidArgument("json: field 'topic' is missing");
  if (!msg.data.has_value() && state.parsed_data != nullptr) {
    msg.data.emplace();
    internal::AppendCompactJson(*state.parsed_data, &*msg.data);
  }
  return msg;
}

void Encode(const Message& msg, std::string* out) {
  ObjectWriter w(out);
  w.Int("topic", static_cast<int32_t>(msg.topic));
  w.Int("action", msg.action);
  for (const auto& [name, field] : kStringFields) {
    if ((msg.*field).has_value()) w.String(name, *(msg.*field));
  }
  for (const auto& [name, field] : kBoolFields) {
    if ((msg.*field).has_value()) w.Bool(name, *(msg.*field));
  }
  for (const auto& [name, field] : kIntFields) {
    if ((msg.*field).has_value()) w.Int(name, *(msg.*field));
  }
  if (msg.original_topic.has_value()) {
    w.Int("originalTopic", static_cast<int32_t>(*msg.original_topic));
  }
  if (!msg.names.empty()) WriteNames(msg.names, &w, out);
  if (!msg.versions.empty()) WriteVersions(msg.versions, &w, out);
}

std::string Encode(const Message& msg) {
  std::string out;
  Encode(msg, &out);
  return out;
}

}  // namespace strata::json_wire

#include "http_api/jif.h"

#include <initializer_list>

#include "common/json_text.h"

namespace strata::http_api {
namespace {

namespace ra = record_action;

Status Invalid(std::string_view why) { return Status::InvalidArgument(why); }

// Checks that `jif` has only `allowed` members.
Status OnlyMembers(const rapidjson::Value& jif, std::initializer_list<std::string_view> allowed) {
  for (const auto& member : jif.GetObject()) {
    std::string_view name(member.name.GetString(), member.name.GetStringLength());
    bool known = false;
    for (std::string_view a : allowed) known = known || a == name;
    if (!known) return Invalid("property '" + std::string(name) + "' is not allowed here");
  }
  return Status();
}

// A required non-empty string member.
Result<std::string> Name(const rapidjson::Value& jif, const char* key) {
  auto it = jif.FindMember(key);
  if (it == jif.MemberEnd()) return Invalid(std::string("property '") + key + "' is required");
  if (!it->value.IsString() || it->value.GetStringLength() == 0) {
    return Invalid(std::string("property '") + key + "' must be a non-empty string");
  }
  return std::string(it->value.GetString(), it->value.GetStringLength());
}

// The optional `version` (default -1: create or overwrite whatever is there).
Result<int32_t> Version(const rapidjson::Value& jif) {
  auto it = jif.FindMember("version");
  if (it == jif.MemberEnd()) return -1;
  if (!it->value.IsInt() || it->value.GetInt() < -1) {
    return Invalid("property 'version' must be an integer >= -1");
  }
  // deepstream writes `version || -1`: 0 means "no version" too.
  return it->value.GetInt() == 0 ? -1 : it->value.GetInt();
}

std::optional<std::string> Data(const rapidjson::Value& jif) {
  auto it = jif.FindMember("data");
  if (it == jif.MemberEnd()) return std::nullopt;
  return ToJsonText(it->value);
}

Message Named(Topic topic, int32_t action, std::string name) {
  Message m;
  m.topic = topic;
  m.action = action;
  m.name = std::move(name);
  return m;
}

Result<JifRequest> RecordWrite(const rapidjson::Value& jif, const char* name_key, bool list,
                               const std::string& correlation_id) {
  const bool has_path = !list && jif.HasMember("path");
  if (list) {
    STRATA_RETURN_IF_ERROR(OnlyMembers(jif, {"topic", "action", "listName", "data", "version"}));
  } else {
    STRATA_RETURN_IF_ERROR(
        OnlyMembers(jif, {"topic", "action", "recordName", "data", "path", "version"}));
  }
  STRATA_ASSIGN_OR_RETURN(std::string name, Name(jif, name_key));
  auto data = jif.FindMember("data");
  if (data == jif.MemberEnd()) return Invalid("property 'data' is required");
  if (list) {
    bool strings = data->value.IsArray();
    if (strings) {
      for (const auto& item : data->value.GetArray()) strings = strings && item.IsString();
    }
    if (!strings) return Invalid("property 'data' must be an array of strings");
  } else if (!has_path && !data->value.IsObject() && !data->value.IsArray()) {
    return Invalid("property 'data' must be an object or an array (or give a path)");
  }
  JifRequest request;
  request.message =
      Named(Topic::kRecord, has_path ? ra::kCreateAndPatch : ra::kCreateAndUpdate, name);
  if (has_path) {
    const rapidjson::Value& path = jif["path"];
    if (!path.IsString()) return Invalid("property 'path' must be a string");
    request.message.path = std::string(path.GetString(), path.GetStringLength());
  }
  STRATA_ASSIGN_OR_RETURN(int32_t version, Version(jif));
  request.message.version = version;
  request.message.data = ToJsonText(data->value);
  request.message.is_write_ack = true;
  request.message.correlation_id = correlation_id;
  return request;
}

Result<JifRequest> Parse(const rapidjson::Value& jif, const std::string& correlation_id) {
  if (!jif.IsObject()) return Invalid("a JIF message must be an object");
  STRATA_ASSIGN_OR_RETURN(std::string topic, Name(jif, "topic"));
  STRATA_ASSIGN_OR_RETURN(std::string action, Name(jif, "action"));
  JifRequest request;
  if (topic == "event" && action == "emit") {
    STRATA_RETURN_IF_ERROR(OnlyMembers(jif, {"topic", "action", "eventName", "data"}));
    STRATA_ASSIGN_OR_RETURN(std::string name, Name(jif, "eventName"));
    request.message = Named(Topic::kEvent, event_action::kEmit, name);
    request.message.data = Data(jif);
    request.done_when_sent = true;
    return request;
  }
  if (topic == "rpc" && action == "make") {
    STRATA_RETURN_IF_ERROR(OnlyMembers(jif, {"topic", "action", "rpcName", "data"}));
    STRATA_ASSIGN_OR_RETURN(std::string name, Name(jif, "rpcName"));
    request.message = Named(Topic::kRpc, rpc_action::kRequest, name);
    request.message.data = Data(jif);
    request.message.correlation_id = correlation_id;
    return request;
  }
  if (topic == "record" || topic == "list") {
    const bool list = topic == "list";
    const char* key = list ? "listName" : "recordName";
    if (action == "write") return RecordWrite(jif, key, list, correlation_id);
    if (action == "notify" && !list) {
      STRATA_RETURN_IF_ERROR(OnlyMembers(jif, {"topic", "action", "recordNames"}));
      auto names = jif.FindMember("recordNames");
      if (names == jif.MemberEnd() || !names->value.IsArray() || names->value.Empty()) {
        return Invalid("property 'recordNames' must be a non-empty array of strings");
      }
      request.message.topic = Topic::kRecord;
      request.message.action = ra::kNotify;
      for (const auto& n : names->value.GetArray()) {
        if (!n.IsString())
          return Invalid("property 'recordNames' must be a non-empty array of strings");
        request.message.names.emplace_back(n.GetString(), n.GetStringLength());
      }
      request.message.correlation_id = correlation_id;
      return request;
    }
    const int32_t read_action = action == "read"            ? ra::kRead
                                : action == "delete"        ? ra::kDelete
                                : action == "head" && !list ? ra::kHead
                                                            : -1;
    if (read_action < 0)
      return Invalid("unknown action '" + action + "' for topic '" + topic + "'");
    STRATA_RETURN_IF_ERROR(OnlyMembers(jif, {"topic", "action", key}));
    STRATA_ASSIGN_OR_RETURN(std::string name, Name(jif, key));
    request.message = Named(Topic::kRecord, read_action, name);
    request.message.correlation_id = correlation_id;
    return request;
  }
  if (topic == "presence" && action == "query") {
    STRATA_RETURN_IF_ERROR(OnlyMembers(jif, {"topic", "action", "names"}));
    request.message.topic = Topic::kPresence;
    request.message.correlation_id = correlation_id;
    auto names = jif.FindMember("names");
    if (names == jif.MemberEnd()) {
      request.message.action = presence_action::kQueryAll;
      return request;
    }
    if (!names->value.IsArray()) return Invalid("property 'names' must be an array of strings");
    request.message.action = presence_action::kQuery;
    for (const auto& n : names->value.GetArray()) {
      if (!n.IsString()) return Invalid("property 'names' must be an array of strings");
      request.message.names.emplace_back(n.GetString(), n.GetStringLength());
    }
    return request;
  }
  return Invalid("unknown topic/action '" + topic + "/" + action + "'");
}

std::string_view TopicKey(Topic topic) {
  switch (topic) {
    case Topic::kRecord:
      return "record";
    case Topic::kEvent:
      return "event";
    case Topic::kRpc:
      return "rpc";
    case Topic::kPresence:
      return "presence";
    default:
      return "unknown";
  }
}

JifElement Succeeded(std::string fields) {
  return {true, "{" + fields + (fields.empty() ? "" : ",") + "\"success\":true}"};
}

// An error reply as deepstream's HTTP API words it.
JifElement ErrorElement(const Message& reply) {
  const std::string name = reply.name.value_or("");
  std::string fields = "\"errorTopic\":" + QuoteJson(TopicKey(reply.topic)) +
                       ",\"errorEvent\":" + std::to_string(reply.action) + ",\"success\":false";
  const bool record = reply.topic == Topic::kRecord;
  const bool denied =
      (record && reply.action == ra::kMessageDenied) ||
      (reply.topic == Topic::kEvent && reply.action == event_action::kMessageDenied) ||
      (reply.topic == Topic::kRpc && reply.action == rpc_action::kMessageDenied) ||
      (reply.topic == Topic::kPresence && reply.action == presence_action::kMessageDenied);
  std::string error;
  if (denied) {
    error = "Message denied. Action is not permitted.";
    if (reply.original_action) fields += ",\"action\":" + std::to_string(*reply.original_action);
  } else if (record &&
             (reply.action == ra::kVersionExists || reply.action == ra::kInvalidVersion)) {
    error = "Record update failed. Version " + std::to_string(reply.version.value_or(-1)) +
            (reply.action == ra::kVersionExists ? " exists" : " is not valid") + " for record \"" +
            name + "\".";
    fields += ",\"currentVersion\":" + std::to_string(reply.version.value_or(-1));
    if (reply.data) fields += ",\"currentData\":" + *reply.data;
  } else if (record && reply.action == ra::kRecordNotFound) {
    error = "Record read failed. Record \"" + name + "\" could not be found.";
  } else if (reply.topic == Topic::kRpc && reply.action == rpc_action::kNoRpcProvider) {
    error = "No provider was available to handle the RPC \"" + name + "\".";
  } else if (reply.topic == Topic::kRpc && reply.action == rpc_action::kResponseTimeout) {
    error = "The RPC response timeout was exceeded by the provider.";
  } else {
    error = "An error occurred: " + std::to_string(reply.action) + ".";
    if (!name.empty()) fields += ",\"errorParams\":" + QuoteJson(name);
  }
  return {false, "{" + fields + ",\"error\":" + QuoteJson(error) + "}"};
}

}  // namespace

Result<JifRequest> ParseJif(const rapidjson::Value& jif, const std::string& correlation_id) {
  return Parse(jif, correlation_id);
}

std::optional<JifElement> JifResult(const Message& reply) {
  if (reply.topic == Topic::kRpc && reply.action == rpc_action::kRequestError) {
    return JifElement{false, "{\"errorTopic\":\"rpc\",\"error\":" + reply.data.value_or("null") +
                                 ",\"success\":false}"};
  }
  if (reply.is_error.value_or(false) || reply.action >= 100) return ErrorElement(reply);
  const std::string data = reply.data.value_or("null");
  const std::string version = std::to_string(reply.version.value_or(-1));
  switch (reply.topic) {
    case Topic::kRpc:
      if (reply.action == rpc_action::kResponse) return Succeeded("\"data\":" + data);
      return std::nullopt;  // ACCEPT, the REQUEST ack: the answer is still to come
    case Topic::kRecord:
      if (reply.action == ra::kReadResponse)
        return Succeeded("\"version\":" + version + ",\"data\":" + data);
      if (reply.action == ra::kHeadResponse) return Succeeded("\"version\":" + version);
      return Succeeded("");  // write ack, delete success, notify ack
    case Topic::kPresence: {
      if (reply.action == presence_action::kQueryResponse) return Succeeded("\"users\":" + data);
      std::string users;
      for (const std::string& n : reply.names) users += (users.empty() ? "" : ",") + QuoteJson(n);
      return Succeeded("\"users\":[" + users + "]");
    }
    default:
      return Succeeded("");
  }
}

JifElement JifSuccess() { return Succeeded(""); }

JifElement JifTimeout() { return {false, R"({"success":false,"error":"HTTP_REQUEST_TIMEOUT"})"}; }

std::string JifResponse(const std::vector<JifElement>& elements) {
  size_t ok = 0;
  std::string body;
  for (const JifElement& e : elements) {
    ok += e.success ? 1 : 0;
    body += (body.empty() ? "" : ",") + e.json;
  }
  const char* result = ok == elements.size() ? "SUCCESS" : ok == 0 ? "FAILURE" : "PARTIAL_SUCCESS";
  return std::string("{\"result\":\"") + result + "\",\"body\":[" + body + "]}";
}

}  // namespace strata::http_api

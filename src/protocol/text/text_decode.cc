// Legacy text message -> internal message (client to server direction).
#include <algorithm>
#include <charconv>
#include <iterator>
#include <tuple>
#include <utility>

#include <rapidjson/document.h>

#include "protocol/text/text_codec.h"
#include "protocol/text/typed_value.h"

namespace strata::text_wire {
namespace {

using Fields = std::vector<std::string_view>;

// A legacy message split into fields, and the raw text for error details.
struct Parts {
  std::string_view raw;
  std::string_view topic;
  std::string_view action;
  Fields data;
};

DecodedMessage Fail(std::string topic, std::string event, std::vector<std::string> detail) {
  DecodedMessage d;
  d.error = TextError{std::move(topic), std::move(event), std::move(detail)};
  return d;
}

DecodedMessage InvalidData(const Parts& p) {
  return Fail(std::string(p.topic), "INVALID_MESSAGE_DATA", {std::string(p.raw)});
}

DecodedMessage UnknownAction(const Parts& p) {
  return Fail(std::string(p.topic), "UNKNOWN_ACTION", {"unknown action " + std::string(p.action)});
}

DecodedMessage Ok(Message m) {
  DecodedMessage d;
  d.message = std::move(m);
  return d;
}

Message Make(Topic topic, int32_t action) {
  Message m;
  m.topic = topic;
  m.action = action;
  return m;
}

// A one-name bulk message whose correlationId is the name (see text_codec.h).
Message SingleBulk(Topic topic, int32_t action, std::string_view name) {
  Message m = Make(topic, action);
  m.names = {std::string(name)};
  m.correlation_id = std::string(name);
  return m;
}

Message Named(Topic topic, int32_t action, std::string_view name) {
  Message m = Make(topic, action);
  m.name = std::string(name);
  return m;
}

// A JSON array of strings, as presence sends user lists.
std::optional<std::vector<std::string>> StringArray(std::string_view text) {
  if (!IsJson(text)) return std::nullopt;
  std::string s(text);
  rapidjson::Document doc;
  doc.Parse(s.c_str(), s.size());
  if (!doc.IsArray()) return std::nullopt;
  std::vector<std::string> out;
  for (const auto& v : doc.GetArray()) {
    if (!v.IsString()) return std::nullopt;
    out.emplace_back(v.GetString(), v.GetStringLength());
  }
  return out;
}

// Listening is the same on EVENT and RECORD: L/UL with a pattern, LA/LR with pattern + name.
std::optional<DecodedMessage> DecodeListen(const Parts& p, Topic topic, int32_t listen,
                                           int32_t unlisten, int32_t accept, int32_t reject) {
  const std::pair<std::string_view, int32_t> actions[] = {
      {"L", listen}, {"UL", unlisten}, {"LA", accept}, {"LR", reject}};
  auto it = std::find_if(std::begin(actions), std::end(actions),
                         [&](const auto& a) { return a.first == p.action; });
  if (it == std::end(actions)) return std::nullopt;
  const bool reply = it->second == accept || it->second == reject;
  if (p.data.size() < (reply ? 2u : 1u)) return InvalidData(p);
  Message m = Named(topic, it->second, p.data[0]);
  if (reply) m.subscription = std::string(p.data[1]);
  return Ok(std::move(m));
}

DecodedMessage DecodeEvent(const Parts& p) {
  namespace ea = event_action;
  if (auto listen = DecodeListen(p, Topic::kEvent, ea::kListen, ea::kUnlisten, ea::kListenAccept,
                                 ea::kListenReject)) {
    return *listen;
  }
  if (p.action == "S" || p.action == "US") {
    if (p.data.empty()) return InvalidData(p);
    return Ok(
        SingleBulk(Topic::kEvent, p.action == "S" ? ea::kSubscribe : ea::kUnsubscribe, p.data[0]));
  }
  if (p.action != "EVT") return UnknownAction(p);
  if (p.data.empty() || p.data.size() > 2) return InvalidData(p);
  Message m = Named(Topic::kEvent, ea::kEmit, p.data[0]);
  if (p.data.size() == 2) {
    Result<std::optional<std::string>> data = TypedToJson(p.data[1]);
    if (!data.ok()) return InvalidData(p);
    m.data = std::move(*data);
  }
  return Ok(std::move(m));
}

// Record versions are decimal integers; anything else is INVALID_VERSION.
std::optional<int32_t> ParseVersion(std::string_view text) {
  int32_t v = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || ptr != text.data() + text.size()) return std::nullopt;
  return v;
}

// The optional write config `{"writeSuccess":true}`: asks for a WA carrying the version.
bool ApplyWriteConfig(std::string_view config, std::string_view version, Message* m) {
  if (!IsJson(config)) return false;
  std::string s(config);
  rapidjson::Document doc;
  doc.Parse(s.c_str(), s.size());
  if (!doc.IsObject()) return false;
  auto it = doc.FindMember("writeSuccess");
  if (it != doc.MemberEnd() && it->value.IsTrue()) {
    m->is_write_ack = true;
    m->correlation_id = std::string(version);
  }
  return true;
}

// U/CU(update): name, version, json[, config]. P/CU(patch): name, version, path, typed[, config].
DecodedMessage DecodeWrite(const Parts& p, bool patch, int32_t action, size_t min, size_t max) {
  if (p.data.size() < min || p.data.size() > max) return InvalidData(p);
  std::optional<int32_t> version = ParseVersion(p.data[1]);
  if (!version) {
    return Fail("R", "INVALID_VERSION", {std::string(p.data[0]), std::string(p.data[1])});
  }
  Message m = Named(Topic::kRecord, action, p.data[0]);
  m.version = *version;
  const size_t config_at = patch ? 4 : 3;
  if (patch) {
    m.path = std::string(p.data[2]);
    Result<std::optional<std::string>> data = TypedToJson(p.data[3]);
    if (!data.ok() || p.data[2].empty()) return InvalidData(p);
    m.data = std::move(*data);
    if (!m.data && action == record_action::kPatch) m.action = record_action::kErase;
  } else {
    if (!IsJson(p.data[2])) return InvalidData(p);
    m.data = std::string(p.data[2]);
  }
  if (p.data.size() > config_at && !ApplyWriteConfig(p.data[config_at], p.data[1], &m)) {
    return InvalidData(p);
  }
  return Ok(std::move(m));
}

DecodedMessage DecodeRecord(const Parts& p) {
  namespace ra = record_action;
  if (auto listen = DecodeListen(p, Topic::kRecord, ra::kListen, ra::kUnlisten, ra::kListenAccept,
                                 ra::kListenReject)) {
    return *listen;
  }
  const std::string_view a = p.action;
  if (a == "U") return DecodeWrite(p, false, ra::kUpdate, 3, 4);
  if (a == "P") return DecodeWrite(p, true, ra::kPatch, 4, 5);
  if (a == "CU") {
    // 2.3.4 always appends a config: 4 parts update the whole record, 5 patch a path.
    if (p.data.size() < 4) {
      return Fail("R", "INVALID_MESSAGE_DATA", {std::string(p.data.empty() ? "" : p.data[0])});
    }
    return p.data.size() == 4 ? DecodeWrite(p, false, ra::kCreateAndUpdate, 4, 4)
                              : DecodeWrite(p, true, ra::kCreateAndPatch, 5, 5);
  }
  static constexpr std::pair<std::string_view, int32_t> kSingleName[] = {
      {"CR", ra::kSubscribeCreateAndRead},
      {"US", ra::kUnsubscribe},
      {"SN", ra::kRead},
      {"HD", ra::kHead},
      {"H", ra::kHead},
      {"D", ra::kDelete}};
  auto it = std::find_if(std::begin(kSingleName), std::end(kSingleName),
                         [&](const auto& k) { return k.first == a; });
  if (it == std::end(kSingleName)) return UnknownAction(p);
  const int32_t action = it->second;
  if (p.data.empty() || p.data[0].empty()) return InvalidData(p);
  if (action == ra::kSubscribeCreateAndRead) {
    Message m = Make(Topic::kRecord, action);
    m.names = {std::string(p.data[0])};
    return Ok(std::move(m));
  }
  if (action == ra::kUnsubscribe) return Ok(SingleBulk(Topic::kRecord, action, p.data[0]));
  DecodedMessage d = Ok(Named(Topic::kRecord, action, p.data[0]));
  d.has_query = a == "H";
  return d;
}

// REQ/RES: name, correlationId, typed. A|REQ: REQ, name, cid. E: error, name, cid. REJ: name, cid.
DecodedMessage DecodeRpc(const Parts& p) {
  namespace pa = rpc_action;
  const std::string_view a = p.action;
  if (a == "S" || a == "US") {
    if (p.data.empty()) return InvalidData(p);
    return Ok(SingleBulk(Topic::kRpc, a == "S" ? pa::kProvide : pa::kUnprovide, p.data[0]));
  }
  if (a == "REQ" || a == "RES") {
    if (p.data.size() != 3) return InvalidData(p);
    Result<std::optional<std::string>> data = TypedToJson(p.data[2]);
    if (!data.ok()) return InvalidData(p);
    Message m = Named(Topic::kRpc, a == "REQ" ? pa::kRequest : pa::kResponse, p.data[0]);
    m.correlation_id = std::string(p.data[1]);
    m.data = std::move(*data);
    return Ok(std::move(m));
  }
  if (a == "A" || a == "E") {
    if (p.data.size() != 3 || (a == "A" && p.data[0] != "REQ")) return InvalidData(p);
    Message m = Named(Topic::kRpc, a == "A" ? pa::kAccept : pa::kRequestError, p.data[1]);
    m.correlation_id = std::string(p.data[2]);
    if (a == "E") m.data = JsonString(p.data[0]);
    return Ok(std::move(m));
  }
  if (a != "REJ") return UnknownAction(p);
  if (p.data.size() != 2) return InvalidData(p);
  Message m = Named(Topic::kRpc, pa::kReject, p.data[0]);
  m.correlation_id = std::string(p.data[1]);
  return Ok(std::move(m));
}

// S|S, US|US, Q|Q address everybody; S|cid|[names], US|cid|[names], Q|id|[names] some users.
DecodedMessage DecodePresence(const Parts& p) {
  namespace ua = presence_action;
  const std::string_view a = p.action;
  // {legacy action, everybody, some users}
  static constexpr std::tuple<std::string_view, int32_t, int32_t> kActions[] = {
      {"S", ua::kSubscribeAll, ua::kSubscribe},
      {"US", ua::kUnsubscribeAll, ua::kUnsubscribe},
      {"Q", ua::kQueryAll, ua::kQuery}};
  auto it = std::find_if(std::begin(kActions), std::end(kActions),
                         [&](const auto& k) { return std::get<0>(k) == a; });
  if (it == std::end(kActions)) return UnknownAction(p);
  const int32_t all = std::get<1>(*it);
  const int32_t some = std::get<2>(*it);
  if (p.data.size() == 1 && p.data[0] == a) return Ok(Make(Topic::kPresence, all));
  if (p.data.size() != 2) return InvalidData(p);
  std::optional<std::vector<std::string>> names = StringArray(p.data[1]);
  if (!names) return InvalidData(p);
  Message m = Make(Topic::kPresence, some);
  m.correlation_id = std::string(p.data[0]);
  m.names = std::move(*names);
  return Ok(std::move(m));
}

DecodedMessage DecodeConnection(const Parts& p) {
  namespace ca = connection_action;
  if (p.action == "PI") return Ok(Make(Topic::kConnection, ca::kPing));
  if (p.action == "PO") return Ok(Make(Topic::kConnection, ca::kPong));
  if (p.action != "CHR") return UnknownAction(p);
  Message m = Make(Topic::kConnection, ca::kChallenge);
  if (!p.data.empty()) m.url = std::string(p.data[0]);
  return Ok(std::move(m));
}

// Exactly one data field; whether it is a JSON object is the session's business.
DecodedMessage DecodeAuth(const Parts& p) {
  if (p.action != "REQ" || p.data.size() != 1) {
    return Fail("A", "INVALID_AUTH_MSG", {"invalid authentication message"});
  }
  Message m = Make(Topic::kAuth, auth_action::kRequest);
  m.data = std::string(p.data[0]);
  return Ok(std::move(m));
}

DecodedMessage DecodeMessage(std::string_view raw) {
  Parts p;
  p.raw = raw;
  Fields fields;
  size_t start = 0;
  while (true) {
    size_t end = raw.find(kPartSeparator, start);
    fields.push_back(raw.substr(start, end == raw.npos ? raw.npos : end - start));
    if (end == raw.npos) break;
    start = end + 1;
  }
  if (fields.size() < 2) return Fail("X", "MESSAGE_PARSE_ERROR", {std::string(raw)});
  p.topic = fields[0];
  p.action = fields[1];
  p.data.assign(fields.begin() + 2, fields.end());
  if (p.topic == "E") return DecodeEvent(p);
  if (p.topic == "R") return DecodeRecord(p);
  if (p.topic == "P") return DecodeRpc(p);
  if (p.topic == "U") return DecodePresence(p);
  if (p.topic == "C") return DecodeConnection(p);
  if (p.topic == "A") return DecodeAuth(p);
  return Fail("X", "UNKNOWN_TOPIC", {std::string(p.topic)});
}

}  // namespace

std::vector<DecodedMessage> DecodeFrame(std::string_view frame) {
  std::vector<DecodedMessage> out;
  size_t start = 0;
  while (start <= frame.size()) {
    size_t end = frame.find(kMessageSeparator, start);
    std::string_view raw = frame.substr(start, end == frame.npos ? frame.npos : end - start);
    if (raw.size() >= 3) out.push_back(DecodeMessage(raw));
    if (end == frame.npos) break;
    start = end + 1;
  }
  return out;
}

}  // namespace strata::text_wire

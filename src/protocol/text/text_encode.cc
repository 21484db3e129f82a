// Internal message -> legacy text message(s) (server to client direction).
#include <charconv>
#include <initializer_list>
#include <span>
#include <utility>

#include "protocol/text/text_codec.h"
#include "protocol/text/typed_value.h"

namespace strata::text_wire {
namespace {

namespace ra = record_action;
namespace ea = event_action;
namespace pa = rpc_action;
namespace ua = presence_action;

using Name = std::pair<int32_t, std::string_view>;
using Names = std::span<const Name>;

// Error actions (>= 100) keep their v7 names, which are the legacy event names, except where
// the legacy name differs (RPC ACK_TIMEOUT, MULTIPLE_ACK).
constexpr Name kRecordErrors[] = {
    {ra::kCacheRetrievalTimeout, "CACHE_RETRIEVAL_TIMEOUT"},
    {ra::kStorageRetrievalTimeout, "STORAGE_RETRIEVAL_TIMEOUT"},
    {ra::kVersionExists, "VERSION_EXISTS"},
    {ra::kRecordLoadError, "RECORD_LOAD_ERROR"},
    {ra::kRecordCreateError, "RECORD_CREATE_ERROR"},
    {ra::kRecordUpdateError, "RECORD_UPDATE_ERROR"},
    {ra::kRecordDeleteError, "RECORD_DELETE_ERROR"},
    {ra::kRecordNotFound, "RECORD_NOT_FOUND"},
    {ra::kInvalidVersion, "INVALID_VERSION"},
    {ra::kInvalidPatchOnHotpath, "INVALID_PATCH_ON_HOTPATH"},
    {ra::kInvalidListenRegex, "INVALID_LISTEN_REGEX"},
    {ra::kListenResponseTimeout, "LISTEN_RESPONSE_TIMEOUT"},
    {ra::kListenUnsuccessful, "LISTEN_UNSUCCESSFUL"},
    {ra::kRecordNotifyError, "RECORD_NOTIFY_ERROR"},
    {ra::kMessagePermissionError, "MESSAGE_PERMISSION_ERROR"},
    {ra::kMessageDenied, "MESSAGE_DENIED"},
    {ra::kInvalidMessageData, "INVALID_MESSAGE_DATA"},
    {ra::kMultipleSubscriptions, "MULTIPLE_SUBSCRIPTIONS"},
    {ra::kNotSubscribed, "NOT_SUBSCRIBED"},
};
constexpr Name kEventErrors[] = {
    {ea::kInvalidListenRegex, "INVALID_LISTEN_REGEX"},
    {ea::kListenResponseTimeout, "LISTEN_RESPONSE_TIMEOUT"},
    {ea::kListenUnsuccessful, "LISTEN_UNSUCCESSFUL"},
    {ea::kMessagePermissionError, "MESSAGE_PERMISSION_ERROR"},
    {ea::kMessageDenied, "MESSAGE_DENIED"},
    {ea::kInvalidMessageData, "INVALID_MESSAGE_DATA"},
    {ea::kMultipleSubscriptions, "MULTIPLE_SUBSCRIPTIONS"},
    {ea::kNotSubscribed, "NOT_SUBSCRIBED"},
};
constexpr Name kRpcErrors[] = {
    {pa::kNoRpcProvider, "NO_RPC_PROVIDER"},
    {pa::kAcceptTimeout, "ACK_TIMEOUT"},
    {pa::kMultipleAccept, "MULTIPLE_ACK"},
    {pa::kInvalidRpcCorrelationId, "INVALID_RPC_CORRELATION_ID"},
    {pa::kResponseTimeout, "RESPONSE_TIMEOUT"},
    {pa::kMultipleResponse, "MULTIPLE_RESPONSE"},
    {pa::kMessagePermissionError, "MESSAGE_PERMISSION_ERROR"},
    {pa::kMessageDenied, "MESSAGE_DENIED"},
    {pa::kInvalidMessageData, "INVALID_MESSAGE_DATA"},
    {pa::kMultipleProviders, "MULTIPLE_PROVIDERS"},
    {pa::kNotProvided, "NOT_PROVIDED"},
};
constexpr Name kPresenceErrors[] = {
    {ua::kInvalidPresenceUsers, "INVALID_PRESENCE_USERS"},
    {ua::kMessagePermissionError, "MESSAGE_PERMISSION_ERROR"},
    {ua::kMessageDenied, "MESSAGE_DENIED"},
    {ua::kMultipleSubscriptions, "MULTIPLE_SUBSCRIPTIONS"},
    {ua::kNotSubscribed, "NOT_SUBSCRIBED"},
};
constexpr Name kParserErrors[] = {
    {parser_action::kUnknownTopic, "UNKNOWN_TOPIC"},
    {parser_action::kUnknownAction, "UNKNOWN_ACTION"},
    {parser_action::kInvalidMessage, "INVALID_MESSAGE"},
    {parser_action::kMessageParseError, "MESSAGE_PARSE_ERROR"},
    {parser_action::kMaximumMessageSizeExceeded, "MAXIMUM_MESSAGE_SIZE_EXCEEDED"},
    {parser_action::kError, "ERROR"},
    {parser_action::kInvalidMetaParams, "INVALID_META_PARAMS"},
};
// Legacy action of a request, used in acks (`<T>|A|<action>|...`) and error details.
constexpr Name kRecordRequests[] = {
    {ra::kSubscribe, "S"},
    {ra::kSubscribeCreateAndRead, "S"},
    {ra::kSubscribeAndRead, "S"},
    {ra::kSubscribeAndHead, "S"},
    {ra::kUnsubscribe, "US"},
    {ra::kListen, "L"},
    {ra::kUnlisten, "UL"},
    {ra::kRead, "SN"},
    {ra::kHead, "HD"},
    {ra::kDelete, "D"},
    {ra::kUpdate, "U"},
    {ra::kPatch, "P"},
    {ra::kErase, "P"},
    {ra::kCreateAndUpdate, "CU"},
    {ra::kCreateAndPatch, "CU"},
};
constexpr Name kEventRequests[] = {
    {ea::kSubscribe, "S"}, {ea::kUnsubscribe, "US"}, {ea::kListen, "L"},
    {ea::kUnlisten, "UL"}, {ea::kEmit, "EVT"},
};
constexpr Name kRpcRequests[] = {
    {pa::kProvide, "S"},
    {pa::kUnprovide, "US"},
    {pa::kRequest, "REQ"},
};
constexpr Name kPresenceRequests[] = {
    {ua::kSubscribe, "S"},
    {ua::kUnsubscribe, "US"},
    {ua::kSubscribeAll, "S"},
    {ua::kUnsubscribeAll, "US"},
};

std::string_view Lookup(Names names, int32_t action) {
  for (const auto& [a, name] : names) {
    if (a == action) return name;
  }
  return {};
}

std::string_view TopicLetter(Topic topic) {
  switch (topic) {
    case Topic::kConnection:
      return "C";
    case Topic::kAuth:
      return "A";
    case Topic::kEvent:
      return "E";
    case Topic::kRecord:
      return "R";
    case Topic::kRpc:
      return "P";
    case Topic::kPresence:
      return "U";
    default:
      return "X";
  }
}

void Append(std::string* out, std::initializer_list<std::string_view> fields) {
  bool first = true;
  for (std::string_view f : fields) {
    if (!first) out->push_back(kPartSeparator);
    out->append(f);
    first = false;
  }
  out->push_back(kMessageSeparator);
}

std::string VersionText(const Message& m) { return std::to_string(m.version.value_or(-1)); }

// The JSON array of a write ack: the correlationId is the version as the client sent it.
std::string AckedVersions(const Message& m) {
  std::string cid = m.correlation_id.value_or("");
  int64_t v;
  auto [ptr, ec] = std::from_chars(cid.data(), cid.data() + cid.size(), v);
  if (cid.empty() || ec != std::errc() || ptr != cid.data() + cid.size()) {
    return "[" + JsonString(cid) + "]";
  }
  return "[" + cid + "]";
}

// `<T>|A|<request action>|<id>` for each name, else for the name, else the correlationId.
void EncodeAck(const Message& m, Names requests, std::string* out) {
  std::string_view letter = TopicLetter(m.topic);
  std::string_view action = Lookup(requests, m.action);
  if (action.empty()) return;
  if (m.topic == Topic::kPresence &&
      (m.action == ua::kSubscribeAll || m.action == ua::kUnsubscribeAll)) {
    return Append(out, {letter, "A", action, action});
  }
  if (!m.names.empty()) {
    for (const std::string& n : m.names) Append(out, {letter, "A", action, n});
    return;
  }
  Append(out, {letter, "A", action, m.name ? *m.name : m.correlation_id.value_or("")});
}

// `<T>|E|<EVENT>|<name or pattern>`; denials add the legacy action.
void EncodeNamedError(const Message& m, std::string_view event, Names requests, std::string* out) {
  std::string_view letter = TopicLetter(m.topic);
  std::string name = m.name.value_or(m.subscription.value_or(m.correlation_id.value_or("")));
  if (event == "MESSAGE_DENIED" || event == "MESSAGE_PERMISSION_ERROR") {
    // The action the legacy client sent: its getRecord is `CR` (acked as `S`).
    const bool create_or_read =
        m.topic == Topic::kRecord && m.original_action == record_action::kSubscribeCreateAndRead;
    std::string_view original =
        create_or_read ? "CR" : Lookup(requests, m.original_action.value_or(0));
    return Append(out, {letter, "E", event, name, original});
  }
  Append(out, {letter, "E", event, name});
}

void EncodeWriteAckError(const Message& m, std::string_view error, std::string* out) {
  if (!m.is_write_ack.value_or(false)) return;
  Append(out, {"R", "WA", m.name.value_or(""), AckedVersions(m), "S" + std::string(error)});
}

void EncodeRecordError(const Message& m, std::string_view event, std::string* out) {
  const std::string name = m.name.value_or("");
  const int32_t original = m.original_action.value_or(0);
  switch (m.action) {
    case ra::kVersionExists:
      Append(out, {"R", "E", event, name, VersionText(m), m.data.value_or("{}")});
      return EncodeWriteAckError(m, event, out);
    case ra::kInvalidVersion:
      Append(out, {"R", "E", event, name, VersionText(m)});
      return EncodeWriteAckError(m, event, out);
    case ra::kRecordUpdateError:
    case ra::kInvalidMessageData:
      // With a write ack the callback reports it; without, the client's error event does.
      if (m.is_write_ack.value_or(false)) return EncodeWriteAckError(m, event, out);
      return Append(out, {"R", "E", event, name});
    default:
      break;
  }
  // Failed snapshot / head reads: the client matches them by the request's action.
  if (original == ra::kRead || original == ra::kHead) {
    return Append(out, {"R", "E", original == ra::kRead ? "SN" : "HD", name, event});
  }
  EncodeNamedError(m, event, kRecordRequests, out);
}

// Listening, the same on RECORD and EVENT.
bool EncodeListen(const Message& m, int32_t found, int32_t removed, int32_t has, int32_t has_not,
                  std::string* out) {
  std::string_view letter = TopicLetter(m.topic);
  const std::string name = m.name.value_or("");
  if (m.action == found || m.action == removed) {
    Append(out, {letter, m.action == found ? "SP" : "SR", name, m.subscription.value_or("")});
  } else if (m.action == has || m.action == has_not) {
    Append(out, {letter, "SH", name, m.action == has ? "T" : "F"});
  } else {
    return false;
  }
  return true;
}

void EncodeRecord(const Message& m, std::string* out) {
  if (m.is_ack.value_or(false)) return EncodeAck(m, kRecordRequests, out);
  if (std::string_view e = Lookup(kRecordErrors, m.action); !e.empty()) {
    return EncodeRecordError(m, e, out);
  }
  if (EncodeListen(m, ra::kSubscriptionForPatternFound, ra::kSubscriptionForPatternRemoved,
                   ra::kSubscriptionHasProvider, ra::kSubscriptionHasNoProvider, out)) {
    return;
  }
  const std::string name = m.name.value_or("");
  switch (m.action) {
    case ra::kReadResponse:
      return Append(out, {"R", "R", name, VersionText(m), m.data.value_or("{}")});
    case ra::kHeadResponse:
      if (m.version.value_or(-1) < 0)
        return Append(out, {"R", "E", "HD", name, "RECORD_NOT_FOUND"});
      return Append(out, {"R", "HD", name, VersionText(m)});
    case ra::kUpdate:
      return Append(out, {"R", "U", name, VersionText(m), m.data.value_or("{}")});
    case ra::kPatch:
    case ra::kErase:
      return Append(out, {"R", "P", name, VersionText(m), m.path.value_or(""),
                          JsonToTyped(m.action == ra::kErase ? std::nullopt : m.data)});
    case ra::kDeleteSuccess:
    case ra::kDeleted:
      return Append(out, {"R", "A", "D", name});
    case ra::kWriteAcknowledgement:
      return Append(out, {"R", "WA", name, AckedVersions(m), "L"});
    default:
      return;  // no legacy form (HEAD_RESPONSE_BULK, NOTIFY, ...)
  }
}

void EncodeEvent(const Message& m, std::string* out) {
  if (m.is_ack.value_or(false)) return EncodeAck(m, kEventRequests, out);
  if (std::string_view e = Lookup(kEventErrors, m.action); !e.empty()) {
    return EncodeNamedError(m, e, kEventRequests, out);
  }
  if (EncodeListen(m, ea::kSubscriptionForPatternFound, ea::kSubscriptionForPatternRemoved,
                   ea::kSubscriptionHasProvider, ea::kSubscriptionHasNoProvider, out)) {
    return;
  }
  if (m.action == ea::kEmit) Append(out, {"E", "EVT", m.name.value_or(""), JsonToTyped(m.data)});
}

// The text of a provider's error: the JSON string's content, else the JSON as it came.
std::string RpcErrorText(const Message& m) {
  if (!m.data) return "";
  std::string typed = JsonToTyped(m.data);
  return typed[0] == 'S' ? typed.substr(1) : *m.data;
}

void EncodeRpc(const Message& m, std::string* out) {
  if (m.is_ack.value_or(false)) return EncodeAck(m, kRpcRequests, out);
  const std::string name = m.name.value_or("");
  const std::string cid = m.correlation_id.value_or("");
  if (std::string_view e = Lookup(kRpcErrors, m.action); !e.empty()) {
    if (m.action == pa::kMultipleProviders || m.action == pa::kNotProvided) {
      return Append(out, {"P", "E", e, name});
    }
    return Append(out, {"P", "E", e, name, cid});
  }
  switch (m.action) {
    case pa::kRequest:
      return Append(out, {"P", "REQ", name, cid, JsonToTyped(m.data)});
    case pa::kAccept:
      return Append(out, {"P", "A", "REQ", name, cid});
    case pa::kResponse:
      return Append(out, {"P", "RES", name, cid, JsonToTyped(m.data)});
    case pa::kRequestError: {
      std::string text = RpcErrorText(m);
      for (char& c : text) {
        if (c == kMessageSeparator || c == kPartSeparator) c = ' ';
      }
      return Append(out, {"P", "E", text, name, cid});
    }
    case pa::kReject:
      return Append(out, {"P", "REJ", name, cid});
    default:
      return;
  }
}

void EncodePresence(const Message& m, std::string* out) {
  if (m.is_ack.value_or(false)) return EncodeAck(m, kPresenceRequests, out);
  if (std::string_view e = Lookup(kPresenceErrors, m.action); !e.empty()) {
    return EncodeNamedError(m, e, kPresenceRequests, out);
  }
  const std::string name = m.name.value_or("");
  switch (m.action) {
    case ua::kPresenceJoin:
    case ua::kPresenceJoinAll:
      return Append(out, {"U", "PNJ", name});
    case ua::kPresenceLeave:
    case ua::kPresenceLeaveAll:
      return Append(out, {"U", "PNL", name});
    case ua::kQueryAllResponse: {
      out->append("U\x1fQ");
      for (const std::string& n : m.names) out->append(1, kPartSeparator).append(n);
      out->push_back(kMessageSeparator);
      return;
    }
    case ua::kQueryResponse:
      return Append(out, {"U", "Q", m.correlation_id.value_or(""), m.data.value_or("{}")});
    default:
      return;
  }
}

void EncodeConnection(const Message& m, std::string* out) {
  namespace ca = connection_action;
  switch (m.action) {
    case ca::kAccept:
      return Append(out, {"C", "A"});
    case ca::kPing:
      return Append(out, {"C", "PI"});
    case ca::kPong:
      return Append(out, {"C", "PO"});
    case ca::kAuthenticationTimeout:
      return Append(out, {"C", "E", "CONNECTION_AUTHENTICATION_TIMEOUT",
                          "Sconnection has not authenticated successfully in the expected time"});
    case ca::kInvalidMessage:
      return Append(out, {"C", "E", "INVALID_MESSAGE", "invalid connection message"});
    default:
      return;
  }
}

void EncodeAuth(const Message& m, std::string* out) {
  namespace aa = auth_action;
  switch (m.action) {
    case aa::kAuthSuccessful:
      if (m.data) return Append(out, {"A", "A", JsonToTyped(m.data)});
      return Append(out, {"A", "A"});
    case aa::kAuthUnsuccessful:
      return Append(out, {"A", "E", "INVALID_AUTH_DATA", JsonToTyped(m.data)});
    case aa::kTooManyAuthAttempts:
      return Append(out, {"A", "E", "TOO_MANY_AUTH_ATTEMPTS", "Stoo many authentication attempts"});
    case aa::kInvalidMessage:
    case aa::kInvalidMessageData:
      return Append(out, {"A", "E", "INVALID_AUTH_MSG", "invalid authentication message"});
    default:
      return;
  }
}

}  // namespace

void Encode(const Message& msg, std::string* out) {
  switch (msg.topic) {
    case Topic::kRecord:
      return EncodeRecord(msg, out);
    case Topic::kEvent:
      return EncodeEvent(msg, out);
    case Topic::kRpc:
      return EncodeRpc(msg, out);
    case Topic::kPresence:
      return EncodePresence(msg, out);
    case Topic::kConnection:
      return EncodeConnection(msg, out);
    case Topic::kAuth:
      return EncodeAuth(msg, out);
    case Topic::kParser:
      if (std::string_view e = Lookup(kParserErrors, msg.action); !e.empty()) {
        Append(out, {"X", "E", e, msg.data.value_or("")});
      }
      return;
    default:
      return;
  }
}

std::string Encode(const Message& msg) {
  std::string out;
  Encode(msg, &out);
  return out;
}

std::string EncodeError(const TextError& error) {
  std::string out = error.topic + kPartSeparator + "E" + kPartSeparator + error.event;
  for (const std::string& d : error.detail) out.append(1, kPartSeparator).append(d);
  out.push_back(kMessageSeparator);
  return out;
}

std::string_view ErrorName(Topic topic, int32_t action) {
  switch (topic) {
    case Topic::kRecord:
      return Lookup(kRecordErrors, action);
    case Topic::kEvent:
      return Lookup(kEventErrors, action);
    case Topic::kRpc:
      return Lookup(kRpcErrors, action);
    case Topic::kPresence:
      return Lookup(kPresenceErrors, action);
    case Topic::kParser:
      return Lookup(kParserErrors, action);
    default:
      return {};
  }
}

std::string EncodeHasResponse(std::string_view name, bool exists) {
  std::string out;
  Append(&out, {"R", "H", name, exists ? "T" : "F"});
  return out;
}

std::string EncodeHasError(std::string_view name, std::string_view error) {
  std::string out;
  Append(&out, {"R", "E", "H", name, error});
  return out;
}

}  // namespace strata::text_wire

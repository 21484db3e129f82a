#pragma once
// The message model shared by every wire format (binary protobuf, JSON, legacy text): one
// deepstream message with the union of the fields of all topics. Field presence matters to the
// official clients (PROTOCOL.md 2.2): an unset optional is absent on the wire, a set one is
// written even when it holds 0/false. `names` and `versions` are written when non-empty.
// Numeric values of topics and actions are the wire values (PROTOCOL.md 2.4).
// Thread-safety: a value type.

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace strata {

enum class Topic : int32_t {
  kUnknown = 0,
  kParser = 1,
  kConnection = 2,
  kAuth = 3,
  kEvent = 4,
  kRecord = 5,
  kRpc = 6,
  kPresence = 7,
  kMonitoring = 8,
  kCluster = 9,
  kLock = 10,
  kStateRegistry = 11,
  kError = 100,
};

// The action tables are laid out as PROTOCOL.md 2.4 lists them, several to a line.
// clang-format off
namespace connection_action {
enum : int32_t {
  kUnknown = 0, kError = 1, kPing = 2, kPong = 3, kAccept = 4, kChallenge = 5, kReject = 6,
  kRedirect = 7, kClosing = 8, kClosed = 9, kAuthenticationTimeout = 100, kInvalidMessage = 101,
};
}  // namespace connection_action

namespace auth_action {
enum : int32_t {
  kUnknown = 0, kError = 1, kRequest = 2, kAuthSuccessful = 3, kAuthUnsuccessful = 4,
  kTooManyAuthAttempts = 100, kInvalidMessage = 101, kInvalidMessageData = 102,
};
}  // namespace auth_action

namespace parser_action {
enum : int32_t {
  kUnknown = 0, kUnknownTopic = 1, kUnknownAction = 2, kInvalidMessage = 3,
  kMessageParseError = 4, kMaximumMessageSizeExceeded = 5, kError = 6, kInvalidMetaParams = 7,
};
}  // namespace parser_action

namespace record_action {
enum : int32_t {
  kUnknown = 0, kError = 1, kNotify = 2, kRead = 3, kReadResponse = 4, kHead = 5,
  kHeadResponse = 6, kHeadBulk = 7, kHeadResponseBulk = 8, kDelete = 9, kDeleteSuccess = 10,
  kDeleteBulk = 11, kDeleteBulkSuccess = 12, kDeleted = 13, kWriteAcknowledgement = 14,
  kCreate = 15, kCreateAndUpdate = 16, kCreateAndPatch = 17, kUpdate = 18, kPatch = 19,
  kErase = 20, kSubscribeAndHead = 21, kSubscribeAndRead = 22, kSubscribeCreateAndRead = 23,
  kSubscribeCreateAndUpdate = 24, kSubscribe = 25, kUnsubscribe = 26, kListen = 27,
  kUnlisten = 28, kListenAccept = 29, kListenReject = 30, kSubscriptionHasProvider = 31,
  kSubscriptionHasNoProvider = 32, kSubscriptionForPatternFound = 33,
  kSubscriptionForPatternRemoved = 34, kCacheRetrievalTimeout = 100,
  kStorageRetrievalTimeout = 101, kVersionExists = 102, kRecordLoadError = 103,
  kRecordCreateError = 104, kRecordUpdateError = 105, kRecordDeleteError = 106,
  kRecordNotFound = 107, kInvalidVersion = 108, kInvalidPatchOnHotpath = 109,
  kInvalidListenRegex = 110, kListenResponseTimeout = 111, kListenUnsuccessful = 112,
  kRecordNotifyError = 113, kMessagePermissionError = 114, kMessageDenied = 115,
  kInvalidMessageData = 116, kMultipleSubscriptions = 117, kNotSubscribed = 118,
};
}  // namespace record_action

namespace event_action {
enum : int32_t {
  kUnknown = 0, kError = 1, kEmit = 2, kSubscribe = 3, kUnsubscribe = 4, kListen = 5,
  kUnlisten = 6, kListenAccept = 7, kListenReject = 8, kSubscriptionHasProvider = 9,
  kSubscriptionHasNoProvider = 10, kSubscriptionForPatternFound = 11,
  kSubscriptionForPatternRemoved = 12, kInvalidListenRegex = 100, kListenResponseTimeout = 101,
  kListenUnsuccessful = 102, kMessagePermissionError = 103, kMessageDenied = 104,
  kInvalidMessageData = 105, kMultipleSubscriptions = 106, kNotSubscribed = 107,
};
}  // namespace event_action

namespace rpc_action {
enum : int32_t {
  kUnknown = 0, kError = 1, kRequest = 2, kAccept = 4, kResponse = 5, kReject = 6,
  kRequestError = 7, kProvide = 8, kUnprovide = 9, kNoRpcProvider = 100, kAcceptTimeout = 101,
  kMultipleAccept = 102, kInvalidRpcCorrelationId = 103, kResponseTimeout = 104,
  kMultipleResponse = 105, kMessagePermissionError = 106, kMessageDenied = 107,
  kInvalidMessageData = 108, kMultipleProviders = 109, kNotProvided = 110,
};
}  // namespace rpc_action

namespace presence_action {
enum : int32_t {
  kUnknown = 0, kError = 1, kQueryAll = 2, kQueryAllResponse = 3, kQuery = 4,
  kQueryResponse = 5, kPresenceJoin = 6, kPresenceJoinAll = 7, kPresenceLeave = 8,
  kPresenceLeaveAll = 9, kSubscribe = 10, kUnsubscribe = 11, kSubscribeAll = 12,
  kUnsubscribeAll = 13, kInvalidPresenceUsers = 100, kMessagePermissionError = 101,
  kMessageDenied = 102, kMultipleSubscriptions = 103, kNotSubscribed = 104,
};
}  // namespace presence_action
// clang-format on

struct Message {
  Topic topic = Topic::kUnknown;
  int32_t action = 0;

  std::optional<std::string> data;  // JSON text payload
  std::optional<std::string> correlation_id;
  std::optional<bool> is_error;
  std::optional<bool> is_ack;
  std::optional<std::string> name;
  std::vector<std::string> names;
  std::optional<std::string> pattern;
  std::optional<std::string> subscription;
  std::optional<int32_t> original_action;
  std::optional<Topic> original_topic;
  std::optional<bool> is_write_ack;
  std::optional<std::string> path;
  std::optional<int32_t> version;
  std::vector<std::pair<std::string, int32_t>> versions;  // map<string,int32>, in order given

  // CONNECTION only.
  std::optional<std::string> url;
  std::optional<std::string> protocol_version;
  std::optional<std::string> sdk_version;
  std::optional<std::string> sdk_type;

  // RPC only.
  std::optional<std::string> requestor_name;
  std::optional<std::string> requestor_data;

  bool operator==(const Message&) const = default;
};

}  // namespace strata

#include "protocol/binary/message_schema.h"

namespace strata::binary {

namespace {

constexpr FieldSpec Action() { return {1, FieldKind::kAction}; }
constexpr FieldSpec Str(uint32_t number, std::optional<std::string> Message::*member) {
  return {number, FieldKind::kString, member};
}
constexpr FieldSpec Bool(uint32_t number, std::optional<bool> Message::*member) {
  return {number, FieldKind::kBool, nullptr, member};
}
constexpr FieldSpec Int(uint32_t number, std::optional<int32_t> Message::*member) {
  return {number, FieldKind::kInt32, nullptr, nullptr, member};
}
constexpr FieldSpec OriginalTopic(uint32_t number) { return {number, FieldKind::kOriginalTopic}; }
constexpr FieldSpec Names(uint32_t number) { return {number, FieldKind::kNames}; }
constexpr FieldSpec Versions(uint32_t number) { return {number, FieldKind::kVersions}; }

using M = Message;

constexpr FieldSpec kConnectionFields[] = {
    Action(),
    Str(2, &M::data),
    Bool(3, &M::is_error),
    Bool(4, &M::is_ack),
    Str(5, &M::url),
    Str(6, &M::protocol_version),
    Str(7, &M::sdk_version),
    Str(8, &M::sdk_type),
};

constexpr FieldSpec kAuthFields[] = {
    Action(),
    Str(2, &M::data),
    Bool(3, &M::is_error),
    Bool(4, &M::is_ack),
};

constexpr FieldSpec kEventFields[] = {
    Action(),
    Str(2, &M::data),
    Str(3, &M::correlation_id),
    Bool(4, &M::is_error),
    Bool(5, &M::is_ack),
    Str(6, &M::name),
    Names(7),
    Str(8, &M::subscription),
    OriginalTopic(10),
    Int(11, &M::original_action),
};

constexpr FieldSpec kRecordFields[] = {
    Action(),
    Str(2, &M::data),
    Str(3, &M::correlation_id),
    Bool(4, &M::is_error),
    Bool(5, &M::is_ack),
    Str(6, &M::name),
    Names(7),
    Str(8, &M::pattern),
    Str(9, &M::subscription),
    Int(10, &M::original_action),
    Bool(11, &M::is_write_ack),
    Str(12, &M::path),
    Int(13, &M::version),
    Versions(14),
};

constexpr FieldSpec kRpcFields[] = {
    Action(),
    Str(2, &M::data),
    Str(3, &M::correlation_id),
    Bool(4, &M::is_error),
    Bool(5, &M::is_ack),
    Names(6),
    Str(7, &M::name),
    Int(9, &M::original_action),
    Str(10, &M::requestor_name),
    Str(11, &M::requestor_data),
};

constexpr FieldSpec kPresenceFields[] = {
    Action(),
    OriginalTopic(2),
    Int(3, &M::original_action),
    Str(4, &M::data),
    Str(5, &M::correlation_id),
    Bool(6, &M::is_error),
    Bool(7, &M::is_ack),
    Str(8, &M::name),
    Names(9),
};

constexpr FieldSpec kParserFields[] = {
    Action(),
    Str(2, &M::data),
    OriginalTopic(8),
    Int(9, &M::original_action),
};

// MONITORING, CLUSTER, LOCK, STATE_REGISTRY, ERROR and UNKNOWN: clients never use their schemas,
// so only the two fields every deepstream message shares are carried.
constexpr FieldSpec kGenericFields[] = {
    Action(),
    Str(2, &M::data),
};

}  // namespace

std::span<const FieldSpec> SchemaFor(Topic topic) {
  switch (topic) {
    case Topic::kConnection:
      return kConnectionFields;
    case Topic::kAuth:
      return kAuthFields;
    case Topic::kEvent:
      return kEventFields;
    case Topic::kRecord:
      return kRecordFields;
    case Topic::kRpc:
      return kRpcFields;
    case Topic::kPresence:
      return kPresenceFields;
    case Topic::kParser:
      return kParserFields;
    default:
      return kGenericFields;
  }
}

const FieldSpec* FindField(std::span<const FieldSpec> schema, uint32_t number) {
  for (const FieldSpec& field : schema) {
    if (field.number == number) return &field;
  }
  return nullptr;
}

bool IsKnownTopic(int32_t value) {
  return (value >= static_cast<int32_t>(Topic::kUnknown) &&
          value <= static_cast<int32_t>(Topic::kStateRegistry)) ||
         value == static_cast<int32_t>(Topic::kError);
}

}  // namespace strata::binary

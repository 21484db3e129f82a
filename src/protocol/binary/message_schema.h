#pragma once
// The field numbers of deepstream's topic-specific protobuf messages (@deepstream/protobuf 1.0.9,
// PROTOCOL.md 2.3), as tables that map each wire field to a member of strata::Message.
// One table drives encoding, size computation and decoding, so they cannot disagree.
// Thread-safety: immutable static data.

#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "strata/message.h"

namespace strata::binary {

enum class FieldKind : uint8_t {
  kAction,         // Message::action, always written
  kString,         // optional<string>, length-delimited
  kBool,           // optional<bool>, varint 0/1
  kInt32,          // optional<int32_t>, varint (sign-extended when negative)
  kOriginalTopic,  // Message::original_topic, varint
  kNames,          // repeated string, one field per element
  kVersions,       // map<string,int32>, one {1:key, 2:value} entry per element
};

struct FieldSpec {
  uint32_t number = 0;
  FieldKind kind = FieldKind::kAction;
  std::optional<std::string> Message::*string_member = nullptr;
  std::optional<bool> Message::*bool_member = nullptr;
  std::optional<int32_t> Message::*int_member = nullptr;
};

// The fields of the message carried for `topic`, in ascending field-number order. Topics without
// a deepstream-specific schema get {1: action, 2: data}.
std::span<const FieldSpec> SchemaFor(Topic topic);

// nullptr when `number` is not part of `schema`.
const FieldSpec* FindField(std::span<const FieldSpec> schema, uint32_t number);

// True for the values of the TOPIC enum (0..11, 100).
bool IsKnownTopic(int32_t value);

}  // namespace strata::binary

#include "protocol/binary/binary_codec.h"

#include <cassert>
#include <cstring>
#include <span>

#include "protocol/binary/message_schema.h"
#include "protocol/binary/wire_format.h"

namespace strata::binary {

namespace {

using wire::Int32ToVarint;
using wire::MakeTag;
using wire::TagSize;
using wire::VarintSize;
using wire::WireType;
using wire::WriteVarint;

constexpr uint32_t kEnvelopeTopicField = 2;
constexpr uint32_t kEnvelopeMessageField = 3;
constexpr uint32_t kMapKeyField = 1;
constexpr uint32_t kMapValueField = 2;

// ---- Sizes -------------------------------------------------------------------------------------

size_t VarintFieldSize(uint32_t number, uint64_t value) {
  return TagSize(number) + VarintSize(value);
}

size_t BytesFieldSize(uint32_t number, size_t length) {
  return TagSize(number) + VarintSize(length) + length;
}

size_t VersionEntrySize(const std::pair<std::string, int32_t>& entry) {
  return BytesFieldSize(kMapKeyField, entry.first.size()) +
         VarintFieldSize(kMapValueField, Int32ToVarint(entry.second));
}

size_t NamesSize(uint32_t number, const std::vector<std::string>& names) {
  size_t size = 0;
  for (const std::string& name : names) size += BytesFieldSize(number, name.size());
  return size;
}

size_t VersionsSize(uint32_t number, const Message& msg) {
  size_t size = 0;
  for (const auto& entry : msg.versions) size += BytesFieldSize(number, VersionEntrySize(entry));
  return size;
}

size_t FieldSize(const FieldSpec& field, const Message& msg) {
  const uint32_t n = field.number;
  switch (field.kind) {
    case FieldKind::kAction:
      return VarintFieldSize(n, Int32ToVarint(msg.action));
    case FieldKind::kString: {
      const auto& value = msg.*field.string_member;
      return value ? BytesFieldSize(n, value->size()) : 0;
    }
    case FieldKind::kBool:
      return (msg.*field.bool_member) ? VarintFieldSize(n, 1) : 0;
    case FieldKind::kInt32: {
      const auto& value = msg.*field.int_member;
      return value ? VarintFieldSize(n, Int32ToVarint(*value)) : 0;
    }
    case FieldKind::kOriginalTopic:
      return msg.original_topic
                 ? VarintFieldSize(n, Int32ToVarint(static_cast<int32_t>(*msg.original_topic)))
                 : 0;
    case FieldKind::kNames:
      return NamesSize(n, msg.names);
    case FieldKind::kVersions:
      return VersionsSize(n, msg);
  }
  return 0;
}

size_t InnerSize(std::span<const FieldSpec> schema, const Message& msg) {
  size_t size = 0;
  for (const FieldSpec& field : schema) size += FieldSize(field, msg);
  return size;
}

// ---- Writing -----------------------------------------------------------------------------------
// Writers take a raw position inside a buffer already sized by the functions above.

char* WriteVarintField(uint32_t number, uint64_t value, char* out) {
  out = WriteVarint(MakeTag(number, WireType::kVarint), out);
  return WriteVarint(value, out);
}

char* WriteBytesField(uint32_t number, std::string_view bytes, char* out) {
  out = WriteVarint(MakeTag(number, WireType::kLengthDelimited), out);
  out = WriteVarint(bytes.size(), out);
  if (!bytes.empty()) std::memcpy(out, bytes.data(), bytes.size());
  return out + bytes.size();
}

char* WriteVersions(uint32_t number, const Message& msg, char* out) {
  for (const auto& entry : msg.versions) {
    out = WriteVarint(MakeTag(number, WireType::kLengthDelimited), out);
    out = WriteVarint(VersionEntrySize(entry), out);
    out = WriteBytesField(kMapKeyField, entry.first, out);
    out = WriteVarintField(kMapValueField, Int32ToVarint(entry.second), out);
  }
  return out;
}

char* WriteField(const FieldSpec& field, const Message& msg, char* out) {
  const uint32_t n = field.number;
  switch (field.kind) {
    case FieldKind::kAction:
      return WriteVarintField(n, Int32ToVarint(msg.action), out);
    case FieldKind::kString: {
      const auto& value = msg.*field.string_member;
      return value ? WriteBytesField(n, *value, out) : out;
    }
    case FieldKind::kBool: {
      const auto& value = msg.*field.bool_member;
      return value ? WriteVarintField(n, *value ? 1 : 0, out) : out;
    }
    case FieldKind::kInt32: {
      const auto& value = msg.*field.int_member;
      return value ? WriteVarintField(n, Int32ToVarint(*value), out) : out;
    }
    case FieldKind::kOriginalTopic: {
      const auto& value = msg.original_topic;
      return value ? WriteVarintField(n, Int32ToVarint(static_cast<int32_t>(*value)), out) : out;
    }
    case FieldKind::kNames:
      for (const std::string& name : msg.names) out = WriteBytesField(n, name, out);
      return out;
    case FieldKind::kVersions:
      return WriteVersions(n, msg, out);
  }
  return out;
}

// ---- Decoding ----------------------------------------------------------------------------------

WireType ExpectedWireType(FieldKind kind) {
  switch (kind) {
    case FieldKind::kString:
    case FieldKind::kNames:
    case FieldKind::kVersions:
      return WireType::kLengthDelimited;
    default:
      return WireType::kVarint;
  }
}

Status DecodeVersionEntry(std::string_view bytes, Message* msg) {
  wire::Reader reader(bytes);
  std::pair<std::string, int32_t> entry;  // absent key/value mean "" and 0, as in protobuf
  while (!reader.AtEnd()) {
    uint32_t number = 0;
    WireType type = WireType::kVarint;
    STRATA_RETURN_IF_ERROR(reader.ReadTag(&number, &type));
    if (number == kMapKeyField && type == WireType::kLengthDelimited) {
      std::string_view key;
      STRATA_RETURN_IF_ERROR(reader.ReadLengthDelimited(&key));
      entry.first.assign(key);
    } else if (number == kMapValueField && type == WireType::kVarint) {
      uint64_t value = 0;
      STRATA_RETURN_IF_ERROR(reader.ReadVarint(&value));
      entry.second = wire::VarintToInt32(value);
    } else if (number == kMapKeyField || number == kMapValueField) {
      return Status::InvalidArgument("wrong wire type in versions entry");
    } else {
      STRATA_RETURN_IF_ERROR(reader.Skip(type));
    }
  }
  msg->versions.push_back(std::move(entry));
  return Status::Ok();
}

Status DecodeBytesField(const FieldSpec& field, std::string_view bytes, Message* msg) {
  switch (field.kind) {
    case FieldKind::kString:
      (msg->*field.string_member).emplace(bytes);
      return Status::Ok();
    case FieldKind::kNames:
      msg->names.emplace_back(bytes);
      return Status::Ok();
    default:
      return DecodeVersionEntry(bytes, msg);
  }
}

Status DecodeVarintField(const FieldSpec& field, uint64_t raw, Message* msg) {
  const int32_t value = wire::VarintToInt32(raw);
  switch (field.kind) {
    case FieldKind::kAction:
      msg->action = value;
      return Status::Ok();
    case FieldKind::kBool:
      msg->*field.bool_member = raw != 0;
      return Status::Ok();
    case FieldKind::kInt32:
      msg->*field.int_member = value;
      return Status::Ok();
    default:  // kOriginalTopic
      if (!IsKnownTopic(value)) return Status::InvalidArgument("unknown original topic");
      msg->original_topic = static_cast<Topic>(value);
      return Status::Ok();
  }
}

Status DecodeKnownField(const FieldSpec& field, WireType type, wire::Reader* reader, Message* msg) {
  if (type != ExpectedWireType(field.kind)) {
    return Status::InvalidArgument("wrong wire type for field");
  }
  if (type == WireType::kVarint) {
    uint64_t raw = 0;
    STRATA_RETURN_IF_ERROR(reader->ReadVarint(&raw));
    return DecodeVarintField(field, raw, msg);
  }
  std::string_view bytes;
  STRATA_RETURN_IF_ERROR(reader->ReadLengthDelimited(&bytes));
  return DecodeBytesField(field, bytes, msg);
}

Status DecodeInner(std::string_view bytes, Message* msg) {
  const std::span<const FieldSpec> schema = SchemaFor(msg->topic);
  wire::Reader reader(bytes);
  while (!reader.AtEnd()) {
    uint32_t number = 0;
    WireType type = WireType::kVarint;
    STRATA_RETURN_IF_ERROR(reader.ReadTag(&number, &type));
    const FieldSpec* field = FindField(schema, number);
    if (field == nullptr) {
      STRATA_RETURN_IF_ERROR(reader.Skip(type));
    } else {
      STRATA_RETURN_IF_ERROR(DecodeKnownField(*field, type, &reader, msg));
    }
  }
  return Status::Ok();
}

// The general.proto Message. A missing topic means UNKNOWN (0) and a missing message an empty
// one, as in protobuf; the later of repeated fields wins.
struct Envelope {
  int32_t topic = 0;
  std::string_view message;
};

Status DecodeEnvelopeField(uint32_t number, WireType type, wire::Reader* reader,
                           Envelope* envelope) {
  if (number == kEnvelopeTopicField && type == WireType::kVarint) {
    uint64_t raw = 0;
    STRATA_RETURN_IF_ERROR(reader->ReadVarint(&raw));
    envelope->topic = wire::VarintToInt32(raw);
    return Status::Ok();
  }
  if (number == kEnvelopeMessageField && type == WireType::kLengthDelimited) {
    return reader->ReadLengthDelimited(&envelope->message);
  }
  if (number == kEnvelopeTopicField || number == kEnvelopeMessageField) {
    return Status::InvalidArgument("wrong wire type in envelope");
  }
  return reader->Skip(type);
}

Status DecodeEnvelope(std::string_view frame, Envelope* envelope) {
  if (frame.empty()) return Status::InvalidArgument("empty frame");
  wire::Reader framing(frame);
  uint64_t length = 0;
  STRATA_RETURN_IF_ERROR(framing.ReadVarint(&length));
  // Checked here rather than by ReadLengthDelimited so that the error names the frame.
  if (length > framing.remaining()) return Status::InvalidArgument("length prefix exceeds frame");
  const size_t body_start = frame.size() - framing.remaining();
  wire::Reader reader(frame.substr(body_start, static_cast<size_t>(length)));
  while (!reader.AtEnd()) {
    uint32_t number = 0;
    WireType type = WireType::kVarint;
    STRATA_RETURN_IF_ERROR(reader.ReadTag(&number, &type));
    STRATA_RETURN_IF_ERROR(DecodeEnvelopeField(number, type, &reader, envelope));
  }
  return Status::Ok();
}

}  // namespace

Result<Message> Decode(std::string_view frame) {
  Envelope envelope;
  STRATA_RETURN_IF_ERROR(DecodeEnvelope(frame, &envelope));
  if (!IsKnownTopic(envelope.topic)) return Status::InvalidArgument("unknown topic");
  Message msg;
  msg.topic = static_cast<Topic>(envelope.topic);
  STRATA_RETURN_IF_ERROR(DecodeInner(envelope.message, &msg));
  return msg;
}

void Encode(const Message& msg, std::string* out) {
  const std::span<const FieldSpec> schema = SchemaFor(msg.topic);
  const size_t inner_size = InnerSize(schema, msg);
  const uint64_t topic = Int32ToVarint(static_cast<int32_t>(msg.topic));
  const size_t envelope_size = VarintFieldSize(kEnvelopeTopicField, topic) +
                               BytesFieldSize(kEnvelopeMessageField, inner_size);
  const size_t start = out->size();
  out->resize(start + VarintSize(envelope_size) + envelope_size);

  char* pos = out->data() + start;
  pos = WriteVarint(envelope_size, pos);
  pos = WriteVarintField(kEnvelopeTopicField, topic, pos);
  pos = WriteVarint(MakeTag(kEnvelopeMessageField, WireType::kLengthDelimited), pos);
  pos = WriteVarint(inner_size, pos);
  for (const FieldSpec& field : schema) pos = WriteField(field, msg, pos);
  assert(pos == out->data() + out->size());
  (void)pos;
}

std::string Encode(const Message& msg) {
  std::string out;
  Encode(msg, &out);
  return out;
}

}  // namespace strata::binary

#include "protocol/binary/wire_format.h"

namespace strata::binary::wire {

namespace {

constexpr uint32_t kMaxFieldNumber = (1u << 29) - 1;

}  // namespace

Status Reader::ReadVarint(uint64_t* value) {
  uint64_t result = 0;
  for (size_t i = 0; i < kMaxVarintBytes; ++i) {
    if (pos_ == data_.size()) return Status::InvalidArgument("truncated varint");
    const auto byte = static_cast<uint8_t>(data_[pos_++]);
    // Bits beyond 64 in the tenth byte are dropped, as protobuf decoders do.
    result |= static_cast<uint64_t>(byte & 0x7f) << (7 * i);
    if ((byte & 0x80) == 0) {
      *value = result;
      return Status::Ok();
    }
  }
  return Status::InvalidArgument("varint longer than 10 bytes");
}

Status Reader::ReadLengthDelimited(std::string_view* bytes) {
  uint64_t length = 0;
  STRATA_RETURN_IF_ERROR(ReadVarint(&length));
  if (length > remaining()) return Status::InvalidArgument("length exceeds message");
  *bytes = data_.substr(pos_, static_cast<size_t>(length));
  pos_ += static_cast<size_t>(length);
  return Status::Ok();
}

Status Reader::ReadTag(uint32_t* field_number, WireType* type) {
  uint64_t tag = 0;
  STRATA_RETURN_IF_ERROR(ReadVarint(&tag));
  const uint64_t number = tag >> 3;
  if (number == 0 || number > kMaxFieldNumber) {
    return Status::InvalidArgument("invalid field number");
  }
  const auto raw_type = static_cast<uint8_t>(tag & 0x7);
  if (raw_type == 3 || raw_type == 4) return Status::InvalidArgument("groups not supported");
  if (raw_type > 5) return Status::InvalidArgument("invalid wire type");
  *field_number = static_cast<uint32_t>(number);
  *type = static_cast<WireType>(raw_type);
  return Status::Ok();
}

Status Reader::Skip(WireType type) {
  switch (type) {
    case WireType::kVarint: {
      uint64_t ignored = 0;
      return ReadVarint(&ignored);
    }
    case WireType::kFixed64:
      return SkipBytes(8);
    case WireType::kLengthDelimited: {
      std::string_view ignored;
      return ReadLengthDelimited(&ignored);
    }
    case WireType::kFixed32:
      return SkipBytes(4);
    case WireType::kStartGroup:
    case WireType::kEndGroup:
      break;
  }
  return Status::InvalidArgument("groups not supported");
}

Status Reader::SkipBytes(uint64_t count) {
  if (count > remaining()) return Status::InvalidArgument("truncated fixed-width field");
  pos_ += static_cast<size_t>(count);
  return Status::Ok();
}

}  // namespace strata::binary::wire

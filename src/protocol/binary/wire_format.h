#pragma once
// Protobuf wire-format primitives used by the deepstream binary codec: varints, tags and a
// bounds-checked reader. Only what proto3 messages without groups need.
// The reader never reads past its buffer; every malformed input becomes a Status.
// Thread-safety: Reader is a value over a borrowed buffer; the free functions are pure.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "strata/status.h"

namespace strata::binary::wire {

enum class WireType : uint8_t {
  kVarint = 0,
  kFixed64 = 1,
  kLengthDelimited = 2,
  kStartGroup = 3,
  kEndGroup = 4,
  kFixed32 = 5,
};

inline constexpr size_t kMaxVarintBytes = 10;

constexpr size_t VarintSize(uint64_t value) {
  size_t size = 1;
  while (value >= 0x80) {
    value >>= 7;
    ++size;
  }
  return size;
}

// Negative int32 values are sign-extended to 64 bits, as protobuf requires, so -1 takes
// ten bytes on the wire.
constexpr uint64_t Int32ToVarint(int32_t value) {
  return static_cast<uint64_t>(static_cast<int64_t>(value));
}

// int32 fields keep the low 32 bits of whatever varint arrived (protobuf semantics).
constexpr int32_t VarintToInt32(uint64_t value) {
  return static_cast<int32_t>(static_cast<uint32_t>(value));
}

constexpr uint64_t MakeTag(uint32_t field_number, WireType type) {
  return (static_cast<uint64_t>(field_number) << 3) | static_cast<uint64_t>(type);
}

constexpr size_t TagSize(uint32_t field_number) {
  return VarintSize(MakeTag(field_number, WireType::kVarint));
}

// Writes `value` at `out` and returns the position after it. REQUIRES: VarintSize(value) bytes
// of room at `out`.
inline char* WriteVarint(uint64_t value, char* out) {
  while (value >= 0x80) {
    *out++ = static_cast<char>((value & 0x7f) | 0x80);
    value >>= 7;
  }
  *out++ = static_cast<char>(value);
  return out;
}

// Sequential reader over one encoded message.
class Reader {
 public:
  explicit Reader(std::string_view buffer) : data_(buffer) {}

  bool AtEnd() const { return pos_ == data_.size(); }
  size_t remaining() const { return data_.size() - pos_; }

  Status ReadVarint(uint64_t* value);
  // A varint byte count followed by that many bytes; `bytes` views into the buffer.
  Status ReadLengthDelimited(std::string_view* bytes);
  // Field numbers are 1..2^29-1; groups and the undefined wire types 6 and 7 are errors.
  Status ReadTag(uint32_t* field_number, WireType* type);
  // Skips the value of an unknown field of the given (non-group) wire type.
  Status Skip(WireType type);

 private:
  Status SkipBytes(uint64_t count);

  std::string_view data_;
  size_t pos_ = 0;
};

}  // namespace strata::binary::wire

#include "connectors/rocksdb/record_codec.h"

#include <cstdint>

namespace strata::rocks {
namespace {

constexpr size_t kVersionSize = 4;

}  // namespace

std::string EncodeValue(const RecordValue& value) {
  std::string out;
  out.reserve(kVersionSize + value.json.size());
  const auto bits = static_cast<uint32_t>(value.version);
  for (size_t i = 0; i < kVersionSize; ++i) out.push_back(static_cast<char>(bits >> (8 * i)));
  out += value.json;
  return out;
}

Result<RecordValue> DecodeValue(std::string_view stored) {
  if (stored.size() < kVersionSize) {
    return Status::DataLoss("rocksdb: stored value is shorter than its version prefix");
  }
  uint32_t bits = 0;
  for (size_t i = 0; i < kVersionSize; ++i) {
    bits |= uint32_t{static_cast<uint8_t>(stored[i])} << (8 * i);
  }
  return RecordValue{static_cast<Version>(bits), std::string(stored.substr(kVersionSize))};
}

}  // namespace strata::rocks

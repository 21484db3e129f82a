#pragma once
// How the rocksdb storage lays records out: one key-value pair per record in the default column
// family. Key: the record name's bytes, unchanged (RocksDB keys are arbitrary bytes). Value: the
// version as 4 bytes little-endian (two's complement int32), then the JSON text byte for byte.
// Thread-safety: pure functions.

#include <string>
#include <string_view>

#include "strata/record_value.h"
#include "strata/status.h"

namespace strata::rocks {

std::string EncodeValue(const RecordValue& value);
// kDataLoss when `stored` is shorter than the version prefix.
Result<RecordValue> DecodeValue(std::string_view stored);

}  // namespace strata::rocks

#pragma once
// How the memcached cache lays records out: one memcached item per record.
//
// Key: the record name itself when memcached's text protocol can carry it unchanged (1 to 250
// bytes, every byte a printable non-space ASCII character, and not starting with '#');
// otherwise '#' followed by the lower-case hex SHA-256 of the name (65 bytes). So names that are
// long, contain spaces, control characters or UTF-8 still work, and a hashed key can never equal
// a plain one (plain keys never start with '#'). Hashed names cannot be listed back from
// memcached, which strata never needs.
//
// Value: the version in decimal ASCII, a '\n', then the record's JSON text, byte for byte
// (e.g. "12\n{\"a\":1}"). memcached's 32-bit item flags are left 0: they cannot carry a
// negative version, and a textual prefix costs only a few bytes.
//
// Thread-safety: pure functions.

#include <optional>
#include <string>
#include <string_view>

#include "strata/record_value.h"
#include "strata/status.h"

namespace strata::memcached {

// memcached's limit on key length (text and binary protocol).
inline constexpr size_t kMaxKeyLength = 250;

std::string KeyFor(std::string_view name);
std::string EncodeValue(const RecordValue& value);
// kDataLoss when `stored` is not in the layout above (written by something else).
Result<RecordValue> DecodeValue(std::string_view stored);
// Only the version, without copying the JSON (for Head).
Result<Version> DecodeVersion(std::string_view stored);

}  // namespace strata::memcached

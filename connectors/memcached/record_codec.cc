#include "connectors/memcached/record_codec.h"

#include <charconv>

#include "connectors/memcached/sha256.h"

namespace strata::memcached {
namespace {

constexpr char kHashedKeyMark = '#';

bool UsableAsKey(std::string_view name) {
  if (name.empty() || name.size() > kMaxKeyLength || name.front() == kHashedKeyMark) return false;
  for (char c : name) {
    if (c <= 0x20 || c >= 0x7f) return false;  // space, control characters, non-ASCII bytes
  }
  return true;
}

Status Malformed(std::string_view why) {
  return Status::DataLoss("memcached: stored item is not a strata record (" + std::string(why) +
                          ")");
}

// Splits "<version>\n<json>" at the newline; sets `json_start` to the JSON's offset.
Result<Version> ParseVersion(std::string_view stored, size_t& json_start) {
  size_t newline = stored.find('\n');
  if (newline == std::string_view::npos || newline == 0) return Malformed("no version line");
  Version version = 0;
  const char* end = stored.data() + newline;
  auto [ptr, ec] = std::from_chars(stored.data(), end, version);
  if (ec != std::errc() || ptr != end) return Malformed("bad version");
  json_start = newline + 1;
  return version;
}

}  // namespace

std::string KeyFor(std::string_view name) {
  if (UsableAsKey(name)) return std::string(name);
  return kHashedKeyMark + Sha256Hex(name);
}

std::string EncodeValue(const RecordValue& value) {
  std::string out = std::to_string(value.version);
  out.reserve(out.size() + 1 + value.json.size());
  out += '\n';
  out += value.json;
  return out;
}

Result<RecordValue> DecodeValue(std::string_view stored) {
  size_t json_start = 0;
  STRATA_ASSIGN_OR_RETURN(Version version, ParseVersion(stored, json_start));
  return RecordValue{version, std::string(stored.substr(json_start))};
}

Result<Version> DecodeVersion(std::string_view stored) {
  size_t json_start = 0;
  return ParseVersion(stored, json_start);
}

}  // namespace strata::memcached

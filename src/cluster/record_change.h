#pragma once
// The messages on a record's channel (`strata:r:<name>`): one per committed change, published by
// the Redis functions (redis_functions.h) in commit order. Text, one header line then raw bytes:
//   U <seq> <node>:<client> <version>\n<data>                            UPDATE
//   P <seq> <node>:<client> <version> <path bytes> <value bytes>\n<path><value><data>   PATCH
//   E <seq> <node>:<client> <version> <path bytes>\n<path><data>          ERASE (PATCH, no value)
//   D <seq> <node>:<client>                                               delete
// <data> is always the whole record after the change, so a node can keep the state it delivered.
// The node encodes everything after "<kind> <seq> " (the functions add those two).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "strata/message.h"
#include "strata/record_value.h"
#include "strata/status.h"

namespace strata::cluster {

struct Origin {
  std::string node;        // the writing node's id
  uint64_t client_id = 0;  // its connection, which is not told its own change
};

struct RecordChange {
  char kind = 'U';  // U, P, E or D
  uint64_t seq = 0;
  Origin origin;
  std::optional<RecordValue> value;  // the record after the change; nullopt for D
  std::string path;                  // P, E
  std::optional<std::string> patch;  // P: the value set at `path`
};

// What the functions need to publish a write: the kind letter and the rest of the message.
struct EncodedChange {
  std::string kind;
  std::string rest;
};

// `broadcast` is the UPDATE or PATCH local subscribers would get (record_transitions.cc).
EncodedChange EncodeWrite(const Origin& origin, const RecordValue& value, const Message& broadcast);
std::string EncodeOrigin(const Origin& origin);
Result<RecordChange> DecodeChange(std::string_view payload);
// The message a subscriber receives for `change` of record `name`.
Message ToMessage(const std::string& name, const RecordChange& change);

}  // namespace strata::cluster

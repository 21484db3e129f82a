#pragma once
// Codec for the deepstream v4+ binary protocol (@deepstream/protobuf 1.0.9; PROTOCOL.md 2.1-2.4).
//
// Wire format. One WebSocket binary frame carries one message:
//   varint N | N bytes of general.proto `Message { TOPIC topic = 2; bytes message = 3; }`
// (there is no field 1). `message` holds the topic-specific message (ConnectionMessage,
// AuthMessage, EventMessage, RecordMessage, RpcMessage, PresenceMessage, ParserMessage), whose
// field numbers differ per topic (see message_schema.cc). Other topics carry {1: action,
// 2: data}. Bytes after the first length-delimited message are ignored, as deepstream does.
//
// Presence is significant: the JS client sees exactly the fields on the wire. So Encode writes a
// field iff its optional is set (also when it holds 0, false or ""), `names`/`versions` one entry
// per element, `action` always; fields in ascending number order, enums and int32 as varints
// (negative values take ten bytes), bools as 0/1. Decode sets an optional iff the field was on
// the wire, keeps the last value of a repeated scalar field, appends `versions` entries in wire
// order without merging duplicate keys, and skips unknown fields (wire types 0, 1, 2, 5).
//
// Decode returns kInvalidArgument for: truncated or over-long varints, lengths beyond the
// enclosing message, groups and undefined wire types, field number 0, a known field with the
// wrong wire type, and a topic or originalTOPIC outside the TOPIC enum (0..11, 100). It never
// reads outside `frame`, so it is safe on hostile input.
// Thread-safety: pure functions.

#include <string>
#include <string_view>

#include "strata/message.h"
#include "strata/status.h"

namespace strata::binary {

// Decodes the first length-delimited message in one binary frame.
Result<Message> Decode(std::string_view frame);

// Appends the length-prefixed encoding of `msg` to `*out`, with a single resize of `*out`.
void Encode(const Message& msg, std::string* out);

// Convenience: the encoding of `msg` as a new string.
std::string Encode(const Message& msg);

}  // namespace strata::binary

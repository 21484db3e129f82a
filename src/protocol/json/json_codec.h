#pragma once
// Codec for deepstream v7's `/deepstream-json` endpoint (PROTOCOL.md 4, transcript-v7 section 8).
//
// Wire format. One WebSocket TEXT frame carries one JSON object, which is one message:
//   {"topic":<number>,"action":<number>, ...fields}
// with the field names of the JS message objects (camelCase protobuf names): data,
// correlationId, isError, isAck, name, names, pattern, subscription, originalAction,
// originalTopic, isWriteAck, path, version, versions ({name: int}), url, protocolVersion,
// sdkVersion, sdkType, requestorName, requestorData.
//
// Payloads. `data` is a JSON string holding JSON text. A frame may instead (or also) carry
// `parsedData`, the payload as a JSON value: the official client sends it, sometimes without
// `data` (it only fills `data` when parsedData is truthy, so `"parsedData":null` comes alone).
// Decode uses `data` when present; otherwise it sets `data` to the compact serialisation of
// `parsedData`.
// Encode always writes the payload as the `data` string and never `parsedData`. The official
// client (7.0.5, jsonTransportMode) does `JSON.parse(frame)` and then, like for binary frames,
// `parsedData = JSON.parse(data)` unless `parsedData` is already present; the reference server
// itself forwards binary clients' messages with `data` strings, which the client handles
// (transcript-v7 [0266], [0269]). Writing `data` keeps the payload text byte-exact (big
// integers, number formatting) and costs no parse on the way out.
// `originalTopic` is the name the JS message objects (and so the reference server's frames) use;
// Decode also accepts the protobuf spelling `originalTOPIC`.
//
// Presence. Encode writes a field iff its optional is set (also when it holds 0, false or ""),
// `names`/`versions` iff non-empty, `topic` and `action` always. Decode sets an optional iff the
// field is present and not null (null counts as absent, except `"parsedData":null`, which is the
// payload "null"); a key given twice keeps its last value, as JSON.parse does. Unknown keys are
// ignored; topic and action numbers outside the enums are passed through. A missing action is
// 0 (UNKNOWN), as an absent protobuf field would be.
//
// Errors. Decode returns kInvalidArgument, never crashing and using bounded stack on any input,
// for: text that is not one JSON value (or has a NUL byte or invalid UTF-8), a value that is
// not an object, a missing/null or non-integer topic, and a field of the wrong type (the
// message names the field); integers must fit int32. Nesting depth is unlimited: the parser and
// the parsedData serialiser are iterative. Encode replaces invalid UTF-8 in strings by U+FFFD so
// that its output is always a valid TEXT frame.
// Thread-safety: pure functions.

#include <string>
#include <string_view>

#include "strata/message.h"
#include "strata/status.h"

namespace strata::json_wire {

// Decodes the JSON object in one text frame.
Result<Message> Decode(std::string_view text);

// Appends the JSON text of `msg` to `*out`.
void Encode(const Message& msg, std::string* out);

// Convenience: the JSON text of `msg` as a new string.
std::string Encode(const Message& msg);

}  // namespace strata::json_wire

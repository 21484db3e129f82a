#pragma once
// Codec for the legacy text protocol of deepstream 1.x-3.x clients (deepstream.io-client-js
// 2.x), served on the `ws-text` endpoint (PROTOCOL.md 5 and 7). It translates legacy messages
// to and from the internal (deepstream v7) message model, so the feature handlers never see
// the legacy protocol.
//
// Framing. A frame holds one or more messages, each terminated by 0x1E; a message is fields
// separated by 0x1F: topic, action, data fields. Fragments shorter than 3 characters are
// ignored, as the reference parsers do.
//
// Where v7 and the legacy protocol identify things differently, the codec carries the legacy
// identity through a field that the server echoes unchanged, so both directions stay stateless:
//  * single-name (un)subscribe and (un)provide (`E|S|name`, `R|US|name`, `P|S|name`) become
//    bulk messages whose correlationId is the name; the server's bulk ack (which has no names)
//    is encoded back as `<T>|A|<action>|<correlationId>`;
//  * a record write asking for a write ack (`{"writeSuccess":true}` config) gets the version as
//    sent as its correlationId, which WRITE_ACKNOWLEDGEMENT carries back: `R|WA|name|[ver]|L`.
// `R|H|name` (has, which v7 lacks) decodes to HEAD flagged `has_query`; the session remembers it
// and answers with EncodeHasResponse.
//
// Errors. Decoding never fails as a whole: each message yields either a Message or a TextError
// describing the legacy error reply (unknown topic/action, missing fields, bad typed values, bad
// JSON, bad versions). Encode writes nothing for internal messages that have no legacy form.
// Thread-safety: pure functions.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "strata/message.h"

namespace strata::text_wire {

// A legacy error reply: `<topic>|E|<event>|<detail...>`.
struct TextError {
  std::string topic;  // "X" (parser), "C", "A", "E", "R", "P" or "U"
  std::string event;  // e.g. "UNKNOWN_TOPIC", "INVALID_MESSAGE_DATA"
  std::vector<std::string> detail;
  bool operator==(const TextError&) const = default;
};

// One message of a frame: exactly one of `message` and `error` is set.
struct DecodedMessage {
  std::optional<Message> message;
  std::optional<TextError> error;
  bool has_query = false;  // `R|H|name`: a HEAD whose answer must be `R|H|name|T/F`
};

// Splits a frame and translates each message.
std::vector<DecodedMessage> DecodeFrame(std::string_view frame);

// Appends the legacy form of `msg` (zero, one or several messages, each with its 0x1E).
void Encode(const Message& msg, std::string* out);
std::string Encode(const Message& msg);

// `<topic>|E|<event>|<detail...>` with its terminator.
std::string EncodeError(const TextError& error);

// The answer to `R|H|name`: `R|H|name|T` or `R|H|name|F`, or `R|E|H|name|<error>` when the
// record could not be read (`error` is the internal error action's name).
std::string EncodeHasResponse(std::string_view name, bool exists);
std::string EncodeHasError(std::string_view name, std::string_view error);

// The legacy event name of an internal error action (>= 100) of `topic`, or "" if none.
std::string_view ErrorName(Topic topic, int32_t action);

}  // namespace strata::text_wire

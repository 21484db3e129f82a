#pragma once
// The wire formats of deepstream's WebSocket endpoints, and the dispatch to their codecs: one
// Message to one WebSocket payload and back. Codecs never see a socket, and nothing above them
// needs to know which one a connection speaks.
//
// Thread-safety: pure functions.

#include <cstddef>
#include <string_view>

#include "strata/connection.h"
#include "strata/message.h"
#include "strata/status.h"

namespace strata {

// kBinary: protobuf frames (/deepstream); kJson: one JSON object per text frame
// (/deepstream-json); kText: the legacy text protocol (/deepstream-v3, protocol/text).
enum class WireFormat { kBinary = 0, kJson = 1, kText = 2 };
inline constexpr size_t kWireFormatCount = 3;

// Encodes one message as a complete WebSocket payload in `format`. A kText payload may hold
// several legacy messages, or be empty when the message has no legacy form (not to be sent).
SharedFrame EncodeFrame(WireFormat format, const Message& msg);
// Decodes one WebSocket payload; kInvalidArgument for anything that is not a message. A kText
// payload must hold exactly one valid message (sessions use text_wire::DecodeFrame instead).
Result<Message> DecodeFrame(WireFormat format, std::string_view frame);

}  // namespace strata

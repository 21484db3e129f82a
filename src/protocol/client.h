#pragma once
// Client: one logged-in connection as the feature handlers (records, later events, RPC,
// presence) see it: an identity and a way to send messages in the connection's own wire format.
// Broadcast: one message sent to many clients, encoded at most once per wire format.
//
// Thread-safety: Client::Send may be called from any loop. A Broadcast is used on one loop.

#include <array>
#include <cstdint>
#include <optional>
#include <string>

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

class Broadcast {
 public:
  explicit Broadcast(Message msg) : msg_(std::move(msg)) {}
  const Message& message() const { return msg_; }
  // The encoded payload, made on first use and shared afterwards.
  const SharedFrame& Frame(WireFormat format) const;

 private:
  Message msg_;
  mutable std::array<SharedFrame, kWireFormatCount> frames_;
};

class Client {
 public:
  virtual ~Client() = default;
  virtual uint64_t id() const = 0;
  virtual const std::string& user_id() const = 0;
  // The user's serverData from the auth handler (JSON), for permission rules (`user.data`).
  virtual std::optional<std::string> server_data() const { return std::nullopt; }
  // False once the connection is gone; an operation that finishes later must not subscribe it.
  virtual bool connected() const = 0;
  virtual void Send(const Message& msg) = 0;
  virtual void Send(const Broadcast& msg) = 0;
};

}  // namespace strata

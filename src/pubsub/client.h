#pragma once
// Client: one logged-in connection as the topic handlers see it: an identity and a way to send
// it messages, in whatever wire format it speaks (the handlers never know which).
// Broadcast: one message sent to many clients, encoded at most once per wire format.
//
// Thread-safety: Client::Send may be called from any loop. A Broadcast is used on one loop.

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "protocol/frame.h"
#include "strata/connection.h"
#include "strata/message.h"

namespace strata {

class Broadcast {
 public:
  using Encoder = SharedFrame (*)(WireFormat format, const Message& msg);

  explicit Broadcast(Message msg) : msg_(std::move(msg)) {}
  const Message& message() const { return msg_; }
  // The payload in `format`, made by `encode` on first use and shared afterwards.
  const SharedFrame& Frame(WireFormat format, Encoder encode) const {
    SharedFrame& frame = frames_[static_cast<size_t>(format)];
    if (!frame) frame = encode(format, msg_);
    return frame;
  }

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
  // The shard whose loop runs this client's connection: per-connection state kept by a shard
  // (the listen patterns of its connections) lives there. Clients without a connection of their
  // own (the HTTP API's) are served from shard 0.
  virtual size_t home_shard() const { return 0; }
  // True for a cluster's stand-in for another node (an RPC provider or requestor there).
  virtual bool remote() const { return false; }
  virtual void Send(const Message& msg) = 0;
  virtual void Send(const Broadcast& msg) = 0;
};

}  // namespace strata

#pragma once
// The seam between the transport (WebSocket/HTTP, src/transport) and the protocol layers above.
// The transport owns sockets and framing; the server sees Connections and whole messages.
//
// Per connection: the handler of the endpoint gets OnOpen and returns the connection's
// ConnectionListener, which the transport then calls directly for that connection's messages and
// its close (no lookup per message).
//
// Threading: each connection lives on one event loop (its executor()). OnOpen and the listener's
// callbacks for a connection run on that loop, one at a time, in arrival order. Send() and
// Close() may be called from any thread.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "strata/executor.h"

namespace strata {

// One encoded WebSocket message payload, shared by every connection it is broadcast to.
using SharedFrame = std::shared_ptr<const std::string>;

enum class SendStatus {
  kSuccess,       // queued
  kBackpressure,  // queued, but the unsent output is above half the cap
  kDropped,       // not queued: the connection is closing or closed, or the cap was exceeded
};

class Connection {
 public:
  virtual ~Connection() = default;
  // Unique for the life of the process.
  virtual uint64_t id() const = 0;
  // Queues one message (a binary frame on binary endpoints, else a text frame). Messages queued
  // while a write is in progress, or in the same loop turn, go out together in one write.
  // Exceeding the endpoint's max_outgoing_queue_bytes closes the connection (logged).
  virtual SendStatus Send(SharedFrame frame) = 0;
  // Sends what is queued, then a close frame (without a status code when `code` is empty, as
  // deepstream does), then closes the socket. Idempotent.
  virtual void Close(std::optional<uint16_t> code = std::nullopt) = 0;
  // The loop that runs this connection's callbacks.
  virtual Executor& executor() = 0;
  // "ip:port" of the peer (x-forwarded-for when present).
  virtual const std::string& remote_address() const = 0;
};

// What receives one connection's input: returned by ConnectionHandler::OnOpen and called by the
// transport directly (uWebSockets' per-socket user data). Called on the connection's loop, one
// call at a time, in arrival order. The transport holds it until OnClose has returned.
class ConnectionListener {
 public:
  virtual ~ConnectionListener() = default;
  // One complete WebSocket message. `binary` tells the frame opcode.
  virtual void OnMessage(std::string_view payload, bool binary) = 0;
  // The connection is gone (either side closed, or an error). Called exactly once; the transport
  // drops its reference to the listener right after.
  virtual void OnClose() = 0;
};

class ConnectionHandler {
 public:
  virtual ~ConnectionHandler() = default;
  // A WebSocket upgrade on this handler's path completed. Returns the connection's listener;
  // null closes the connection at once (a close frame without code; no OnClose to anyone).
  virtual std::shared_ptr<ConnectionListener> OnOpen(const std::shared_ptr<Connection>& conn) = 0;
};

}  // namespace strata

#pragma once
// The WebSocket Connection after the handshake: own RFC 6455 framing (ws_frame.h) over a raw TCP
// socket or a TLS stream, batching every queued outgoing message into one write
// (ws_connection_base.h, ws_connection.cc). Internal to src/transport: the HTTP session
// (http_session.cc) hands a handshaken socket (StartWsConnection) or TLS stream
// (StartTlsWsConnection) over.
//
// Kept free of asio types so that only the .cc files pay for asio.

#include <memory>
#include <string>

#include "transport/event_loop.h"
#include "transport/session_registry.h"
#include "transport/transport.h"

namespace strata {

struct TlsStream;  // asio_stream.h

struct WsConnectionSetup {
  EventLoop* loop = nullptr;  // runs all I/O and handler callbacks of the connection
  int native_socket = -1;     // plain only: the TCP socket after the 101 response; owned from here
  bool ipv6 = false;          // plain only: protocol family of native_socket
  std::shared_ptr<const EndpointBinding> endpoint;
  std::string remote_address;
  std::string initial_bytes;  // bytes read past the upgrade request (normally none)
  std::shared_ptr<SessionRegistry> registry;
  // Held for the connection's lifetime; releasing it frees a place under maxConnections.
  std::shared_ptr<void> slot;
};

// Adopts the socket, calls the endpoint handler's OnOpen and starts reading. When the transport
// is already stopping, closes the socket without OnOpen.
// REQUIRES: called on setup.loop's thread.
void StartWsConnection(WsConnectionSetup setup);

// The same over TLS: `stream` has done the TLS handshake and sent the 101 response; it already
// belongs to setup.loop's io_context. setup.native_socket and setup.ipv6 are unused.
// REQUIRES: called on setup.loop's thread.
void StartTlsWsConnection(WsConnectionSetup setup, std::unique_ptr<TlsStream> stream);

}  // namespace strata

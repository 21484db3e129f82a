#pragma once
// The HTTP side of one accepted TCP connection: the TLS handshake when the port speaks TLS, then
// HTTP requests (the health check, the HttpHandler, 404) until the client leaves or upgrades to
// a WebSocket on one of the endpoints, whose stream then goes to StartWsConnection or
// StartTlsWsConnection (ws_connection.h). Internal to src/transport.
//
// Threading: a session runs on the loop that owns its socket; Transport::Stop reaches it through
// the TransportState's registry from any thread.

#include <memory>

#include "transport/event_loop.h"
#include "transport/transport_state.h"

namespace strata {

struct TcpStream;  // asio_stream.h

// Starts serving `accepted`, which belongs to `loop`'s io_context. When the transport is already
// stopping, the socket is just closed.
// REQUIRES: called on `loop`'s thread.
void StartHttpSession(TcpStream&& accepted, EventLoop* loop, std::shared_ptr<TransportState> state);

}  // namespace strata

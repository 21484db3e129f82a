#pragma once
// Transport: one TCP port serving WebSocket endpoints (routed by exact path) and HTTP
// (`GET <health_check_path>`, then the HttpHandler), optionally all over TLS. It accepts on the
// first loop and spreads connections round-robin over all loops. Own WebSocket framing after a
// Beast handshake, so several queued messages go out in one write (writev; one TLS write).
//
// Threading: Listen/Stop from the owner thread (not a loop thread); handlers are called on the
// connection's loop.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "strata/connection.h"
#include "strata/status.h"
#include "transport/tls_context.h"

namespace strata {

class EventLoop;

struct EndpointBinding {
  std::string path;                      // exact match of the request target, e.g. "/deepstream"
  ConnectionHandler* handler = nullptr;  // not owned; outlives the transport
  bool binary = true;                    // outgoing frames are binary (else text)
  size_t max_message_size = 1048576;     // a bigger incoming message closes with 1009
  size_t max_outgoing_queue_bytes = 64u << 20;  // slow consumer cut-off
  // Close a connection that sent nothing for this long; 0 = never. (deepstream: 2 x heartbeat)
  std::chrono::milliseconds idle_timeout{60000};
};

// A plain HTTP request (not an upgrade, not the health check), as an HttpHandler sees it.
struct HttpRequest {
  std::string method;  // "GET", "POST", ...
  std::string target;  // e.g. "/metrics"
  std::string body;
  std::string content_type;    // the Content-Type header, "" when absent
  std::string origin;          // the Origin header, "" when absent
  std::string remote_address;  // "ip:port" of the client
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "text/plain";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // extra headers (CORS, ...)
};

// Asked, on the connection's loop, about every plain HTTP request other than the health check.
// Returns false when the request is not its own (the transport answers 404); otherwise it calls
// `respond` exactly once, from any thread, now or later.
using HttpHandler =
    std::function<bool(const HttpRequest& request, std::function<void(HttpResponse)> respond)>;

struct TransportOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 6020;  // 0 = any free port (tests); see Transport::port()
  std::string health_check_path = "/health-check";
  // Optional, from any loop: the health check answers 503 with this text when it is not empty
  // (e.g. a cluster node cut from its Redis), so a load balancer drains the node.
  std::function<std::string()> unhealthy;
  std::vector<EndpointBinding> endpoints;
  HttpHandler http_handler;  // optional
  // Set: every connection on the port speaks TLS first (wss://, https://); checked by Listen.
  std::optional<TlsOptions> tls;
  // A TLS client must finish its handshake within this (Node allows 120 s; a pending handshake
  // holds a session, so strata is stricter).
  std::chrono::milliseconds tls_handshake_timeout{10000};
  // WebSocket connections open at once; 0 = no limit. Upgrades beyond it get 503 (strata's own).
  size_t max_connections = 0;
};

class Transport {
 public:
  // REQUIRES: loops non-empty and started; they outlive the transport.
  Transport(TransportOptions options, std::vector<EventLoop*> loops);
  ~Transport();
  Transport(const Transport&) = delete;
  Transport& operator=(const Transport&) = delete;

  // Binds and starts accepting. kUnavailable naming host:port when the bind fails;
  // kInvalidArgument from TlsContext::Create when the TLS key or certificates are unusable.
  Status Listen();
  // The bound port (useful with port 0).
  uint16_t port() const;
  // Stops accepting and closes every connection (each gets OnClose): a close frame without a
  // code, then the socket, without waiting for the client's reply. Blocks until done (each
  // connection is bounded at about 1 s). Idempotent; the destructor calls it.
  // REQUIRES: not called on one of the loops' threads; the loops are still running.
  void Stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace strata

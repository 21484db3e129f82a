#pragma once
// TransportState: what the sessions of one Transport share with it (options, endpoints, the TLS
// context, the registry of live sessions, the count of open WebSocket connections). Sessions hold
// it by shared_ptr, so a session that finishes after the Transport object is gone still finds its
// options. Internal to src/transport.
//
// Thread-safety: set up by the Transport before it accepts, then read-only, except for the
// registry and the connection count, which are thread-safe.

#include <atomic>
#include <memory>
#include <string_view>
#include <vector>

#include "transport/session_registry.h"
#include "transport/tls_context.h"
#include "transport/transport.h"

namespace strata {

struct TransportState {
  TransportOptions options;
  std::unique_ptr<TlsContext> tls;  // set by Listen when options.tls is
  std::vector<std::shared_ptr<const EndpointBinding>> endpoints;
  SessionRegistry registry;
  std::atomic<size_t> websockets{0};  // open WebSocket connections, for max_connections

  // A place for one more WebSocket connection (released when the last copy goes), or nullptr
  // when max_connections are open.
  std::shared_ptr<void> TakeSlot();
  // The endpoint whose path is exactly `target` (no query, no trailing slash), or nullptr.
  std::shared_ptr<const EndpointBinding> FindEndpoint(std::string_view target) const;
};

}  // namespace strata

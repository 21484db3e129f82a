#pragma once
// From config.yml (ServerOptions, filled by the config loader) to the options of the components
// the server starts: the transport, its WebSocket endpoints and their sessions, the HTTP API.
// Thread-safety: pure functions.

#include <optional>
#include <string>

#include "auth/auth_chain.h"
#include "config/options.h"
#include "http_api/api_endpoint.h"
#include "protocol/frame.h"
#include "server/session.h"
#include "transport/transport.h"

namespace strata {

// The wire format of a WebSocket endpoint type (ws-binary, ws-json, ws-text); nullopt for others.
std::optional<WireFormat> EndpointFormat(const std::string& type);
// The sessions of a WebSocket endpoint. REQUIRES: auth outlives them.
SessionOptions SessionOptionsOf(const EndpointConfig& endpoint, WireFormat format,
                                const auth::AuthChain* auth);
// The transport's binding of a WebSocket endpoint to its handler.
EndpointBinding BindingOf(const EndpointConfig& endpoint, WireFormat format,
                          ConnectionHandler* handler);
// The transport, without endpoints and HTTP handler.
TransportOptions TransportOptionsOf(const HttpServerConfig& http);
// The HTTP API of an `http` endpoint.
http_api::ApiOptions ApiOptionsOf(const EndpointConfig& endpoint, const HttpServerConfig& http);

}  // namespace strata

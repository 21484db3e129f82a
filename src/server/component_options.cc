#include "server/component_options.h"

namespace strata {

std::optional<WireFormat> EndpointFormat(const std::string& type) {
  if (type == "ws-binary") return WireFormat::kBinary;
  if (type == "ws-json") return WireFormat::kJson;
  if (type == "ws-text") return WireFormat::kText;
  return std::nullopt;
}

SessionOptions SessionOptionsOf(const EndpointConfig& endpoint, WireFormat format,
                                const auth::AuthChain* auth) {
  SessionOptions session;
  session.format = format;
  session.auth = auth;
  session.max_auth_attempts = endpoint.max_auth_attempts;
  session.log_invalid_auth_data = endpoint.log_invalid_auth_data;
  session.unauthenticated_client_timeout = endpoint.unauthenticated_client_timeout;
  session.heartbeat_interval = endpoint.heartbeat_interval;
  return session;
}

EndpointBinding BindingOf(const EndpointConfig& endpoint, WireFormat format,
                          ConnectionHandler* handler) {
  EndpointBinding b;
  b.path = endpoint.url_path;
  b.handler = handler;
  b.binary = format == WireFormat::kBinary;
  b.max_message_size = endpoint.max_message_size;
  b.max_outgoing_queue_bytes = endpoint.max_outgoing_queue_bytes;
  b.idle_timeout = endpoint.heartbeat_interval * 2;
  return b;
}

TransportOptions TransportOptionsOf(const HttpServerConfig& http) {
  TransportOptions transport;
  transport.host = http.host;
  transport.port = http.port;
  transport.health_check_path = http.health_check_path;
  transport.max_connections = http.max_connections;
  if (http.ssl) transport.tls = TlsOptions{http.ssl->key, http.ssl->cert, http.ssl->ca};
  return transport;
}

http_api::ApiOptions ApiOptionsOf(const EndpointConfig& endpoint, const HttpServerConfig& http) {
  http_api::ApiOptions api;
  api.post_path = endpoint.post_path;
  api.get_path = endpoint.get_path;
  api.auth_path = endpoint.auth_path;
  api.allow_auth_data = endpoint.allow_auth_data;
  api.enable_auth_endpoint = endpoint.enable_auth_endpoint;
  api.request_timeout = endpoint.request_timeout;
  api.allow_all_origins = http.allow_all_origins;
  api.origins = http.origins;
  return api;
}

}  // namespace strata

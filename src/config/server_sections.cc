// Parsers for the server's own sections: enabledFeatures, rpc, record, listen, httpServer and
// connectionEndpoints.

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>

#include "config/config_sections.h"
#include "config/yaml_scalar.h"

namespace strata::config_internal {
namespace {

constexpr int64_t kMaxSize = INT64_MAX;

// An `ssl` value is PEM text (deepstream's `fileLoad(key.pem)`) or, unlike deepstream, the path
// of a PEM file (`file(key.pem)` resolves to one), read here so that a missing file is reported
// with its YAML path. Whether the text is a usable key or certificate is checked at Listen.
Status ReadPem(const FieldReader& ssl, std::string_view key, std::string* out) {
  STRATA_RETURN_IF_ERROR(ssl.ReadString(key, out));
  if (out->empty() || out->find("-----BEGIN") != std::string::npos) return Status::Ok();
  std::ifstream in(*out, std::ios::binary);
  if (!in) {
    return Status::InvalidArgument(ssl.PathOf(key) + ": neither PEM text nor a readable file: '" +
                                   *out + "': " + std::strerror(errno));
  }
  std::ostringstream content;
  content << in.rdbuf();
  *out = content.str();
  return Status::Ok();
}

// deepstream: an `ssl` mapping means https, and then key and cert are required.
Status ParseSsl(const YAML::Node& node, const std::string& path, HttpServerConfig* out) {
  STRATA_ASSIGN_OR_RETURN(FieldReader ssl, FieldReader::Open(node, path, {"key", "cert", "ca"}));
  if (node.IsNull() || !node.IsDefined()) return Status::Ok();
  SslConfig config;
  STRATA_RETURN_IF_ERROR(ReadPem(ssl, "key", &config.key));
  STRATA_RETURN_IF_ERROR(ReadPem(ssl, "cert", &config.cert));
  STRATA_RETURN_IF_ERROR(ReadPem(ssl, "ca", &config.ca));
  for (auto [key, value] : {std::pair{"key", &config.key}, std::pair{"cert", &config.cert}}) {
    if (value->empty()) {
      return Status::InvalidArgument(ssl.PathOf(key) + ": required to enable TLS");
    }
  }
  out->ssl = std::move(config);
  return Status::Ok();
}

Status ParseHttpServerOptions(const YAML::Node& node, const std::string& path,
                              HttpServerConfig* out) {
  STRATA_ASSIGN_OR_RETURN(
      FieldReader options,
      FieldReader::Open(node, path,
                        {"host", "port", "healthCheckPath", "allowAllOrigins", "origins", "headers",
                         "maxMessageSize", "ssl", "maxConnections"}));
  STRATA_RETURN_IF_ERROR(options.ReadString("host", &out->host));
  if (out->host.empty()) {
    return TypeError(options.PathOf("host"), "a host name or address", options.Get("host"));
  }
  STRATA_RETURN_IF_ERROR(options.ReadInt("port", 0, 65535, &out->port));
  STRATA_RETURN_IF_ERROR(options.ReadUrlPath("healthCheckPath", &out->health_check_path));
  STRATA_RETURN_IF_ERROR(options.ReadBool("allowAllOrigins", &out->allow_all_origins));
  STRATA_RETURN_IF_ERROR(options.ReadStringList("origins", &out->origins));
  STRATA_RETURN_IF_ERROR(options.ReadStringList("headers", &out->headers));
  STRATA_RETURN_IF_ERROR(options.ReadInt("maxMessageSize", 1, kMaxSize, &out->max_message_size));
  STRATA_RETURN_IF_ERROR(options.ReadInt("maxConnections", 0, 100000000, &out->max_connections));
  return ParseSsl(options.Get("ssl"), options.PathOf("ssl"), out);
}

// `unauthenticatedClientTimeout`: milliseconds, or `false` for no limit.
Status ReadUnauthenticatedTimeout(const FieldReader& options, EndpointConfig* out) {
  constexpr std::string_view kKey = "unauthenticatedClientTimeout";
  if (!options.Has(kKey)) return Status::Ok();
  YAML::Node node = options.Get(kKey);
  std::string path = options.PathOf(kKey);
  bool is_false =
      node.IsScalar() && ResolveScalar(node) == ScalarKind::kBool && !*ReadBoolValue(node, path);
  if (is_false) {
    out->unauthenticated_client_timeout = std::nullopt;
    return Status::Ok();
  }
  Result<int64_t> millis = ReadIntValue(node, path, 1, kMaxMillis);
  if (!millis.ok()) return TypeError(path, "an integer >= 1 or false", node);
  out->unauthenticated_client_timeout = Millis(*millis);
  return Status::Ok();
}

Status ReadWebSocketOptions(const FieldReader& options, EndpointConfig* out) {
  std::vector<std::string> headers;  // validated; EndpointConfig has no field for it yet
  STRATA_RETURN_IF_ERROR(options.ReadUrlPath("urlPath", &out->url_path));
  STRATA_RETURN_IF_ERROR(options.ReadMillis("heartbeatInterval", 1, &out->heartbeat_interval));
  STRATA_RETURN_IF_ERROR(
      options.ReadMillis("outgoingBufferTimeout", 0, &out->outgoing_buffer_timeout));
  STRATA_RETURN_IF_ERROR(
      options.ReadInt("maxBufferByteSize", 0, kMaxSize, &out->max_buffer_byte_size));
  STRATA_RETURN_IF_ERROR(options.ReadStringList("headers", &headers));
  STRATA_RETURN_IF_ERROR(ReadUnauthenticatedTimeout(options, out));
  STRATA_RETURN_IF_ERROR(options.ReadInt("maxAuthAttempts", 1, INT32_MAX, &out->max_auth_attempts));
  STRATA_RETURN_IF_ERROR(options.ReadBool("logInvalidAuthData", &out->log_invalid_auth_data));
  STRATA_RETURN_IF_ERROR(options.ReadInt("maxMessageSize", 1, kMaxSize, &out->max_message_size));
  return options.ReadInt("maxOutgoingQueueBytes", 1, kMaxSize, &out->max_outgoing_queue_bytes);
}

Status ReadHttpEndpointOptions(const FieldReader& options, EndpointConfig* out) {
  STRATA_RETURN_IF_ERROR(options.ReadBool("allowAuthData", &out->allow_auth_data));
  STRATA_RETURN_IF_ERROR(options.ReadBool("enableAuthEndpoint", &out->enable_auth_endpoint));
  STRATA_RETURN_IF_ERROR(options.ReadUrlPath("authPath", &out->auth_path));
  STRATA_RETURN_IF_ERROR(options.ReadUrlPath("postPath", &out->post_path));
  STRATA_RETURN_IF_ERROR(options.ReadUrlPath("getPath", &out->get_path));
  STRATA_RETURN_IF_ERROR(options.ReadBool("logInvalidAuthData", &out->log_invalid_auth_data));
  STRATA_RETURN_IF_ERROR(options.ReadMillis("requestTimeout", 1, &out->request_timeout));
  return options.ReadInt("maxMessageSize", 1, kMaxSize, &out->max_message_size);
}

// MQTT runs its own TCP server; its options are checked but have no home until it is built.
Status ReadMqttOptions(const FieldReader& options, EndpointConfig* out) {
  std::string host;
  uint16_t port = 1883;
  Millis idle_timeout{180000};
  STRATA_RETURN_IF_ERROR(options.ReadString("host", &host));
  STRATA_RETURN_IF_ERROR(options.ReadInt("port", 0, 65535, &port));
  STRATA_RETURN_IF_ERROR(options.ReadMillis("idleTimeout", 1, &idle_timeout));
  STRATA_RETURN_IF_ERROR(ReadUnauthenticatedTimeout(options, out));
  STRATA_RETURN_IF_ERROR(options.ReadInt("maxAuthAttempts", 1, INT32_MAX, &out->max_auth_attempts));
  STRATA_RETURN_IF_ERROR(options.ReadBool("logInvalidAuthData", &out->log_invalid_auth_data));
  return options.ReadInt("maxMessageSize", 1, kMaxSize, &out->max_message_size);
}

Status ParseEndpointOptions(const YAML::Node& node, const std::string& path, EndpointConfig* out) {
  if (out->type == "http") {
    STRATA_ASSIGN_OR_RETURN(
        FieldReader options,
        FieldReader::Open(node, path,
                          {"allowAuthData", "enableAuthEndpoint", "authPath", "postPath", "getPath",
                           "logInvalidAuthData", "requestTimeout", "maxMessageSize"}));
    return ReadHttpEndpointOptions(options, out);
  }
  if (out->type == "mqtt") {
    STRATA_ASSIGN_OR_RETURN(
        FieldReader options,
        FieldReader::Open(node, path,
                          {"host", "port", "idleTimeout", "unauthenticatedClientTimeout",
                           "maxAuthAttempts", "logInvalidAuthData", "maxMessageSize"}));
    return ReadMqttOptions(options, out);
  }
  STRATA_ASSIGN_OR_RETURN(
      FieldReader options,
      FieldReader::Open(
          node, path,
          {"urlPath", "heartbeatInterval", "outgoingBufferTimeout", "maxBufferByteSize", "headers",
           "unauthenticatedClientTimeout", "maxAuthAttempts", "logInvalidAuthData",
           "maxMessageSize", "maxOutgoingQueueBytes"}));
  return ReadWebSocketOptions(options, out);
}

std::string DefaultUrlPath(const std::string& type) {
  if (type == "ws-binary") return "/deepstream";
  if (type == "ws-text") return "/deepstream-v3";
  if (type == "ws-json") return "/deepstream-json";
  return "";
}

Status ParseEndpoint(const YAML::Node& node, const std::string& path,
                     const HttpServerConfig& http_server, EndpointConfig* out) {
  STRATA_ASSIGN_OR_RETURN(FieldReader entry,
                          FieldReader::Open(node, path, {"type", "name", "path", "options"}));
  STRATA_RETURN_IF_ERROR(RejectCustomPlugin(entry));
  if (!entry.Has("type")) {
    return Status::InvalidArgument(entry.PathOf("type") +
                                   ": missing (ws-binary, ws-text, "
                                   "ws-json, http or mqtt)");
  }
  STRATA_RETURN_IF_ERROR(
      entry.ReadEnum("type", {"ws-binary", "ws-text", "ws-json", "http", "mqtt"}, &out->type));
  out->url_path = DefaultUrlPath(out->type);
  out->max_message_size = http_server.max_message_size;
  STRATA_RETURN_IF_ERROR(ParseEndpointOptions(entry.Get("options"), entry.PathOf("options"), out));
  if (out->type == "mqtt") {
    return NotSupportedYet(entry.PathOf("type"), "'" + out->type + "'");
  }
  return Status::Ok();
}

// Two endpoints (or an endpoint and the health check) on one path could never both be reached.
Status CheckDistinctPaths(const std::vector<EndpointConfig>& endpoints,
                          const std::vector<std::string>& paths,
                          const HttpServerConfig& http_server) {
  std::map<std::string, std::string> owner = {
      {http_server.health_check_path, "httpServer.options.healthCheckPath"}};
  for (size_t i = 0; i < endpoints.size(); ++i) {
    if (endpoints[i].url_path.empty()) continue;
    auto [it, inserted] = owner.emplace(endpoints[i].url_path, paths[i]);
    if (!inserted) {
      return Status::InvalidArgument(paths[i] + ".options.urlPath: '" + endpoints[i].url_path +
                                     "' is already used by " + it->second);
    }
  }
  return Status::Ok();
}

}  // namespace

Status ParseEnabledFeatures(const YAML::Node& node, EnabledFeatures* out) {
  STRATA_ASSIGN_OR_RETURN(FieldReader features,
                          FieldReader::Open(node, "enabledFeatures",
                                            {"record", "event", "rpc", "presence", "monitoring"}));
  STRATA_RETURN_IF_ERROR(features.ReadBool("record", &out->record));
  STRATA_RETURN_IF_ERROR(features.ReadBool("event", &out->event));
  STRATA_RETURN_IF_ERROR(features.ReadBool("rpc", &out->rpc));
  STRATA_RETURN_IF_ERROR(features.ReadBool("presence", &out->presence));
  return features.ReadBool("monitoring", &out->monitoring);
}

Status ParseRpc(const YAML::Node& node, RpcOptions* out) {
  STRATA_ASSIGN_OR_RETURN(
      FieldReader rpc, FieldReader::Open(node, "rpc",
                                         {"ackTimeout", "responseTimeout", "provideRequestorName",
                                          "provideRequestorData"}));
  STRATA_RETURN_IF_ERROR(rpc.ReadMillis("ackTimeout", 1, &out->ack_timeout));
  STRATA_RETURN_IF_ERROR(rpc.ReadMillis("responseTimeout", 1, &out->response_timeout));
  STRATA_RETURN_IF_ERROR(rpc.ReadBool("provideRequestorName", &out->provide_requestor_name));
  return rpc.ReadBool("provideRequestorData", &out->provide_requestor_data);
}

Status ParseRecord(const YAML::Node& node, RecordConfig* out) {
  STRATA_ASSIGN_OR_RETURN(
      FieldReader record,
      FieldReader::Open(
          node, "record",
          {"cacheRetrievalTimeout", "storageRetrievalTimeout", "storageExclusionPrefixes",
           "storageHotPathPrefixes", "storageQueueLimit", "storageBatchSize",
           "storageRetryInterval", "storageRetryMax", "shutdownDrainTimeout"}));
  RecordStoreOptions& store = out->store;
  WriteBehindOptions& storage = store.write_behind;
  STRATA_RETURN_IF_ERROR(record.ReadMillis("cacheRetrievalTimeout", 50, &store.cache_timeout));
  STRATA_RETURN_IF_ERROR(record.ReadMillis("storageRetrievalTimeout", 50, &store.storage_timeout));
  STRATA_RETURN_IF_ERROR(
      record.ReadStringList("storageExclusionPrefixes", &store.storage_exclusion_prefixes));
  STRATA_RETURN_IF_ERROR(
      record.ReadStringList("storageHotPathPrefixes", &out->storage_hot_path_prefixes));
  STRATA_RETURN_IF_ERROR(record.ReadInt("storageQueueLimit", 1, kMaxSize, &storage.limit));
  STRATA_RETURN_IF_ERROR(record.ReadInt("storageBatchSize", 1, kMaxSize, &storage.batch_size));
  STRATA_RETURN_IF_ERROR(record.ReadMillis("storageRetryInterval", 1, &storage.retry_initial));
  STRATA_RETURN_IF_ERROR(
      record.ReadMillis("storageRetryMax", storage.retry_initial.count(), &storage.retry_max));
  return record.ReadMillis("shutdownDrainTimeout", 0, &out->shutdown_drain_timeout);
}

Status ParseListen(const YAML::Node& node, ListenOptions* out) {
  STRATA_ASSIGN_OR_RETURN(FieldReader listen,
                          FieldReader::Open(node, "listen",
                                            {"shuffleProviders", "responseTimeout",
                                             "rematchInterval", "matchCooldown"}));
  STRATA_RETURN_IF_ERROR(listen.ReadBool("shuffleProviders", &out->shuffle_providers));
  STRATA_RETURN_IF_ERROR(listen.ReadMillis("responseTimeout", 50, &out->response_timeout));
  STRATA_RETURN_IF_ERROR(listen.ReadMillis("rematchInterval", 50, &out->rematch_interval));
  return listen.ReadMillis("matchCooldown", 50, &out->match_cooldown);
}

Status ParseHttpServer(const YAML::Node& node, HttpServerConfig* out) {
  STRATA_ASSIGN_OR_RETURN(
      FieldReader server,
      FieldReader::Open(node, "httpServer", {"type", "name", "path", "options"}));
  STRATA_RETURN_IF_ERROR(server.ReadEnum("type", {"default", "uws"}, &out->type));
  STRATA_RETURN_IF_ERROR(RejectCustomPlugin(server));  // its options would be its own
  STRATA_RETURN_IF_ERROR(
      ParseHttpServerOptions(server.Get("options"), server.PathOf("options"), out));
  if (out->type != "default") return NotSupportedYet(server.PathOf("type"), "'" + out->type + "'");
  return Status::Ok();
}

Status ParseEndpoints(const YAML::Node& node, const HttpServerConfig& http_server,
                      std::vector<EndpointConfig>* out) {
  if (!node.IsDefined() || node.IsNull()) {
    EndpointConfig binary{.type = "ws-binary",
                          .url_path = "/deepstream",
                          .max_message_size = http_server.max_message_size};
    *out = {binary};
    return Status::Ok();
  }
  if (!node.IsSequence()) return TypeError("connectionEndpoints", "a sequence", node);
  std::vector<EndpointConfig> endpoints;
  std::vector<std::string> paths;
  for (size_t i = 0; i < node.size(); ++i) {
    YAML::Node entry = node[i];
    if (entry.IsNull()) continue;  // `- null` disables an endpoint, as in deepstream
    std::string path = "connectionEndpoints[" + std::to_string(i) + "]";
    EndpointConfig endpoint;
    STRATA_RETURN_IF_ERROR(ParseEndpoint(entry, path, http_server, &endpoint));
    endpoints.push_back(std::move(endpoint));
    paths.push_back(std::move(path));
  }
  if (endpoints.empty()) {
    return Status::InvalidArgument(
        "connectionEndpoints: no endpoint left; clients could not "
        "connect");
  }
  STRATA_RETURN_IF_ERROR(CheckDistinctPaths(endpoints, paths, http_server));
  *out = std::move(endpoints);
  return Status::Ok();
}

}  // namespace strata::config_internal

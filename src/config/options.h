#pragma once
// ServerOptions: everything config.yml can say, as plain structs with defaults. Only the config
// loader (config_loader.h) fills them. Keys and defaults are deepstream v7's
// (src/default-options.ts, SEMANTICS.md B.3), so an existing deepstream config.yml works; keys
// marked "strata:" are our own additions.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace strata {

using Millis = std::chrono::milliseconds;

enum class LogLevel { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3, kOff = 100 };

// A cache or storage connector chosen in config: `{type: default}`, `{name: x}` or `{path: y}`,
// with free-form options handed to the connector as JSON text.
struct PluginConfig {
  std::string type;  // "default" or empty
  std::string name{};  // registered name, e.g. "memory", "sqlite", "none"
  std::string path{};  // shared library path (connectors issue)
  std::string options_json = "{}";  // the `options:` mapping converted to JSON
  std::string yaml_path;            // where it came from, e.g. "storage" or "plugins.cache"
};

struct RecordConfig {
  Millis cache_retrieval_timeout{1000};
  Millis storage_retrieval_timeout{2000};
  std::vector<std::string> storage_exclusion_prefixes;  // names starting so skip storage
  std::vector<std::string> storage_hot_path_prefixes;   // unversioned fast writes
  // strata: most storage writes waiting (queued or in flight) before writes are refused.
  size_t storage_queue_limit = 100000;
  // strata: most records in one storage batch.
  size_t storage_batch_size = 256;
  // strata: first retry delay of a failed storage write; doubles up to storage_retry_max.
  Millis storage_retry_interval{100};
  Millis storage_retry_max{10000};
  // strata: how long a graceful stop waits for queued storage writes.
  Millis shutdown_drain_timeout{10000};
};

struct RpcConfig {
  Millis ack_timeout{1000};
  Millis response_timeout{10000};
  bool provide_requestor_name = false;
  bool provide_requestor_data = false;
};

struct ListenConfig {
  bool shuffle_providers = true;
  Millis response_timeout{500};
  Millis rematch_interval{30000};
  Millis match_cooldown{10000};
};

// `httpServer.options.ssl`, PEM text after loading (a file path in the YAML is read by the loader).
struct SslConfig {
  std::string key;   // private key, unencrypted
  std::string cert;  // server certificate, optionally followed by intermediates
  std::string ca;    // optional: more chain certificates sent to clients
};

struct HttpServerConfig {
  std::string type = "default";
  // strata: 127.0.0.1 by default (deepstream binds 0.0.0.0); `--host 0.0.0.0` opens it.
  std::string host = "127.0.0.1";
  uint16_t port = 6020;
  std::string health_check_path = "/health-check";
  bool allow_all_origins = true;
  std::vector<std::string> origins;
  std::vector<std::string> headers;
  size_t max_message_size = 1048576;
  std::optional<SslConfig> ssl;
  // strata: WebSocket connections open at once over all endpoints; 0 = no limit.
  size_t max_connections = 0;
};

struct EndpointConfig {
  std::string type;      // ws-binary | ws-text | ws-json | http | mqtt
  std::string url_path;  // ws-*: the exact upgrade path
  Millis heartbeat_interval{30000};
  Millis outgoing_buffer_timeout{0};
  size_t max_buffer_byte_size = 100000;
  std::optional<Millis> unauthenticated_client_timeout = Millis{180000};  // nullopt = `false`
  int max_auth_attempts = 3;
  bool log_invalid_auth_data = false;
  size_t max_message_size = 1048576;
  // strata: a connection whose unsent output exceeds this is closed (slow consumer).
  size_t max_outgoing_queue_bytes = 64u << 20;
  // http endpoint only.
  bool allow_auth_data = true;
  bool enable_auth_endpoint = true;
  std::string auth_path = "/api/auth";
  std::string post_path = "/api";
  std::string get_path = "/api";
  Millis request_timeout{20000};
};

struct AuthConfig {
  std::string type = "none";  // none | file | http | storage
  std::string options_json = "{}";
};

struct PermissionConfig {
  std::string type = "none";  // none | config
  std::string options_json = "{}";
};

struct EnabledFeatures {
  bool record = true;
  bool event = true;
  bool rpc = true;
  bool presence = true;
  bool monitoring = false;
};

struct ServerOptions {
  std::string server_name;  // empty or "UUID" = random id chosen at start
  bool show_logo = false;
  LogLevel log_level = LogLevel::kInfo;
  Millis dependency_initialization_timeout{2000};
  std::string lib_dir;
  bool exit_on_fatal_error = false;
  // strata: event loop threads; 0 = one per hardware thread.
  unsigned threads = 0;

  EnabledFeatures enabled_features;
  RpcConfig rpc;
  RecordConfig record;
  ListenConfig listen;
  HttpServerConfig http_server;
  // Filled by the loader; without `connectionEndpoints` it is one ws-binary at /deepstream.
  std::vector<EndpointConfig> connection_endpoints;
  std::vector<AuthConfig> auth = {AuthConfig{}};
  PermissionConfig permission;
  // strata default: the in-memory cache in front of the embedded storage under ./data.
  PluginConfig cache = {.type = "default", .yaml_path = "cache"};
  PluginConfig storage = {.type = "default", .yaml_path = "storage"};

  std::string config_file;  // the file these came from; empty for defaults
};

}  // namespace strata

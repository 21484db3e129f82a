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
  std::string type;                 // "default" or empty
  std::string name{};               // registered name, e.g. "memory", "sqlite", "none"
  std::string path{};               // shared library path (connectors issue)
  std::string options_json = "{}";  // the `options:` mapping converted to JSON
  std::string yaml_path;            // where it came from, e.g. "storage" or "plugins.cache"
};

// The storage half of each shard's data path (record/write_behind_queue.h).
struct WriteBehindOptions {
  // record.storageQueueLimit (strata): records waiting for storage (queued or in flight)
  // before writes are refused.
  size_t limit = 100000;
  // record.storageBatchSize (strata): records per SetBulk/DeleteBulk call.
  size_t batch_size = 256;
  // Batches in flight at once: more gives parallel backends room; 1 = strict group commit.
  size_t max_batches_in_flight = 2;
  // record.storageRetryInterval (strata): first retry delay of a failed storage write; doubles
  // up to retry_max (record.storageRetryMax).
  Millis retry_initial{100};
  Millis retry_max{10000};
};

// Each shard's data path (record/record_store.h).
struct RecordStoreOptions {
  Millis cache_timeout{1000};    // record.cacheRetrievalTimeout
  Millis storage_timeout{2000};  // record.storageRetrievalTimeout
  // record.storageExclusionPrefixes: names starting so never touch storage.
  std::vector<std::string> storage_exclusion_prefixes;
  WriteBehindOptions write_behind;
};

struct RecordConfig {
  RecordStoreOptions store;
  // record.storageHotPathPrefixes: names starting so are written unversioned.
  std::vector<std::string> storage_hot_path_prefixes;
  // record.shutdownDrainTimeout (strata): how long a graceful stop waits for queued storage
  // writes.
  Millis shutdown_drain_timeout{10000};
};

// The RPC topic (rpc/rpc_handler.h).
struct RpcOptions {
  // rpc.ackTimeout: how long a provider has to ACCEPT a request.
  Millis ack_timeout{1000};
  // rpc.responseTimeout: how long a provider has to RESPONSE (or REQUEST_ERROR).
  Millis response_timeout{10000};
  // rpc.provideRequestorName: the provider sees the requestor's user id as requestorName.
  bool provide_requestor_name = false;
  // rpc.provideRequestorData: clients have no client data yet, so nothing is sent.
  bool provide_requestor_data = false;
};

// Listening (listen/listener_registry.h).
struct ListenOptions {
  // listen.responseTimeout: how long a provider has to accept or reject.
  Millis response_timeout{500};
  // listen.shuffleProviders: ask matching providers in random order (else in LISTEN order).
  bool shuffle_providers = true;
  // listen.rematchInterval, listen.matchCooldown: accepted for deepstream configs and unused,
  // since strata searches again whenever a matching pattern arrives (listener_registry.h).
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

// clusterNode + clusterRegistry: several strata nodes over one Redis (src/cluster).
struct ClusterOptions {
  bool enabled = false;  // clusterNode: {name: redis}
  // clusterNode.options as JSON: the bus's Redis, with the redis connector's option names.
  std::string bus_options_json = "{}";
  // clusterRegistry (deepstream's names and defaults): how often a node renews its lease, how
  // often nodes look for dead ones, and how long a silent node lives. The bus probes its Redis
  // connection every activeCheckInterval too.
  Millis keep_alive_interval{5000};
  Millis active_check_interval{1000};
  Millis node_inactive_timeout{6000};
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
  RpcOptions rpc;
  RecordConfig record;
  ListenOptions listen;
  HttpServerConfig http_server;
  // Filled by the loader; without `connectionEndpoints` it is one ws-binary at /deepstream.
  std::vector<EndpointConfig> connection_endpoints;
  std::vector<AuthConfig> auth = {AuthConfig{}};
  PermissionConfig permission;
  // strata default: the in-memory cache in front of the embedded storage under ./data.
  PluginConfig cache = {.type = "default", .yaml_path = "cache"};
  PluginConfig storage = {.type = "default", .yaml_path = "storage"};
  ClusterOptions cluster;

  std::string config_file;  // the file these came from; empty for defaults
};

}  // namespace strata

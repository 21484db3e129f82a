// ParseConfig on the server's own sections (server_sections.cc): record, rpc, listen,
// enabledFeatures, httpServer with its TLS settings, and connectionEndpoints.

#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "config/config_loader.h"
#include "config/config_test_util.h"

namespace strata {
namespace {

using config_testing::ErrorOf;
using config_testing::MustParse;
using config_testing::TempDir;

// ---------------------------------------------------------------------------------------------
// Sections stored for the server

TEST(ConfigSections, RecordIncludingStrataKeys) {
  ServerOptions options = MustParse(
      "record:\n"
      "  cacheRetrievalTimeout: 30000\n"
      "  storageRetrievalTimeout: 25000\n"
      "  storageExclusionPrefixes: [no-storage/, temporary-data/]\n"
      "  storageHotPathPrefixes:\n    - analytics/\n"
      "  storageQueueLimit: 5000\n"
      "  storageBatchSize: 64\n"
      "  storageRetryInterval: 250\n"
      "  storageRetryMax: 60000\n"
      "  shutdownDrainTimeout: 0\n");
  const RecordConfig& record = options.record;
  EXPECT_EQ(record.store.cache_timeout, Millis(30000));
  EXPECT_EQ(record.store.storage_timeout, Millis(25000));
  EXPECT_EQ(record.store.storage_exclusion_prefixes,
            (std::vector<std::string>{"no-storage/", "temporary-data/"}));
  EXPECT_EQ(record.storage_hot_path_prefixes, std::vector<std::string>{"analytics/"});
  EXPECT_EQ(record.store.write_behind.limit, 5000u);
  EXPECT_EQ(record.store.write_behind.batch_size, 64u);
  EXPECT_EQ(record.store.write_behind.retry_initial, Millis(250));
  EXPECT_EQ(record.store.write_behind.retry_max, Millis(60000));
  EXPECT_EQ(record.shutdown_drain_timeout, Millis(0));
}

TEST(ConfigSections, RpcListenAndEnabledFeatures) {
  ServerOptions options = MustParse(
      "rpc: {ackTimeout: 2000, responseTimeout: 5000, provideRequestorName: true,"
      " provideRequestorData: true}\n"
      "listen: {shuffleProviders: false, responseTimeout: 600, rematchInterval: 60000,"
      " matchCooldown: 20000}\n"
      "enabledFeatures: {record: true, event: false, rpc: false, presence: false,"
      " monitoring: true}\n");
  EXPECT_EQ(options.rpc.ack_timeout, Millis(2000));
  EXPECT_EQ(options.rpc.response_timeout, Millis(5000));
  EXPECT_TRUE(options.rpc.provide_requestor_name);
  EXPECT_TRUE(options.rpc.provide_requestor_data);
  EXPECT_FALSE(options.listen.shuffle_providers);
  EXPECT_EQ(options.listen.response_timeout, Millis(600));
  EXPECT_EQ(options.listen.rematch_interval, Millis(60000));
  EXPECT_EQ(options.listen.match_cooldown, Millis(20000));
  EXPECT_TRUE(options.enabled_features.record);
  EXPECT_FALSE(options.enabled_features.event);
  EXPECT_FALSE(options.enabled_features.rpc);
  EXPECT_FALSE(options.enabled_features.presence);
  EXPECT_TRUE(options.enabled_features.monitoring);
}

TEST(ConfigSections, HttpServerOptions) {
  ServerOptions options = MustParse(
      "httpServer:\n  type: default\n  options:\n    host: 0.0.0.0\n    port: 8080\n"
      "    healthCheckPath: /healthz\n    allowAllOrigins: false\n"
      "    origins: ['https://example.com']\n    headers: [user-agent]\n"
      "    maxMessageSize: 2048\n");
  const HttpServerConfig& http = options.http_server;
  EXPECT_EQ(http.host, "0.0.0.0");
  EXPECT_EQ(http.port, 8080);
  EXPECT_EQ(http.health_check_path, "/healthz");
  EXPECT_FALSE(http.allow_all_origins);
  EXPECT_EQ(http.origins, std::vector<std::string>{"https://example.com"});
  EXPECT_EQ(http.headers, std::vector<std::string>{"user-agent"});
  EXPECT_EQ(http.max_message_size, 2048u);
  // Endpoints without their own maxMessageSize inherit the server's.
  EXPECT_EQ(options.connection_endpoints[0].max_message_size, 2048u);
}

TEST(ConfigHttpServer, MaxConnections) {
  EXPECT_EQ(MustParse("").http_server.max_connections, 0u);
  EXPECT_EQ(
      MustParse("httpServer:\n  options: {maxConnections: 5000}\n").http_server.max_connections,
      5000u);
  EXPECT_CONTAINS(ErrorOf("httpServer:\n  options: {maxConnections: -1}\n"),
                  "httpServer.options.maxConnections");
}

// The PEM content is only checked when the transport starts (transport_test); the loader reads
// files and requires key and cert.
TEST(ConfigSections, SslTakesPemTextFileLoadAndFilePaths) {
  const std::string key = "-----BEGIN PRIVATE KEY-----\nk\n-----END PRIVATE KEY-----\n";
  const std::string cert = "-----BEGIN CERTIFICATE-----\nc\n-----END CERTIFICATE-----\n";
  TempDir dir;
  dir.Write("key.pem", key);
  dir.Write("cert.pem", cert);
  dir.Write("ca.pem", cert + cert);
  ServerOptions options = MustParse(
      "httpServer:\n  options:\n    ssl:\n      key: fileLoad(key.pem)\n"
      "      cert: file(cert.pem)\n      ca: " +
          dir.path() + "/ca.pem\n",
      dir.path());
  ASSERT_TRUE(options.http_server.ssl.has_value());
  EXPECT_EQ(options.http_server.ssl->key, key);
  EXPECT_EQ(options.http_server.ssl->cert, cert);
  EXPECT_EQ(options.http_server.ssl->ca, cert + cert);

  options = MustParse(
      "httpServer:\n  options:\n    ssl:\n      key: |\n"
      "        -----BEGIN PRIVATE KEY-----\n        k\n"
      "        -----END PRIVATE KEY-----\n"
      "      cert: \"-----BEGIN CERTIFICATE-----\"\n");
  ASSERT_TRUE(options.http_server.ssl.has_value());
  EXPECT_EQ(options.http_server.ssl->key, key);
  EXPECT_EQ(options.http_server.ssl->cert, "-----BEGIN CERTIFICATE-----");
  EXPECT_TRUE(options.http_server.ssl->ca.empty());
  EXPECT_FALSE(MustParse("httpServer:\n  options:\n    ssl: null\n").http_server.ssl);
  EXPECT_FALSE(MustParse("").http_server.ssl);
}

TEST(ConfigSections, SslErrorsNameTheKey) {
  TempDir dir;
  EXPECT_EQ(
      ErrorOf("httpServer:\n  options:\n    ssl: {key: file(missing.pem), cert: c}\n", dir.path()),
      "httpServer.options.ssl.key: neither PEM text nor a readable file: '" + dir.path() +
          "/missing.pem': No such file or directory");
  EXPECT_EQ(ErrorOf("httpServer:\n  options:\n    ssl: {key: fileLoad(missing.pem)}\n", dir.path())
                .rfind("httpServer.options.ssl.key: cannot read", 0),
            0u);
  dir.Write("key.pem", "-----BEGIN PRIVATE KEY-----\n");
  EXPECT_EQ(ErrorOf("httpServer:\n  options:\n    ssl: {key: file(key.pem)}\n", dir.path()),
            "httpServer.options.ssl.cert: required to enable TLS");
  EXPECT_EQ(ErrorOf("httpServer:\n  options:\n    ssl: {cert: file(key.pem)}\n", dir.path()),
            "httpServer.options.ssl.key: required to enable TLS");
  EXPECT_EQ(ErrorOf("httpServer:\n  options:\n    ssl: {}\n"),
            "httpServer.options.ssl.key: required to enable TLS");
  EXPECT_EQ(ErrorOf("httpServer:\n  options:\n    ssl: {key: k, passphrase: p}\n"),
            "unknown key 'httpServer.options.ssl.passphrase'");
}

TEST(ConfigSections, TuningForLaterFeaturesIsAccepted) {
  MustParse(
      "subscriptions:\n  type: default\n  options: {subscriptionsSanityTimer: 10000}\n"
      "locks:\n  type: default\n  options: {holdTimeout: 1000, requestTimeout: 1000}\n"
      "clusterNode:\n  type: default\n"
      "clusterRegistry:\n  options: {keepAliveInterval: 5000, activeCheckInterval: 1000,"
      " nodeInactiveTimeout: 6000}\n"
      "clusterStates:\n  options: {reconciliationTimeout: 500}\n"
      "monitoring:\n  type: none\n"
      "telemetry:\n  type: deepstreamIO\n  options: {enabled: false, debug: false}\n");
}

// ---------------------------------------------------------------------------------------------
// Connection endpoints

TEST(ConfigEndpoints, WebSocketBinaryOptions) {
  ServerOptions options = MustParse(
      "connectionEndpoints:\n"
      "  - type: ws-binary\n"
      "    options:\n"
      "      urlPath: /ds\n"
      "      heartbeatInterval: 10000\n"
      "      outgoingBufferTimeout: 5\n"
      "      maxBufferByteSize: 5000\n"
      "      headers: [user-agent]\n"
      "      unauthenticatedClientTimeout: false\n"
      "      maxAuthAttempts: 5\n"
      "      logInvalidAuthData: true\n"
      "      maxMessageSize: 4096\n"
      "      maxOutgoingQueueBytes: 1000000\n");
  ASSERT_EQ(options.connection_endpoints.size(), 1u);
  const EndpointConfig& endpoint = options.connection_endpoints[0];
  EXPECT_EQ(endpoint.type, "ws-binary");
  EXPECT_EQ(endpoint.url_path, "/ds");
  EXPECT_EQ(endpoint.heartbeat_interval, Millis(10000));
  EXPECT_EQ(endpoint.outgoing_buffer_timeout, Millis(5));
  EXPECT_EQ(endpoint.max_buffer_byte_size, 5000u);
  EXPECT_EQ(endpoint.unauthenticated_client_timeout, std::nullopt);
  EXPECT_EQ(endpoint.max_auth_attempts, 5);
  EXPECT_TRUE(endpoint.log_invalid_auth_data);
  EXPECT_EQ(endpoint.max_message_size, 4096u);
  EXPECT_EQ(endpoint.max_outgoing_queue_bytes, 1000000u);
}

TEST(ConfigEndpoints, TypeDefaultsAndTimeoutForms) {
  ServerOptions options = MustParse(
      "connectionEndpoints:\n  - type: ws-binary\n    options:\n"
      "      unauthenticatedClientTimeout: 5000\n");
  EXPECT_EQ(options.connection_endpoints[0].url_path, "/deepstream");
  EXPECT_EQ(options.connection_endpoints[0].unauthenticated_client_timeout, Millis(5000));
  EXPECT_CONTAINS(ErrorOf("connectionEndpoints:\n  - type: ws-binary\n    options:\n"
                          "      unauthenticatedClientTimeout: true\n"),
                  "expected an integer >= 1 or false, got 'true'");
}

TEST(ConfigEndpoints, NullEntryIsRemoved) {
  ServerOptions options = MustParse(
      "connectionEndpoints:\n  - null\n  - type: ws-binary\n    options: {urlPath: /a}\n"
      "  - ~\n");
  ASSERT_EQ(options.connection_endpoints.size(), 1u);
  EXPECT_EQ(options.connection_endpoints[0].url_path, "/a");
  EXPECT_CONTAINS(ErrorOf("connectionEndpoints:\n  - null\n"), "no endpoint left");
}

TEST(ConfigEndpoints, TwoWebSocketEndpointsNeedDistinctPaths) {
  EXPECT_EQ(MustParse("connectionEndpoints:\n  - type: ws-binary\n"
                      "  - type: ws-binary\n    options: {urlPath: /other}\n")
                .connection_endpoints.size(),
            2u);
  EXPECT_EQ(ErrorOf("connectionEndpoints:\n  - type: ws-binary\n  - type: ws-binary\n"),
            "connectionEndpoints[1].options.urlPath: '/deepstream' is already used by "
            "connectionEndpoints[0]");
  EXPECT_CONTAINS(ErrorOf("connectionEndpoints:\n  - type: ws-binary\n"
                          "    options: {urlPath: /health-check}\n"),
                  "already used by httpServer.options.healthCheckPath");
}

TEST(ConfigEndpoints, MqttIsNotSupportedYet) {
  EXPECT_EQ(ErrorOf("connectionEndpoints:\n  - type: ws-binary\n  - type: mqtt\n"),
            "connectionEndpoints[1].type: 'mqtt' is not supported yet");
  EXPECT_CONTAINS(ErrorOf("connectionEndpoints:\n  - type: tcp\n"),
                  "connectionEndpoints[0].type: expected one of ws-binary, ws-text");
  EXPECT_CONTAINS(ErrorOf("connectionEndpoints:\n  - name: custom\n"),
                  "connectionEndpoints[0].name: 'custom' is not supported yet");
}

TEST(ConfigEndpoints, TextEndpointTakesWebSocketOptions) {
  ServerOptions options = MustParse(
      "connectionEndpoints:\n  - type: ws-binary\n  - type: ws-text\n"
      "    options: {heartbeatInterval: 5000, unauthenticatedClientTimeout: false}\n");
  ASSERT_EQ(options.connection_endpoints.size(), 2u);
  const EndpointConfig& text = options.connection_endpoints[1];
  EXPECT_EQ(text.type, "ws-text");
  EXPECT_EQ(text.url_path, "/deepstream-v3");
  EXPECT_EQ(text.heartbeat_interval, Millis(5000));
  EXPECT_FALSE(text.unauthenticated_client_timeout.has_value());
  EXPECT_CONTAINS(ErrorOf("connectionEndpoints:\n  - type: ws-text\n    options: {urlPth: /x}\n"),
                  "urlPth");
}

TEST(ConfigEndpoints, HttpEndpointOptions) {
  ServerOptions options = MustParse(
      "connectionEndpoints:\n  - type: ws-binary\n  - type: http\n"
      "    options: {postPath: /v1/api, authPath: /v1/auth, requestTimeout: 500, allowAuthData: "
      "false}\n");
  ASSERT_EQ(options.connection_endpoints.size(), 2u);
  const EndpointConfig& http = options.connection_endpoints[1];
  EXPECT_EQ(http.type, "http");
  EXPECT_EQ(http.post_path, "/v1/api");
  EXPECT_EQ(http.auth_path, "/v1/auth");
  EXPECT_EQ(http.request_timeout, Millis(500));
  EXPECT_FALSE(http.allow_auth_data);
  EXPECT_EQ(ErrorOf("connectionEndpoints:\n  - type: http\n    options: {postPth: /api}\n"),
            "unknown key 'connectionEndpoints[0].options.postPth'");
  EXPECT_CONTAINS(ErrorOf("connectionEndpoints:\n  - type: http\n"
                          "    options: {requestTimeout: soon}\n"),
                  "connectionEndpoints[0].options.requestTimeout: expected an integer");
}

}  // namespace
}  // namespace strata

#include "config/config_loader.h"

#include <gtest/gtest.h>
#include <rapidjson/document.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

namespace strata {
namespace {

namespace fs = std::filesystem;

// A fresh directory for one test, removed afterwards.
class TempDir {
 public:
  TempDir() {
    static std::atomic<int> counter{0};
    path_ = fs::temp_directory_path() /
            ("strata_config_test_" + std::to_string(getpid()) + "_" + std::to_string(counter++));
    fs::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  std::string path() const { return path_.string(); }
  // Writes `content` to `name` (relative, parent directories created); returns the full path.
  std::string Write(const std::string& name, const std::string& content) const {
    fs::path file = path_ / name;
    fs::create_directories(file.parent_path());
    std::ofstream(file) << content;
    return file.string();
  }

 private:
  fs::path path_;
};

// Runs the test body with the working directory changed, restoring it afterwards.
class ScopedCwd {
 public:
  explicit ScopedCwd(const std::string& dir) : saved_(fs::current_path()) { fs::current_path(dir); }
  ~ScopedCwd() { fs::current_path(saved_); }

 private:
  fs::path saved_;
};

ServerOptions MustParse(const std::string& yaml, const std::string& base_dir = "") {
  Result<ServerOptions> options = ParseConfig(yaml, base_dir);
  EXPECT_TRUE(options.ok()) << options.status().ToString() << "\n--- for:\n" << yaml;
  return options.ok() ? *options : ServerOptions{};
}

// The message of the kInvalidArgument error `yaml` must produce.
std::string ErrorOf(const std::string& yaml, const std::string& base_dir = "") {
  Result<ServerOptions> options = ParseConfig(yaml, base_dir);
  EXPECT_FALSE(options.ok()) << "expected an error for:\n" << yaml;
  if (options.ok()) return "";
  EXPECT_EQ(options.status().code(), StatusCode::kInvalidArgument);
  return std::string(options.status().message());
}

#define EXPECT_CONTAINS(text, part)                          \
  EXPECT_NE(std::string(text).find(part), std::string::npos) \
      << "'" << (text) << "' does not contain '" << (part) << "'"

rapidjson::Document ParseJson(const std::string& json) {
  rapidjson::Document document;
  document.Parse(json.c_str());
  EXPECT_FALSE(document.HasParseError()) << "invalid JSON: " << json;
  return document;
}

// ---------------------------------------------------------------------------------------------
// Defaults

TEST(ConfigDefaults, EmptyTextGivesDefaults) {
  ServerOptions options = MustParse("");
  EXPECT_EQ(options.server_name, "");
  EXPECT_FALSE(options.show_logo);
  EXPECT_EQ(options.log_level, LogLevel::kInfo);
  EXPECT_EQ(options.dependency_initialization_timeout, Millis(2000));
  EXPECT_EQ(options.threads, 0u);
  EXPECT_EQ(options.record.cache_retrieval_timeout, Millis(1000));
  EXPECT_EQ(options.record.storage_retrieval_timeout, Millis(2000));
  EXPECT_EQ(options.record.storage_queue_limit, 100000u);
  EXPECT_EQ(options.http_server.host, "127.0.0.1");
  EXPECT_EQ(options.http_server.port, 6020);
  EXPECT_EQ(options.http_server.health_check_path, "/health-check");
  ASSERT_EQ(options.connection_endpoints.size(), 1u);
  EXPECT_EQ(options.connection_endpoints[0].type, "ws-binary");
  EXPECT_EQ(options.connection_endpoints[0].url_path, "/deepstream");
  EXPECT_EQ(options.connection_endpoints[0].max_message_size, 1048576u);
  EXPECT_EQ(options.connection_endpoints[0].unauthenticated_client_timeout, Millis(180000));
  ASSERT_EQ(options.auth.size(), 1u);
  EXPECT_EQ(options.auth[0].type, "none");
  EXPECT_EQ(options.permission.type, "none");
  EXPECT_EQ(options.cache.type, "default");
  EXPECT_EQ(options.cache.yaml_path, "cache");
  EXPECT_EQ(options.storage.type, "default");
  EXPECT_EQ(options.storage.options_json, "{}");
  EXPECT_EQ(options.config_file, "");
}

TEST(ConfigDefaults, CommentsAndNullSectionsKeepDefaults) {
  ServerOptions options = MustParse("# nothing here\nrecord:\nhttpServer: ~\nplugins:\n");
  EXPECT_EQ(options.record.cache_retrieval_timeout, Millis(1000));
  EXPECT_EQ(options.http_server.port, 6020);
}

TEST(ConfigDefaults, TopLevelMustBeAMapping) {
  EXPECT_CONTAINS(ErrorOf("- a\n- b\n"), "config: expected a mapping");
}

TEST(ConfigDefaults, InvalidYamlNamesTheLine) {
  EXPECT_CONTAINS(ErrorOf("record:\n  cacheRetrievalTimeout: [1\n"), "invalid YAML at line");
}

// ---------------------------------------------------------------------------------------------
// General keys

TEST(ConfigGeneral, ReadsTopLevelKeys) {
  ServerOptions options = MustParse(
      "serverName: node-a\nshowLogo: true\ndependencyInitializationTimeout: 5000\n"
      "libDir: ../lib\nexitOnFatalError: true\nthreads: 4\n");
  EXPECT_EQ(options.server_name, "node-a");
  EXPECT_TRUE(options.show_logo);
  EXPECT_EQ(options.dependency_initialization_timeout, Millis(5000));
  EXPECT_EQ(options.lib_dir, "../lib");
  EXPECT_TRUE(options.exit_on_fatal_error);
  EXPECT_EQ(options.threads, 4u);
}

TEST(ConfigGeneral, LogLevelStringsInAnyCase) {
  EXPECT_EQ(MustParse("logLevel: DEBUG").log_level, LogLevel::kDebug);
  EXPECT_EQ(MustParse("logLevel: Info").log_level, LogLevel::kInfo);
  EXPECT_EQ(MustParse("logLevel: warn").log_level, LogLevel::kWarn);
  EXPECT_EQ(MustParse("logLevel: ERROR").log_level, LogLevel::kError);
  EXPECT_EQ(MustParse("logLevel: off").log_level, LogLevel::kOff);
}

TEST(ConfigGeneral, LogLevelNumbers) {
  EXPECT_EQ(MustParse("logLevel: 0").log_level, LogLevel::kDebug);
  EXPECT_EQ(MustParse("logLevel: 1").log_level, LogLevel::kInfo);
  EXPECT_EQ(MustParse("logLevel: 2").log_level, LogLevel::kWarn);
  EXPECT_EQ(MustParse("logLevel: 3").log_level, LogLevel::kError);
  EXPECT_EQ(MustParse("logLevel: 100").log_level, LogLevel::kOff);
}

TEST(ConfigGeneral, BadLogLevelIsRejected) {
  EXPECT_CONTAINS(ErrorOf("logLevel: verbose"), "logLevel: expected one of DEBUG");
  EXPECT_CONTAINS(ErrorOf("logLevel: 5"), "got '5'");
}

TEST(ConfigGeneral, QuotedHashIsNotAComment) {
  // deepstream strips from '#' to end of line even inside quotes; YAML rules apply here.
  EXPECT_EQ(MustParse("serverName: \"node#one\"").server_name, "node#one");
  EXPECT_EQ(MustParse("serverName: node#one").server_name, "node#one");
  EXPECT_EQ(MustParse("serverName: node # a comment").server_name, "node");
}

// ---------------------------------------------------------------------------------------------
// Unknown keys, types and ranges

TEST(ConfigValidation, UnknownTopLevelKey) {
  EXPECT_EQ(ErrorOf("colors: true"), "unknown key 'colors'");
}

TEST(ConfigValidation, UnknownNestedKeysNameTheFullPath) {
  EXPECT_EQ(ErrorOf("record:\n  cacheRetreivalTimeout: 100\n"),
            "unknown key 'record.cacheRetreivalTimeout'");
  EXPECT_EQ(ErrorOf("httpServer:\n  options:\n    prot: 80\n"),
            "unknown key 'httpServer.options.prot'");
  EXPECT_EQ(ErrorOf("connectionEndpoints:\n  - type: ws-binary\n    options:\n"
                    "      urlpath: /x\n"),
            "unknown key 'connectionEndpoints[0].options.urlpath'");
  EXPECT_EQ(ErrorOf("locks:\n  options:\n    holdTimeOut: 100\n"),
            "unknown key 'locks.options.holdTimeOut'");
  EXPECT_EQ(ErrorOf("monitoring:\n  type: none\n  options:\n    foo: 1\n"),
            "unknown key 'monitoring.options.foo'");
}

TEST(ConfigValidation, FreeFormOptionsAcceptAnyKey) {
  ServerOptions options = MustParse(
      "cache:\n  name: memory\n  options: {anything: 1}\n"
      "auth:\n  - type: none\n    options: {whatever: x}\n"
      "permission:\n  type: none\n  options: {maxRuleIterations: 3}\n"
      "logger:\n  type: default\n  options: {colors: true, logLevel: INFO}\n");
  EXPECT_EQ(options.cache.options_json, "{\"anything\":1}");
  EXPECT_EQ(options.auth[0].options_json, "{\"whatever\":\"x\"}");
  EXPECT_EQ(options.permission.options_json, "{\"maxRuleIterations\":3}");
}

TEST(ConfigValidation, DuplicateKeyIsRejected) {
  EXPECT_EQ(ErrorOf("record:\n  cacheRetrievalTimeout: 100\n  cacheRetrievalTimeout: 200\n"),
            "duplicate key 'record.cacheRetrievalTimeout'");
}

TEST(ConfigValidation, WrongTypesNameThePathAndTheExpectation) {
  EXPECT_EQ(ErrorOf("httpServer:\n  options:\n    port: abc\n"),
            "httpServer.options.port: expected an integer 0-65535, got 'abc'");
  EXPECT_EQ(ErrorOf("showLogo: yes"), "showLogo: expected true or false, got 'yes'");
  EXPECT_EQ(ErrorOf("record: [1, 2]"), "record: expected a mapping, got a sequence");
  EXPECT_EQ(ErrorOf("httpServer:\n  options:\n    origins: https://a.example\n"),
            "httpServer.options.origins: expected a sequence of strings, "
            "got 'https://a.example'");
  EXPECT_CONTAINS(ErrorOf("record:\n  storageExclusionPrefixes: [a, {b: c}]\n"),
                  "record.storageExclusionPrefixes[1]: expected a string, got a mapping");
  // A quoted number is a string in YAML, as it is for deepstream's validator.
  EXPECT_CONTAINS(ErrorOf("httpServer:\n  options:\n    port: '6020'\n"),
                  "httpServer.options.port: expected an integer");
  EXPECT_CONTAINS(ErrorOf("httpServer:\n  options:\n    healthCheckPath: health\n"),
                  "expected a path starting with '/'");
}

TEST(ConfigValidation, RangesAreChecked) {
  EXPECT_EQ(ErrorOf("dependencyInitializationTimeout: 999"),
            "dependencyInitializationTimeout: expected an integer >= 1000, got '999'");
  EXPECT_EQ(ErrorOf("record:\n  storageRetrievalTimeout: 49\n"),
            "record.storageRetrievalTimeout: expected an integer >= 50, got '49'");
  EXPECT_EQ(MustParse("record:\n  storageRetrievalTimeout: 50\n").record.storage_retrieval_timeout,
            Millis(50));
  EXPECT_CONTAINS(ErrorOf("httpServer:\n  options:\n    port: 65536\n"), "0-65535");
  EXPECT_EQ(MustParse("httpServer:\n  options:\n    port: 0\n").http_server.port, 0);
  EXPECT_CONTAINS(ErrorOf("threads: 5000"), "threads: expected an integer 0-1024");
  EXPECT_CONTAINS(ErrorOf("threads: -1"), "threads: expected an integer 0-1024");
  EXPECT_CONTAINS(ErrorOf("listen:\n  matchCooldown: 10\n"), "listen.matchCooldown");
  EXPECT_CONTAINS(ErrorOf("rpc:\n  ackTimeout: 0\n"), "rpc.ackTimeout");
  EXPECT_CONTAINS(ErrorOf("record:\n  storageRetryInterval: 500\n  storageRetryMax: 100\n"),
                  "record.storageRetryMax: expected an integer >= 500");
  EXPECT_CONTAINS(ErrorOf("subscriptions:\n  options:\n    subscriptionsSanityTimer: 10\n"),
                  "subscriptions.options.subscriptionsSanityTimer");
}

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
  EXPECT_EQ(record.cache_retrieval_timeout, Millis(30000));
  EXPECT_EQ(record.storage_retrieval_timeout, Millis(25000));
  EXPECT_EQ(record.storage_exclusion_prefixes,
            (std::vector<std::string>{"no-storage/", "temporary-data/"}));
  EXPECT_EQ(record.storage_hot_path_prefixes, std::vector<std::string>{"analytics/"});
  EXPECT_EQ(record.storage_queue_limit, 5000u);
  EXPECT_EQ(record.storage_batch_size, 64u);
  EXPECT_EQ(record.storage_retry_interval, Millis(250));
  EXPECT_EQ(record.storage_retry_max, Millis(60000));
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
      "      cert: file(cert.pem)\n      ca: " + dir.path() + "/ca.pem\n",
      dir.path());
  ASSERT_TRUE(options.http_server.ssl.has_value());
  EXPECT_EQ(options.http_server.ssl->key, key);
  EXPECT_EQ(options.http_server.ssl->cert, cert);
  EXPECT_EQ(options.http_server.ssl->ca, cert + cert);

  options = MustParse("httpServer:\n  options:\n    ssl:\n      key: |\n"
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
  EXPECT_EQ(ErrorOf("httpServer:\n  options:\n    ssl: {key: file(missing.pem), cert: c}\n",
                    dir.path()),
            "httpServer.options.ssl.key: neither PEM text nor a readable file: '" + dir.path() +
                "/missing.pem': No such file or directory");
  EXPECT_EQ(ErrorOf("httpServer:\n  options:\n    ssl: {key: fileLoad(missing.pem)}\n",
                    dir.path()).rfind("httpServer.options.ssl.key: cannot read", 0),
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
      "    options: {postPath: /v1/api, authPath: /v1/auth, requestTimeout: 500, allowAuthData: false}\n");
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

// ---------------------------------------------------------------------------------------------
// "Not supported yet"

TEST(ConfigNotSupported, StorageAuth) {
  // file and http are read here and checked when the server builds them (auth/auth_chain.h).
  ServerOptions options = MustParse("auth:\n  - type: file\n    options: {users: {a: {password: x}}}\n"
                                    "  - type: none\n");
  ASSERT_EQ(options.auth.size(), 2u);
  EXPECT_EQ(options.auth[0].type, "file");
  EXPECT_EQ(options.auth[0].options_json, R"({"users":{"a":{"password":"x"}}})");
  EXPECT_EQ(ErrorOf("auth:\n  type: storage\n"), "auth.type: 'storage' is not supported yet");
  EXPECT_CONTAINS(ErrorOf("auth:\n  - type: ldap\n"), "auth[0].type: expected one of none, file");
  EXPECT_CONTAINS(ErrorOf("auth: []\n"), "auth: expected at least one entry");
}

TEST(ConfigNotSupported, SingleAuthMappingIsAccepted) {
  ServerOptions options = MustParse("auth:\n  type: none\n");
  ASSERT_EQ(options.auth.size(), 1u);
  EXPECT_EQ(options.auth[0].type, "none");
}

TEST(ConfigHttpServer, MaxConnections) {
  EXPECT_EQ(MustParse("").http_server.max_connections, 0u);
  EXPECT_EQ(MustParse("httpServer:\n  options: {maxConnections: 5000}\n").http_server.max_connections, 5000u);
  EXPECT_CONTAINS(ErrorOf("httpServer:\n  options: {maxConnections: -1}\n"),
                  "httpServer.options.maxConnections");
}

TEST(ConfigPermission, ConfigRulesAreReadHere) {
  // The rules themselves are compiled when the server starts (permission/permission_checker.h).
  ServerOptions options = MustParse("permission:\n  type: config\n  options:\n"
                                    "    permissions: {record: {'*': {read: true}}}\n    maxRuleIterations: 2\n");
  EXPECT_EQ(options.permission.type, "config");
  EXPECT_EQ(options.permission.options_json,
            R"({"permissions":{"record":{"*":{"read":true}}},"maxRuleIterations":2})");
  EXPECT_EQ(ErrorOf("permission:\n  name: my-plugin\n"), "permission.name: 'my-plugin' is not supported yet");
}

TEST(ConfigNotSupported, OtherSections) {
  EXPECT_EQ(ErrorOf("httpServer:\n  type: uws\n"), "httpServer.type: 'uws' is not supported yet");
  EXPECT_EQ(ErrorOf("httpServer:\n  options:\n    ssl: {key: k, passphrase: p}\n"),
            "unknown key 'httpServer.options.ssl.passphrase'");
  EXPECT_EQ(ErrorOf("monitoring:\n  type: http\n  options: {url: /monitoring}\n"),
            "monitoring.type: 'http' is not supported yet");
  EXPECT_EQ(ErrorOf("telemetry:\n  type: deepstreamIO\n  options: {enabled: true}\n"),
            "telemetry.options.enabled: telemetry is not supported yet");
  EXPECT_EQ(ErrorOf("clusterNode:\n  name: redis\n  options: {host: localhost}\n"),
            "clusterNode.name: 'redis' is not supported yet");
  EXPECT_EQ(ErrorOf("clusterNode:\n  type: default\n  options: {host: localhost}\n"),
            "unknown key 'clusterNode.options.host'");
  EXPECT_EQ(ErrorOf("monitoring:\n  path: ./my-monitor\n  options: {interval: 5}\n"),
            "monitoring.path: './my-monitor' is not supported yet");
  EXPECT_EQ(ErrorOf("logger:\n  name: pino\n"), "logger.name: 'pino' is not supported yet");
  EXPECT_EQ(ErrorOf("logger:\n  type: json\n"), "logger.type: 'json' is not supported yet");
  EXPECT_EQ(ErrorOf("plugins:\n  heap-snapshot:\n    name: heap-snapshot\n"),
            "plugins.heap-snapshot: a custom plugin is not supported yet");
}

// ---------------------------------------------------------------------------------------------
// Cache and storage

TEST(ConfigPlugins, TopLevelCacheAndStorage) {
  ServerOptions options = MustParse(
      "cache:\n  type: default\n"
      "storage:\n  name: sqlite\n  options:\n    path: ./data/strata.db\n");
  EXPECT_EQ(options.cache.type, "default");
  EXPECT_EQ(options.cache.yaml_path, "cache");
  EXPECT_EQ(options.storage.type, "");
  EXPECT_EQ(options.storage.name, "sqlite");
  EXPECT_EQ(options.storage.yaml_path, "storage");
  EXPECT_EQ(options.storage.options_json, "{\"path\":\"./data/strata.db\"}");
  ServerOptions by_path = MustParse("storage:\n  path: /opt/strata/libmy.so\n");
  EXPECT_EQ(by_path.storage.path, "/opt/strata/libmy.so");
  EXPECT_EQ(by_path.storage.name, "");
}

TEST(ConfigPlugins, SeedEraPluginsLayout) {
  ServerOptions options = MustParse(
      "plugins:\n  cache:\n    name: memory\n  storage:\n    name: sqlite\n"
      "    options: {file: a.db}\n");
  EXPECT_EQ(options.cache.name, "memory");
  EXPECT_EQ(options.cache.yaml_path, "plugins.cache");
  EXPECT_EQ(options.storage.name, "sqlite");
  EXPECT_EQ(options.storage.yaml_path, "plugins.storage");
  EXPECT_EQ(options.storage.options_json, "{\"file\":\"a.db\"}");
}

TEST(ConfigPlugins, BothLayoutsForOneRoleIsAnError) {
  std::string error = ErrorOf("cache:\n  name: memory\nplugins:\n  cache:\n    name: redis\n");
  EXPECT_CONTAINS(error, "plugins.cache: cache is also configured at the top level");
  // Different roles in different layouts are fine.
  ServerOptions options = MustParse(
      "cache:\n  name: memory\nplugins:\n  storage:\n"
      "    name: sqlite\n");
  EXPECT_EQ(options.cache.yaml_path, "cache");
  EXPECT_EQ(options.storage.yaml_path, "plugins.storage");
}

TEST(ConfigPlugins, BadConnectorSpecs) {
  EXPECT_CONTAINS(ErrorOf("cache:\n  type: redis\n"), "cache.type: expected one of default");
  EXPECT_EQ(ErrorOf("cache:\n  type: default\n  name: memory\n"),
            "cache: give only one of type, name or path");
  EXPECT_EQ(ErrorOf("storage:\n  name: sqlite\n  options: [a]\n"),
            "storage.options: expected a mapping, got a sequence");
  EXPECT_EQ(ErrorOf("storage:\n  name: sqlite\n  option: {}\n"), "unknown key 'storage.option'");
}

TEST(ConfigPlugins, OptionsJsonOfNestedOptions) {
  ServerOptions options = MustParse(
      "storage:\n"
      "  name: sqlite\n"
      "  options:\n"
      "    int: 42\n"
      "    negative: -7\n"
      "    hex: 0x1F\n"
      "    float: 1.5\n"
      "    leading_dot: .5\n"
      "    exp: 1e3\n"
      "    infinite: .inf\n"
      "    yes_bool: true\n"
      "    no_bool: False\n"
      "    nothing: ~\n"
      "    empty:\n"
      "    quoted_number: '42'\n"
      "    quoted_bool: \"true\"\n"
      "    word: yes\n"
      "    tricky: \"quote \\\" backslash \\\\ newline \\n tab \\t bell \\a\"\n"
      "    unicode: \"h\\u00e9llo\"\n"
      "    nested:\n"
      "      list: [1, two, {three: 3}, [4]]\n"
      "      map: {a: {b: null}}\n");
  rapidjson::Document json = ParseJson(options.storage.options_json);
  ASSERT_TRUE(json.IsObject());
  EXPECT_EQ(json["int"].GetInt(), 42);
  EXPECT_EQ(json["negative"].GetInt(), -7);
  EXPECT_EQ(json["hex"].GetInt(), 31);
  EXPECT_DOUBLE_EQ(json["float"].GetDouble(), 1.5);
  EXPECT_DOUBLE_EQ(json["leading_dot"].GetDouble(), 0.5);
  EXPECT_DOUBLE_EQ(json["exp"].GetDouble(), 1000.0);
  EXPECT_STREQ(json["infinite"].GetString(), ".inf");
  EXPECT_TRUE(json["yes_bool"].IsTrue());
  EXPECT_TRUE(json["no_bool"].IsFalse());
  EXPECT_TRUE(json["nothing"].IsNull());
  EXPECT_TRUE(json["empty"].IsNull());
  EXPECT_STREQ(json["quoted_number"].GetString(), "42");
  EXPECT_STREQ(json["quoted_bool"].GetString(), "true");
  EXPECT_STREQ(json["word"].GetString(), "yes");  // YAML 1.2 core: `yes` is a string
  EXPECT_STREQ(json["tricky"].GetString(), "quote \" backslash \\ newline \n tab \t bell \a");
  EXPECT_STREQ(json["unicode"].GetString(), "h\xc3\xa9llo");
  const rapidjson::Value& list = json["nested"]["list"];
  ASSERT_TRUE(list.IsArray());
  ASSERT_EQ(list.Size(), 4u);
  EXPECT_EQ(list[0].GetInt(), 1);
  EXPECT_STREQ(list[1].GetString(), "two");
  EXPECT_EQ(list[2]["three"].GetInt(), 3);
  EXPECT_EQ(list[3][0].GetInt(), 4);
  EXPECT_TRUE(json["nested"]["map"]["a"]["b"].IsNull());
}

// ---------------------------------------------------------------------------------------------
// ${VAR}, file(), fileLoad()

TEST(ConfigPreprocess, EnvironmentVariables) {
  setenv("STRATA_TEST_PORT", "7001", 1);
  setenv("STRATA_TEST_KEY", "showLogo", 1);
  setenv("STRATA_TEST_HOST", "db.internal", 1);
  unsetenv("STRATA_TEST_UNSET");
  ServerOptions options = MustParse(
      "httpServer:\n  options:\n    port: ${STRATA_TEST_PORT}\n"
      "${STRATA_TEST_KEY}: true\n"
      "serverName: \"a${STRATA_TEST_UNSET}b\"\n"
      "storage:\n  name: redis\n  options: {host: ${STRATA_TEST_HOST}, port: ${STRATA_TEST_PORT}}\n"
      "libDir: ${STRATA_TEST_UNSET}\n");
  EXPECT_EQ(options.http_server.port, 7001);
  EXPECT_TRUE(options.show_logo);
  EXPECT_EQ(options.server_name, "ab");
  EXPECT_EQ(options.storage.options_json, "{\"host\":\"db.internal\",\"port\":7001}");
  EXPECT_EQ(options.lib_dir, "");  // unset -> empty -> null -> default
}

TEST(ConfigPreprocess, FilePathsResolveAgainstBaseDir) {
  TempDir dir;
  ServerOptions options = MustParse(
      "storage:\n  name: sqlite\n  options:\n    file: file(data/strata.db)\n"
      "    absolute: file(/var/lib/x.db)\n    inside: \"prefix:file(a.txt)\"\n"
      "    profile: profile(x)\n",
      dir.path());
  rapidjson::Document json = ParseJson(options.storage.options_json);
  EXPECT_EQ(std::string(json["file"].GetString()), dir.path() + "/data/strata.db");
  EXPECT_STREQ(json["absolute"].GetString(), "/var/lib/x.db");
  EXPECT_EQ(std::string(json["inside"].GetString()), "prefix:" + dir.path() + "/a.txt");
  EXPECT_STREQ(json["profile"].GetString(), "profile(x)");
}

TEST(ConfigPreprocess, FileLoadYamlAndJson) {
  TempDir dir;
  setenv("STRATA_TEST_SECRET", "s3cret", 1);
  dir.Write("conf/users.yml", "alice:\n  password: ${STRATA_TEST_SECRET}\n  admin: true\n");
  dir.Write("conf/rules.json",
            "{\n\t\"record\": {\n\t\t\"*\": {\"read\": true}\n\t},\n"
            "\t\"limit\": 3\n}\n");
  ServerOptions options = MustParse(
      "auth:\n  - type: none\n    options:\n      users: fileLoad(conf/users.yml)\n"
      "permission:\n  type: none\n  options:\n    permissions: fileLoad(conf/rules.json)\n",
      dir.path());
  rapidjson::Document users = ParseJson(options.auth[0].options_json);
  EXPECT_STREQ(users["users"]["alice"]["password"].GetString(), "s3cret");
  EXPECT_TRUE(users["users"]["alice"]["admin"].IsTrue());
  rapidjson::Document rules = ParseJson(options.permission.options_json);
  EXPECT_TRUE(rules["permissions"]["record"]["*"]["read"].IsTrue());
  EXPECT_EQ(rules["permissions"]["limit"].GetInt(), 3);
}

TEST(ConfigPreprocess, FileLoadOtherFilesAsText) {
  TempDir dir;
  dir.Write("key.pem", "-----BEGIN KEY-----\nabc\n-----END KEY-----\n");
  dir.Write("number.txt", "12345");
  ServerOptions options = MustParse(
      "cache:\n  name: memory\n  options:\n    key: fileLoad(key.pem)\n"
      "    number: fileLoad(number.txt)\n",
      dir.path());
  rapidjson::Document json = ParseJson(options.cache.options_json);
  EXPECT_STREQ(json["key"].GetString(), "-----BEGIN KEY-----\nabc\n-----END KEY-----\n");
  EXPECT_STREQ(json["number"].GetString(), "12345");  // text stays text
}

TEST(ConfigPreprocess, FileLoadErrors) {
  TempDir dir;
  EXPECT_CONTAINS(
      ErrorOf("cache:\n  name: memory\n  options:\n    users: fileLoad(missing.yml)\n", dir.path()),
      "cache.options.users: cannot read '" + dir.path() + "/missing.yml'");
  dir.Write("bad.yml", "a: [1\n");
  EXPECT_CONTAINS(
      ErrorOf("cache:\n  name: memory\n  options:\n    users: fileLoad(bad.yml)\n", dir.path()),
      "cache.options.users: invalid content in");
  // A reference in a comment is just a comment.
  MustParse("# users: fileLoad(missing.yml)\nshowLogo: true # fileLoad(missing.yml)\n", dir.path());
}

// ---------------------------------------------------------------------------------------------
// LoadConfig: lookup and CLI overrides

TEST(ConfigLoad, MissingExplicitFileIsAClearError) {
  CliOverrides cli;
  cli.config_path = "/nonexistent/strata/config.yml";
  Result<ServerOptions> options = LoadConfig(cli);
  ASSERT_FALSE(options.ok());
  EXPECT_EQ(options.status().code(), StatusCode::kInvalidArgument);
  EXPECT_CONTAINS(options.status().message(),
                  "config file '/nonexistent/strata/config.yml' (from -c) does not exist");
}

TEST(ConfigLoad, ExplicitFileErrorsNameTheFile) {
  TempDir dir;
  CliOverrides cli;
  cli.config_path = dir.Write("config.yml", "record:\n  cacheRetreivalTimeout: 100\n");
  Result<ServerOptions> options = LoadConfig(cli);
  ASSERT_FALSE(options.ok());
  EXPECT_EQ(options.status().message(),
            *cli.config_path + ": unknown key 'record.cacheRetreivalTimeout'");
}

TEST(ConfigLoad, ExplicitFileResolvesReferencesAgainstItsDirectory) {
  TempDir dir;
  dir.Write("etc/opts.yml", "depth: 3\n");
  CliOverrides cli;
  cli.config_path = dir.Write("etc/config.yml",
                              "showLogo: true\ncache:\n  name: memory\n  options:\n"
                              "    opts: fileLoad(opts.yml)\n    db: file(db.sqlite)\n");
  Result<ServerOptions> options = LoadConfig(cli);
  ASSERT_TRUE(options.ok()) << options.status().ToString();
  EXPECT_TRUE(options->show_logo);
  EXPECT_EQ(options->config_file, *cli.config_path);
  rapidjson::Document json = ParseJson(options->cache.options_json);
  EXPECT_EQ(json["opts"]["depth"].GetInt(), 3);
  EXPECT_EQ(std::string(json["db"].GetString()), dir.path() + "/etc/db.sqlite");
}

TEST(ConfigLoad, FindsConfInWorkingDirectoryElseDefaults) {
  if (fs::exists("/etc/strata/config.yml")) GTEST_SKIP() << "/etc/strata/config.yml exists";
  TempDir dir;
  {
    ScopedCwd cwd(dir.path());
    Result<ServerOptions> defaults = LoadConfig(CliOverrides{});
    ASSERT_TRUE(defaults.ok()) << defaults.status().ToString();
    EXPECT_EQ(defaults->config_file, "");
    EXPECT_EQ(defaults->http_server.port, 6020);
  }
  dir.Write("conf/config.yml", "httpServer:\n  options:\n    port: 7777\n");
  ScopedCwd cwd(dir.path());
  Result<ServerOptions> options = LoadConfig(CliOverrides{});
  ASSERT_TRUE(options.ok()) << options.status().ToString();
  EXPECT_EQ(options->config_file, "conf/config.yml");
  EXPECT_EQ(options->http_server.port, 7777);
}

TEST(ConfigLoad, CliOverridesHostPortAndLogLevel) {
  TempDir dir;
  CliOverrides cli;
  cli.config_path = dir.Write("config.yml",
                              "logLevel: ERROR\nhttpServer:\n  options:\n"
                              "    host: 10.0.0.1\n    port: 7000\n");
  cli.host = "0.0.0.0";
  cli.port = 9000;
  cli.log_level = "debug";
  Result<ServerOptions> options = LoadConfig(cli);
  ASSERT_TRUE(options.ok()) << options.status().ToString();
  EXPECT_EQ(options->http_server.host, "0.0.0.0");
  EXPECT_EQ(options->http_server.port, 9000);
  EXPECT_EQ(options->log_level, LogLevel::kDebug);

  cli.log_level = "loud";
  Result<ServerOptions> bad = LoadConfig(cli);
  ASSERT_FALSE(bad.ok());
  EXPECT_CONTAINS(bad.status().message(), "--log-level: expected one of DEBUG");
}

TEST(ConfigLoad, DisableAuthAndPermissionsLiftTheirRejections) {
  TempDir dir;
  CliOverrides cli;
  cli.config_path = dir.Write("config.yml",
                              "auth:\n  - type: storage\n"
                              "permission:\n  name: my-plugin\n");
  Result<ServerOptions> rejected = LoadConfig(cli);
  ASSERT_FALSE(rejected.ok());
  EXPECT_EQ(rejected.status().message(),
            *cli.config_path + ": auth[0].type: 'storage' is not supported yet");

  cli.disable_auth = true;
  rejected = LoadConfig(cli);
  ASSERT_FALSE(rejected.ok());
  EXPECT_EQ(rejected.status().message(),
            *cli.config_path + ": permission.name: 'my-plugin' is not supported yet");

  cli.disable_permissions = true;
  Result<ServerOptions> options = LoadConfig(cli);
  ASSERT_TRUE(options.ok()) << options.status().ToString();
  ASSERT_EQ(options->auth.size(), 1u);
  EXPECT_EQ(options->auth[0].type, "none");
  EXPECT_EQ(options->permission.type, "none");
  EXPECT_EQ(options->permission.options_json, "{}");
}

// ---------------------------------------------------------------------------------------------
// The stock deepstream v7 conf/config.yml (trimmed of most comments).

constexpr char kStockConfig[] = R"(# General
serverName: UUID
showLogo: true
dependencyInitializationTimeout: 5000
#libDir: ../lib
exitOnFatalError: false
logLevel: INFO

enabledFeatures:
  record: true
  event: true
  rpc: true
  presence: true

telemetry:
  type: deepstreamIO
  options:
    enabled: false
    debug: false
    # deploymentId: <uuid goes here>

rpc:
  ackTimeout: 1000
  responseTimeout: 10000
  provideRequestorName: false
  provideRequestorData: false

record:
  cacheRetrievalTimeout: 30000
  storageRetrievalTimeout: 30000
  # storageExclusionPrefixes:
  #   - no-storage/

listen:
  shuffleProviders: true
  responseTimeout: 500
  rematchInterval: 60000
  matchCooldown: 10000

httpServer:
  type: default
  options:
    healthCheckPath: /health-check
    allowAllOrigins: true
    maxMessageSize: 1048576
    origins:
      - 'https://example.com'
    # ssl:
    #   key: fileLoad(ssl/key.pem)
    #   cert: fileLoad(ssl/cert.pem)

# to disable, replace configuration with null eg. `http: null`
connectionEndpoints:
  - type: ws-binary
    options:
      urlPath: /deepstream
      heartbeatInterval: 30000
      outgoingBufferTimeout: 0
      maxBufferByteSize: 100000
      logInvalidAuthData: false
      unauthenticatedClientTimeout: 180000
      maxAuthAttempts: 3
      maxMessageSize: 1048576
HTTP_ENDPOINT
logger:
  type: default
  options:
    colors: true

# cache:
#   name: redis
#   options:
#     host: ${REDIS_HOST}

auth:
  - type: none
  # - type: file
  #   options:
  #     users: fileLoad(users.yml)

permission:
  type: config
  options:
    permissions: fileLoad(permissions.yml)
    maxRuleIterations: 3
    cacheEvacuationInterval: 60000

monitoring:
  type: none

# plugins:
#   heap-snapshot:
#     name: 'heap-snapshot'
)";

constexpr char kStockHttpEndpoint[] = R"(
  - type: http
    options:
      allowAuthData: true
      postPath: /api
      getPath: /api
      logInvalidAuthData: false
      requestTimeout: 20000
)";

constexpr char kStockPermissions[] = R"(presence:
  "*":
    allow: true
record:
  "*":
    create: true
    write: true
    read: true
    delete: true
    listen: true
    notify: true
)";

std::string StockConfig(bool with_http_endpoint) {
  std::string text = kStockConfig;
  text.replace(text.find("HTTP_ENDPOINT"), std::string("HTTP_ENDPOINT").size(),
               with_http_endpoint ? kStockHttpEndpoint : "");
  return text;
}

TEST(ConfigStockDeepstream, AsShippedLoads) {
  TempDir dir;
  dir.Write("permissions.yml", kStockPermissions);
  CliOverrides cli;
  cli.config_path = dir.Write("config.yml", StockConfig(true));
  Result<ServerOptions> options = LoadConfig(cli);
  ASSERT_TRUE(options.ok()) << options.status().ToString();
  EXPECT_EQ(options->permission.type, "config");
  ASSERT_EQ(options->connection_endpoints.size(), 2u);
  EXPECT_EQ(options->connection_endpoints[1].type, "http");
}

TEST(ConfigStockDeepstream, LoadsWithoutHttpEndpointAndWithDisabledPermissions) {
  TempDir dir;
  dir.Write("permissions.yml", kStockPermissions);
  CliOverrides cli;
  cli.config_path = dir.Write("config.yml", StockConfig(false));
  cli.disable_permissions = true;
  Result<ServerOptions> options = LoadConfig(cli);
  ASSERT_TRUE(options.ok()) << options.status().ToString();
  EXPECT_EQ(options->server_name, "UUID");
  EXPECT_TRUE(options->show_logo);
  EXPECT_EQ(options->log_level, LogLevel::kInfo);
  EXPECT_EQ(options->dependency_initialization_timeout, Millis(5000));
  EXPECT_EQ(options->record.cache_retrieval_timeout, Millis(30000));
  EXPECT_EQ(options->record.storage_retrieval_timeout, Millis(30000));
  EXPECT_EQ(options->listen.rematch_interval, Millis(60000));
  EXPECT_EQ(options->http_server.origins, std::vector<std::string>{"https://example.com"});
  ASSERT_EQ(options->connection_endpoints.size(), 1u);
  EXPECT_EQ(options->connection_endpoints[0].type, "ws-binary");
  EXPECT_EQ(options->connection_endpoints[0].url_path, "/deepstream");
  EXPECT_EQ(options->permission.type, "none");
  EXPECT_EQ(options->cache.type, "default");
}

TEST(ConfigStockDeepstream, PermissionsFileIsLoadedIntoOptions) {
  TempDir dir;
  dir.Write("permissions.yml", kStockPermissions);
  // Parsed but rejected: check the loaded rules reach options_json by parsing with type none.
  std::string text = StockConfig(false);
  text.replace(text.find("type: config"), std::string("type: config").size(), "type: none");
  ServerOptions options = MustParse(text, dir.path());
  rapidjson::Document json = ParseJson(options.permission.options_json);
  EXPECT_TRUE(json["permissions"]["record"]["*"]["write"].IsTrue());
  EXPECT_EQ(json["maxRuleIterations"].GetInt(), 3);
}

}  // namespace
}  // namespace strata

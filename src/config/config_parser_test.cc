// ParseConfig at the top level of config.yml: defaults, the general keys, and the validation
// every section shares (unknown keys, duplicate keys, types and ranges).

#include <string>

#include <gtest/gtest.h>

#include "config/config_loader.h"
#include "config/config_test_util.h"

namespace strata {
namespace {

using config_testing::ErrorOf;
using config_testing::MustParse;

// ---------------------------------------------------------------------------------------------
// Defaults

TEST(ConfigDefaults, EmptyTextGivesDefaults) {
  ServerOptions options = MustParse("");
  EXPECT_EQ(options.server_name, "");
  EXPECT_FALSE(options.show_logo);
  EXPECT_EQ(options.log_level, LogLevel::kInfo);
  EXPECT_EQ(options.dependency_initialization_timeout, Millis(2000));
  EXPECT_EQ(options.threads, 0u);
  EXPECT_EQ(options.record.store.cache_timeout, Millis(1000));
  EXPECT_EQ(options.record.store.storage_timeout, Millis(2000));
  EXPECT_EQ(options.record.store.write_behind.limit, 100000u);
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
  EXPECT_EQ(options.record.store.cache_timeout, Millis(1000));
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
  EXPECT_EQ(MustParse("record:\n  storageRetrievalTimeout: 50\n").record.store.storage_timeout,
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

}  // namespace
}  // namespace strata

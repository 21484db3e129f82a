// ParseConfig on the plugin-shaped sections (plugin_sections.cc): cache and storage connectors,
// auth, permission, and the sections and plugins strata does not support yet.

#include <string>

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include "config/config_loader.h"
#include "config/config_test_util.h"

namespace strata {
namespace {

using config_testing::ErrorOf;
using config_testing::MustParse;
using config_testing::ParseJson;

// ---------------------------------------------------------------------------------------------
// "Not supported yet"

TEST(ConfigNotSupported, StorageAuth) {
  // file and http are read here and checked when the server builds them (auth/auth_chain.h).
  ServerOptions options = MustParse(
      "auth:\n  - type: file\n    options: {users: {a: {password: x}}}\n"
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

TEST(ConfigPermission, ConfigRulesAreReadHere) {
  // The rules themselves are compiled when the server starts (permission/permission_checker.h).
  ServerOptions options = MustParse(
      "permission:\n  type: config\n  options:\n"
      "    permissions: {record: {'*': {read: true}}}\n    maxRuleIterations: 2\n");
  EXPECT_EQ(options.permission.type, "config");
  EXPECT_EQ(options.permission.options_json,
            R"({"permissions":{"record":{"*":{"read":true}}},"maxRuleIterations":2})");
  EXPECT_EQ(ErrorOf("permission:\n  name: my-plugin\n"),
            "permission.name: 'my-plugin' is not supported yet");
}

TEST(ConfigNotSupported, OtherSections) {
  EXPECT_EQ(ErrorOf("httpServer:\n  type: uws\n"), "httpServer.type: 'uws' is not supported yet");
  EXPECT_EQ(ErrorOf("httpServer:\n  options:\n    ssl: {key: k, passphrase: p}\n"),
            "unknown key 'httpServer.options.ssl.passphrase'");
  EXPECT_EQ(ErrorOf("monitoring:\n  type: http\n  options: {url: /monitoring}\n"),
            "monitoring.type: 'http' is not supported yet");
  EXPECT_EQ(ErrorOf("telemetry:\n  type: deepstreamIO\n  options: {enabled: true}\n"),
            "telemetry.options.enabled: telemetry is not supported yet");
  EXPECT_EQ(ErrorOf("clusterNode:\n  name: nats\n"),
            "clusterNode.name: 'nats': strata nodes cluster over Redis only (name: redis)");
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
// Cluster: clusterNode + clusterRegistry

constexpr const char* kSharedBackends =
    "cache:\n  name: redis\n  options: {port: 6390}\n"
    "storage:\n  name: postgres\n  options: {port: 5433}\n";

TEST(ConfigCluster, RedisClusterNodeWithSharedBackends) {
  ServerOptions options = MustParse(
      std::string("clusterNode:\n  name: redis\n  options: {host: 127.0.0.1, port: 6390}\n"
                  "clusterRegistry:\n  options: {keepAliveInterval: 200, activeCheckInterval: "
                  "100, nodeInactiveTimeout: 600}\n") +
      kSharedBackends);
  EXPECT_TRUE(options.cluster.enabled);
  EXPECT_EQ(options.cluster.bus_options_json, R"({"host":"127.0.0.1","port":6390})");
  EXPECT_EQ(options.cluster.keep_alive_interval, Millis(200));
  EXPECT_EQ(options.cluster.active_check_interval, Millis(100));
  EXPECT_EQ(options.cluster.node_inactive_timeout, Millis(600));
  EXPECT_FALSE(MustParse(kSharedBackends).cluster.enabled);
  EXPECT_TRUE(MustParse(std::string("clusterNode:\n  name: redis\ncache: {name: redis}\n"
                                    "storage: {name: none}\n"))
                  .cluster.enabled);
}

TEST(ConfigCluster, PerNodeBackendsAreRefused) {
  const std::string node = "clusterNode:\n  name: redis\n";
  EXPECT_EQ(ErrorOf(node),
            "cache.name: 'memory' cannot serve a cluster: the nodes of a cluster share one cache, "
            "where record versions are decided; use cache: {name: redis} on the clusterNode's "
            "Redis");
  EXPECT_EQ(ErrorOf(node + "cache: {name: memcached}\nstorage: {name: postgres}\n"),
            "cache.name: 'memcached' cannot serve a cluster: the nodes of a cluster share one "
            "cache, where record versions are decided; use cache: {name: redis} on the "
            "clusterNode's Redis");
  for (const char* storage : {"sqlite", "rocksdb", "memory"}) {
    EXPECT_EQ(ErrorOf(node + "cache: {name: redis}\nstorage: {name: " + storage + "}\n"),
              std::string("storage.name: '") + storage +
                  "' cannot serve a cluster: it keeps records on one node, and the nodes of a "
                  "cluster must share their storage; use storage: {name: postgres} (or none)");
  }
  EXPECT_EQ(ErrorOf(node + "cache: {name: redis}\n"),
            "storage.name: 'sqlite' cannot serve a cluster: it keeps records on one node, and the "
            "nodes of a cluster must share their storage; use storage: {name: postgres} (or "
            "none)");
  EXPECT_EQ(ErrorOf("clusterRegistry:\n  options: {nodeInactiveTimeout: 0}\n").substr(0, 43),
            "clusterRegistry.options.nodeInactiveTimeout");
}

}  // namespace
}  // namespace strata

// Reading config files: ${VAR}, file() and fileLoad() preprocessing, then LoadConfig's lookup of
// the file and the `strata start` flags on top.

#include "config/config_loader.h"

#include <cstdlib>
#include <filesystem>
#include <string>

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include "config/config_test_util.h"

namespace strata {
namespace {

namespace fs = std::filesystem;

using config_testing::ErrorOf;
using config_testing::MustParse;
using config_testing::ParseJson;
using config_testing::ScopedCwd;
using config_testing::TempDir;

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

}  // namespace
}  // namespace strata

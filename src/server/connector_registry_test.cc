#include "server/connector_registry.h"

#include <stdlib.h>

#include <filesystem>
#include <future>

#include <gtest/gtest.h>

#include "plugin/plugin_directory.h"

namespace strata {
namespace {

namespace fs = std::filesystem;

class ConnectorRegistryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "strata-registry-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    plugin_dir_ = dir_ + "/plugins";
    fs::create_directories(plugin_dir_);
    fs::copy_file(STRATA_TEMPLATE_PLUGIN, plugin_dir_ + "/" + PluginFileName("template"));
    RegisterBuiltinConnectors(registry_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  PluginConfig Storage(std::string name, std::string path = "") const {
    PluginConfig config;
    config.name = std::move(name);
    config.path = std::move(path);
    config.options_json = R"({"path":")" + dir_ + R"(/records"})";
    config.yaml_path = "storage";
    return config;
  }

  // Starts and closes a connector, proving it works end to end.
  static void StartAndClose(StorageConnector& c) {
    std::promise<Status> started, closed;
    c.Start([&](Status s) { started.set_value(s); });
    EXPECT_TRUE(started.get_future().get().ok());
    c.Close([&](Status s) { closed.set_value(s); });
    EXPECT_TRUE(closed.get_future().get().ok());
  }

  std::string dir_;
  std::string plugin_dir_;
  ConnectorRegistry registry_;
};

TEST_F(ConnectorRegistryTest, NameFindsTheLibraryInThePluginDir) {
  Result<std::unique_ptr<StorageConnector>> made =
      registry_.CreateStorage(Storage("template"), plugin_dir_);
  ASSERT_TRUE(made.ok()) << made.status().ToString();
  EXPECT_EQ((*made)->Name(), "template");
  StartAndClose(**made);
}

TEST_F(ConnectorRegistryTest, PathLoadsThatFile) {
  Result<std::unique_ptr<StorageConnector>> made =
      registry_.CreateStorage(Storage("", STRATA_TEMPLATE_PLUGIN), "/no/plugin/dir");
  ASSERT_TRUE(made.ok()) << made.status().ToString();
  StartAndClose(**made);
}

TEST_F(ConnectorRegistryTest, RelativePathIsAgainstTheCurrentDirectory) {
  std::string relative = fs::relative(STRATA_TEMPLATE_PLUGIN).string();
  ASSERT_FALSE(fs::path(relative).is_absolute());
  Result<ConnectorSource> source =
      registry_.ResolveStorageSource(Storage("", relative), "/no/plugin/dir");
  ASSERT_TRUE(source.ok()) << source.status().ToString();
  EXPECT_EQ(source->name, "template");
}

TEST_F(ConnectorRegistryTest, UnknownNameListsBuiltinsAndPlugins) {
  Result<std::unique_ptr<StorageConnector>> made =
      registry_.CreateStorage(Storage("nope"), plugin_dir_);
  ASSERT_FALSE(made.ok());
  EXPECT_EQ(made.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(made.status().message(),
            "storage.name: 'nope' unknown; built-in: none, sqlite; in the plugin directory " +
                plugin_dir_ + ": template");
}

TEST_F(ConnectorRegistryTest, LibraryWithoutTheRoleIsRefused) {
  PluginConfig cache = Storage("template");
  cache.yaml_path = "cache";
  Result<std::unique_ptr<CacheConnector>> made = registry_.CreateCache(cache, plugin_dir_);
  ASSERT_FALSE(made.ok());
  EXPECT_EQ(made.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(made.status().message(), "cache.name: connector 'template' (" + plugin_dir_ +
                                         "/libstrata-template.so) cannot serve as cache; it "
                                         "offers: storage");
}

TEST_F(ConnectorRegistryTest, ConnectorOptionErrorsNameTheSection) {
  PluginConfig config = Storage("template");
  config.options_json = R"({"path":3})";
  Result<std::unique_ptr<StorageConnector>> made = registry_.CreateStorage(config, plugin_dir_);
  ASSERT_FALSE(made.ok());
  EXPECT_EQ(made.status().message(),
            "storage: connector 'template': options.path: expected a non-empty string");
}

TEST_F(ConnectorRegistryTest, BuiltinsStillWin) {
  Result<ConnectorSource> sqlite =
      registry_.ResolveStorageSource(ServerOptions().storage, plugin_dir_);
  ASSERT_TRUE(sqlite.ok());
  EXPECT_EQ(sqlite->name, "sqlite");
  EXPECT_EQ(sqlite->library, nullptr);
}

TEST_F(ConnectorRegistryTest, DataPathUsesLibDirForPlugins) {
  ServerOptions options;
  options.lib_dir = plugin_dir_;
  options.storage = Storage("template");
  Result<DataPathConnectors> made = CreateDataPathConnectors(registry_, options);
  ASSERT_TRUE(made.ok()) << made.status().ToString();
  EXPECT_EQ(made->storage->Name(), "template");
  EXPECT_EQ(made->cache->Name(), "memory");
  StartAndClose(*made->storage);
}

TEST_F(ConnectorRegistryTest, ListShowsBuiltinsAndPlugins) {
  std::vector<ConnectorListing> list = registry_.List(plugin_dir_, "9.9.9");
  ASSERT_EQ(list.size(), 4u);
  EXPECT_EQ(list[0].name, "memory");
  EXPECT_EQ(list[0].roles, uint32_t{STRATA_ROLE_CACHE});
  EXPECT_EQ(list[0].version, "9.9.9");
  EXPECT_TRUE(list[0].path.empty());
  EXPECT_EQ(list[3].name, "template");
  EXPECT_EQ(list[3].version, "1.0.0");
  EXPECT_EQ(list[3].roles, uint32_t{STRATA_ROLE_STORAGE});
  EXPECT_EQ(list[3].path, plugin_dir_ + "/libstrata-template.so");
}

}  // namespace
}  // namespace strata

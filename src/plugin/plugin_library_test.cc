#include "plugin/plugin_library.h"

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "plugin/plugin_directory.h"

namespace strata {
namespace {

std::string MessageOf(const Result<std::shared_ptr<PluginLibrary>>& r) {
  return std::string(r.status().message());
}

TEST(PluginLibraryTest, LoadsTheTemplateAndReadsItsInfo) {
  Result<std::shared_ptr<PluginLibrary>> library = PluginLibrary::Open(STRATA_TEMPLATE_PLUGIN);
  ASSERT_TRUE(library.ok()) << library.status().ToString();
  const PluginInfo& info = (*library)->info();
  EXPECT_EQ(info.abi_version, STRATA_CONNECTOR_ABI_VERSION);
  EXPECT_EQ(info.name, "template");
  EXPECT_EQ(info.version, "1.0.0");
  EXPECT_EQ(info.roles, uint32_t{STRATA_ROLE_STORAGE});
  EXPECT_FALSE(info.description.empty());
  EXPECT_NE(info.example_config.find("name: template"), std::string::npos);
  EXPECT_TRUE((*library)->Supports(STRATA_ROLE_STORAGE));
  EXPECT_FALSE((*library)->Supports(STRATA_ROLE_CACHE));
}

TEST(PluginLibraryTest, WrongAbiVersionNamesBothVersions) {
  Result<std::shared_ptr<PluginLibrary>> library = PluginLibrary::Open(STRATA_WRONG_ABI_PLUGIN);
  ASSERT_FALSE(library.ok());
  EXPECT_EQ(library.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(MessageOf(library), "connector '" STRATA_WRONG_ABI_PLUGIN
                                "' was built for connector ABI version 99; this strata speaks "
                                "version 1");
}

TEST(PluginLibraryTest, MissingDependencyIsNamedWithInstallAdvice) {
  Result<std::shared_ptr<PluginLibrary>> library = PluginLibrary::Open(STRATA_MISSING_DEP_PLUGIN);
  ASSERT_FALSE(library.ok());
  EXPECT_EQ(library.status().code(), StatusCode::kUnavailable);
  std::string message = MessageOf(library);
  EXPECT_NE(message.find("it needs libstrata_test_dependency.so, which is not installed: "
                         "install the Debian package that provides "
                         "libstrata_test_dependency.so"),
            std::string::npos)
      << message;
}

TEST(PluginLibraryTest, NonLibraryFileIsAClearError) {
  std::filesystem::path file = std::filesystem::temp_directory_path() / "strata-not-a-lib.so";
  std::ofstream(file) << "this is not an ELF file\n";
  Result<std::shared_ptr<PluginLibrary>> library = PluginLibrary::Open(file.string());
  std::filesystem::remove(file);
  ASSERT_FALSE(library.ok());
  EXPECT_EQ(library.status().code(), StatusCode::kUnavailable);
  std::string message = MessageOf(library);
  EXPECT_EQ(message.rfind("cannot load connector '" + file.string() + "': ", 0), 0) << message;
  EXPECT_EQ(message.find("it needs"), std::string::npos) << message;
}

TEST(PluginLibraryTest, MissingFileIsNotFound) {
  Result<std::shared_ptr<PluginLibrary>> library = PluginLibrary::Open("/no/such/libx.so");
  ASSERT_FALSE(library.ok());
  EXPECT_EQ(library.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(MessageOf(library), "connector library '/no/such/libx.so' does not exist");
}

TEST(PluginLibraryTest, LibraryWithoutTheAbiFunctionsIsRefused) {
  // libm is a real library that is no connector.
  Result<std::shared_ptr<PluginLibrary>> library = PluginLibrary::Open(
      std::filesystem::exists("/lib/x86_64-linux-gnu/libm.so.6") ? "/lib/x86_64-linux-gnu/libm.so.6"
                                                                 : "/lib64/libm.so.6");
  ASSERT_FALSE(library.ok());
  EXPECT_EQ(library.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(MessageOf(library).find("does not export strata_connector_get_info"),
            std::string::npos);
}

TEST(PluginLibraryTest, RoleNames) {
  EXPECT_EQ(RoleNames(STRATA_ROLE_CACHE), "cache");
  EXPECT_EQ(RoleNames(STRATA_ROLE_STORAGE), "storage");
  EXPECT_EQ(RoleNames(STRATA_ROLE_CACHE | STRATA_ROLE_STORAGE), "cache, storage");
  EXPECT_EQ(RoleNames(0), "none");
}

TEST(PluginDirectoryTest, ScanFindsConnectorLibrariesOnly) {
  namespace fs = std::filesystem;
  std::string pattern = (fs::temp_directory_path() / "strata-plugins-XXXXXX").string();
  ASSERT_NE(mkdtemp(pattern.data()), nullptr);
  fs::copy_file(STRATA_TEMPLATE_PLUGIN, fs::path(pattern) / PluginFileName("template"));
  fs::copy_file(STRATA_WRONG_ABI_PLUGIN, fs::path(pattern) / PluginFileName("old"));
  std::ofstream(fs::path(pattern) / "README") << "not a plugin\n";
  std::vector<PluginListing> found = ScanPluginDir(pattern);
  fs::remove_all(pattern);
  ASSERT_EQ(found.size(), 2u);
  EXPECT_EQ(fs::path(found[0].path).filename(), "libstrata-old.so");
  EXPECT_EQ(found[0].library, nullptr);
  EXPECT_EQ(found[0].error.code(), StatusCode::kFailedPrecondition);
  ASSERT_NE(found[1].library, nullptr) << found[1].error.ToString();
  EXPECT_EQ(found[1].library->info().name, "template");
}

TEST(PluginDirectoryTest, ScanOfMissingDirectoryIsEmpty) {
  EXPECT_TRUE(ScanPluginDir("/no/such/plugin/dir").empty());
}

TEST(PluginDirectoryTest, ExplicitLibDirWins) {
  EXPECT_EQ(DefaultPluginDir("/opt/strata/lib"), "/opt/strata/lib");
  EXPECT_EQ(PluginFileName("redis"), "libstrata-redis.so");
}

}  // namespace
}  // namespace strata

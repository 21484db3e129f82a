#pragma once
// Helpers shared by the config loader tests: parse a config text expecting success or an error,
// a scratch directory for config files, a scoped working directory, and JSON of parsed options.

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include "config/config_loader.h"

namespace strata::config_testing {

// A fresh directory for one test, removed afterwards.
class TempDir {
 public:
  TempDir() {
    static std::atomic<int> counter{0};
    path_ = std::filesystem::temp_directory_path() /
            ("strata_config_test_" + std::to_string(getpid()) + "_" + std::to_string(counter++));
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  std::string path() const { return path_.string(); }
  // Writes `content` to `name` (relative, parent directories created); returns the full path.
  std::string Write(const std::string& name, const std::string& content) const {
    std::filesystem::path file = path_ / name;
    std::filesystem::create_directories(file.parent_path());
    std::ofstream(file) << content;
    return file.string();
  }

 private:
  std::filesystem::path path_;
};

// Runs the test body with the working directory changed, restoring it afterwards.
class ScopedCwd {
 public:
  explicit ScopedCwd(const std::string& dir) : saved_(std::filesystem::current_path()) {
    std::filesystem::current_path(dir);
  }
  ~ScopedCwd() { std::filesystem::current_path(saved_); }

 private:
  std::filesystem::path saved_;
};

inline ServerOptions MustParse(const std::string& yaml, const std::string& base_dir = "") {
  Result<ServerOptions> options = ParseConfig(yaml, base_dir);
  EXPECT_TRUE(options.ok()) << options.status().ToString() << "\n--- for:\n" << yaml;
  return options.ok() ? *options : ServerOptions{};
}

// The message of the kInvalidArgument error `yaml` must produce.
inline std::string ErrorOf(const std::string& yaml, const std::string& base_dir = "") {
  Result<ServerOptions> options = ParseConfig(yaml, base_dir);
  EXPECT_FALSE(options.ok()) << "expected an error for:\n" << yaml;
  if (options.ok()) return "";
  EXPECT_EQ(options.status().code(), StatusCode::kInvalidArgument);
  return std::string(options.status().message());
}

#define EXPECT_CONTAINS(text, part)                          \
  EXPECT_NE(std::string(text).find(part), std::string::npos) \
      << "'" << (text) << "' does not contain '" << (part) << "'"

inline rapidjson::Document ParseJson(const std::string& json) {
  rapidjson::Document document;
  document.Parse(json.c_str());
  EXPECT_FALSE(document.HasParseError()) << "invalid JSON: " << json;
  return document;
}

}  // namespace strata::config_testing

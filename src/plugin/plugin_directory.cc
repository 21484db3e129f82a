#include "plugin/plugin_directory.h"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>

namespace strata {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kPrefix = "libstrata-";
constexpr std::string_view kSuffix = ".so";
constexpr const char* kSystemDir = "/usr/lib/strata/plugins";

// The directory of the running executable, or empty if /proc is not there to say.
fs::path ExecutableDir() {
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  return ec ? fs::path() : exe.parent_path();
}

bool IsPluginFileName(const std::string& file) {
  return file.size() > kPrefix.size() + kSuffix.size() && file.starts_with(kPrefix) &&
         file.ends_with(kSuffix);
}

}  // namespace

std::string PluginFileName(std::string_view name) {
  return std::string(kPrefix) + std::string(name) + std::string(kSuffix);
}

std::string DefaultPluginDir(const std::string& lib_dir) {
  if (!lib_dir.empty()) return lib_dir;
  if (const char* env = std::getenv("STRATA_PLUGIN_DIR"); env != nullptr && *env != '\0') {
    return env;
  }
  fs::path beside = ExecutableDir();
  std::error_code ec;
  if (!beside.empty() && fs::is_directory(beside / "plugins", ec)) {
    return (beside / "plugins").string();
  }
  return kSystemDir;
}

std::vector<PluginListing> ScanPluginDir(const std::string& dir) {
  std::vector<std::string> files;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (IsPluginFileName(it->path().filename().string())) files.push_back(it->path().string());
  }
  std::sort(files.begin(), files.end());
  std::vector<PluginListing> out;
  for (const std::string& file : files) {
    PluginListing listing;
    listing.path = file;
    Result<std::shared_ptr<PluginLibrary>> opened = PluginLibrary::Open(file);
    if (opened.ok()) {
      listing.library = std::move(*opened);
    } else {
      listing.error = opened.status();
    }
    out.push_back(std::move(listing));
  }
  return out;
}

}  // namespace strata

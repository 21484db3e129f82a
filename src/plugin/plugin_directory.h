#pragma once
// Where connector libraries live and how they are named: `<plugin dir>/libstrata-<name>.so`.
// Thread-safety: reads the environment and the file system; no shared state.

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "plugin/plugin_library.h"
#include "strata/status.h"

namespace strata {

// "libstrata-redis.so".
std::string PluginFileName(std::string_view name);

// The plugin directory, first that applies: `lib_dir` (config `libDir` or --lib-dir) if not
// empty; $STRATA_PLUGIN_DIR; `plugins/` beside the running executable if it exists (a build
// tree: build/strata and build/plugins); /usr/lib/strata/plugins.
std::string DefaultPluginDir(const std::string& lib_dir);

// One library found in a plugin directory: opened, or why it could not be.
struct PluginListing {
  std::string path;
  std::shared_ptr<PluginLibrary> library;  // null when `error` is set
  Status error;
};

// Every libstrata-*.so in `dir`, sorted by file name, each opened (and so checked). A missing
// directory is an empty list.
std::vector<PluginListing> ScanPluginDir(const std::string& dir);

}  // namespace strata

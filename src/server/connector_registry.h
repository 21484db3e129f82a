#pragma once
// ConnectorRegistry: cache and storage connectors by name. Built-ins register explicitly
// (RegisterBuiltinConnectors), never through static initialisers; the config's `cache:` and
// `storage:` sections (or the seed-era `plugins.cache` / `plugins.storage`) pick one:
//   {type: default}  the built-in default (memory cache, sqlite storage)
//   {name: x}        a built-in called x, else the library <plugin dir>/libstrata-x.so
//   {path: p}        the connector library at p (relative paths against the current
//                    directory, as deepstream)
// Libraries are loaded through PluginLibrary (ABI check) and must offer the role asked for.
// Thread-safety: fill at startup, then read-only; creating connectors from several threads at
// once is safe.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "config/options.h"
#include "plugin/plugin_library.h"
#include "strata/cache_connector.h"
#include "strata/status.h"
#include "strata/storage_connector.h"

namespace strata {

using CacheFactory =
    std::function<Result<std::unique_ptr<CacheConnector>>(std::string_view options_json)>;
using StorageFactory =
    std::function<Result<std::unique_ptr<StorageConnector>>(std::string_view options_json)>;

// Where a config's connector comes from.
struct ConnectorSource {
  std::string name;                        // built-in name, or the library's own name
  std::shared_ptr<PluginLibrary> library;  // null for built-ins
};

// One line of `strata connectors`.
struct ConnectorListing {
  std::string name;
  uint32_t roles = 0;  // STRATA_ROLE_* bits; 0 when the library could not be loaded
  std::string version;
  std::string description;
  std::string path;  // empty for built-ins
  Status error;      // why a library in the plugin directory cannot be used
};

class ConnectorRegistry {
 public:
  // kAlreadyExists when the name is taken.
  Status AddCache(std::string name, CacheFactory factory, std::string description = "");
  Status AddStorage(std::string name, StorageFactory factory, std::string description = "");

  // Fixes the plugin directory, overriding DefaultPluginDir (tests, embedding).
  void SetPluginDir(std::string dir) { plugin_dir_ = std::move(dir); }
  // The directory set above, else DefaultPluginDir(lib_dir).
  std::string PluginDirFor(const std::string& lib_dir) const;

  // Errors name the YAML path: kNotFound for an unknown name (listing the built-ins and the
  // libraries in the plugin directory), kInvalidArgument for a library that does not offer
  // the role, and PluginLibrary::Open's errors for one that cannot be loaded.
  Result<ConnectorSource> ResolveCacheSource(const PluginConfig& config,
                                             const std::string& plugin_dir) const;
  Result<ConnectorSource> ResolveStorageSource(const PluginConfig& config,
                                               const std::string& plugin_dir) const;
  Result<std::unique_ptr<CacheConnector>> CreateCache(const PluginConfig& config,
                                                      const std::string& plugin_dir) const;
  Result<std::unique_ptr<StorageConnector>> CreateStorage(const PluginConfig& config,
                                                          const std::string& plugin_dir) const;

  // The same, with PluginDirFor("").
  Result<std::unique_ptr<CacheConnector>> CreateCache(const PluginConfig& config) const;
  Result<std::unique_ptr<StorageConnector>> CreateStorage(const PluginConfig& config) const;
  // The name a config resolves to ("memory", "sqlite", or a library's name).
  Result<std::string> ResolveCache(const PluginConfig& config) const;
  Result<std::string> ResolveStorage(const PluginConfig& config) const;

  // Built-in names only.
  std::vector<std::string> CacheNames() const;
  std::vector<std::string> StorageNames() const;

  // Built-ins (version `builtin_version`), then every libstrata-*.so in `plugin_dir`.
  std::vector<ConnectorListing> List(const std::string& plugin_dir,
                                     const std::string& builtin_version) const;

 private:
  Result<ConnectorSource> Resolve(const PluginConfig& config, uint32_t role,
                                  const std::string& plugin_dir) const;
  bool IsBuiltin(const std::string& name, uint32_t role) const;
  std::string KnownNames(uint32_t role, const std::string& plugin_dir) const;

  std::map<std::string, CacheFactory> caches_;
  std::map<std::string, StorageFactory> storages_;
  std::map<std::string, std::string> descriptions_;
  std::string plugin_dir_;
};

// memory (cache), sqlite and none (storage).
void RegisterBuiltinConnectors(ConnectorRegistry& registry);

// The cache and storage a server runs on, created from its options, with plugins looked up in
// DefaultPluginDir(options.lib_dir) unless the registry was given a directory. Adds the
// built-in memory cache's default bound when a storage stands behind it, and refuses a bound
// without one (the cache would then hold the only copy, and evicting would lose data).
struct DataPathConnectors {
  std::unique_ptr<CacheConnector> cache;
  std::unique_ptr<StorageConnector> storage;
};
Result<DataPathConnectors> CreateDataPathConnectors(const ConnectorRegistry& registry,
                                                    const ServerOptions& options);

}  // namespace strata

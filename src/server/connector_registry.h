#pragma once
// ConnectorRegistry: cache and storage connectors by name. Built-ins register explicitly
// (RegisterBuiltinConnectors), never through static initialisers; the config's `cache:` and
// `storage:` sections pick one by name. Shared-library connectors loaded by `path:` arrive with
// the connectors issue and will register here the same way.
// Thread-safety: fill at startup, then read-only.

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "config/options.h"
#include "strata/cache_connector.h"
#include "strata/status.h"
#include "strata/storage_connector.h"

namespace strata {

using CacheFactory =
    std::function<Result<std::unique_ptr<CacheConnector>>(std::string_view options_json)>;
using StorageFactory =
    std::function<Result<std::unique_ptr<StorageConnector>>(std::string_view options_json)>;

class ConnectorRegistry {
 public:
  // kAlreadyExists when the name is taken.
  Status AddCache(std::string name, CacheFactory factory);
  Status AddStorage(std::string name, StorageFactory factory);

  // `type: default` means the built-in default: "memory" for caches, "sqlite" for storage.
  // Unknown names -> kNotFound naming the YAML path and the known names.
  Result<std::unique_ptr<CacheConnector>> CreateCache(const PluginConfig& config) const;
  Result<std::unique_ptr<StorageConnector>> CreateStorage(const PluginConfig& config) const;
  // The registered name a config resolves to ("memory", "sqlite", ...).
  Result<std::string> ResolveCache(const PluginConfig& config) const;
  Result<std::string> ResolveStorage(const PluginConfig& config) const;

  std::vector<std::string> CacheNames() const;
  std::vector<std::string> StorageNames() const;

 private:
  std::map<std::string, CacheFactory> caches_;
  std::map<std::string, StorageFactory> storages_;
};

// memory (cache), sqlite and none (storage).
void RegisterBuiltinConnectors(ConnectorRegistry& registry);

// The cache and storage a server runs on, created from its options. Adds the built-in memory
// cache's default bound when a storage stands behind it, and refuses a bound without one (the
// cache would then hold the only copy, and evicting would lose data).
struct DataPathConnectors {
  std::unique_ptr<CacheConnector> cache;
  std::unique_ptr<StorageConnector> storage;
};
Result<DataPathConnectors> CreateDataPathConnectors(const ConnectorRegistry& registry,
                                                    const ServerOptions& options);

}  // namespace strata

#include "server/connector_registry.h"

#include "connectors/memory/memory_cache.h"
#include "connectors/none/none_storage.h"
#include "connectors/sqlite/sqlite_storage.h"

namespace strata {
namespace {

constexpr size_t kDefaultMemoryCacheBytes = size_t{256} << 20;

template <typename Map>
std::string Known(const Map& map) {
  std::string out;
  for (const auto& [name, factory] : map) out += (out.empty() ? "" : ", ") + name;
  return out;
}

template <typename Map>
Result<std::string> Resolve(const Map& map, const PluginConfig& config,
                            std::string_view default_name) {
  if (!config.path.empty()) {
    return Status::InvalidArgument(config.yaml_path + ".path: loading connectors from a path " +
                                   "is not supported yet");
  }
  std::string name = config.name.empty() ? std::string(default_name) : config.name;
  if (!map.contains(name)) {
    return Status::NotFound(config.yaml_path + ".name: '" + name + "' unknown; known: " +
                            Known(map));
  }
  return name;
}

}  // namespace

Status ConnectorRegistry::AddCache(std::string name, CacheFactory factory) {
  if (!caches_.emplace(name, std::move(factory)).second) {
    return Status::AlreadyExists("cache connector '" + name + "' registered twice");
  }
  return Status();
}

Status ConnectorRegistry::AddStorage(std::string name, StorageFactory factory) {
  if (!storages_.emplace(name, std::move(factory)).second) {
    return Status::AlreadyExists("storage connector '" + name + "' registered twice");
  }
  return Status();
}

Result<std::string> ConnectorRegistry::ResolveCache(const PluginConfig& config) const {
  return Resolve(caches_, config, "memory");
}

Result<std::string> ConnectorRegistry::ResolveStorage(const PluginConfig& config) const {
  return Resolve(storages_, config, "sqlite");
}

Result<std::unique_ptr<CacheConnector>> ConnectorRegistry::CreateCache(
    const PluginConfig& config) const {
  STRATA_ASSIGN_OR_RETURN(std::string name, ResolveCache(config));
  return caches_.at(name)(config.options_json);
}

Result<std::unique_ptr<StorageConnector>> ConnectorRegistry::CreateStorage(
    const PluginConfig& config) const {
  STRATA_ASSIGN_OR_RETURN(std::string name, ResolveStorage(config));
  return storages_.at(name)(config.options_json);
}

std::vector<std::string> ConnectorRegistry::CacheNames() const {
  std::vector<std::string> out;
  for (const auto& [name, f] : caches_) out.push_back(name);
  return out;
}

std::vector<std::string> ConnectorRegistry::StorageNames() const {
  std::vector<std::string> out;
  for (const auto& [name, f] : storages_) out.push_back(name);
  return out;
}

void RegisterBuiltinConnectors(ConnectorRegistry& registry) {
  registry.AddCache("memory", [](std::string_view o) { return NewMemoryCache(o); }).IgnoreError();
  registry.AddStorage("sqlite", [](std::string_view o) { return NewSqliteStorage(o); })
      .IgnoreError();
  registry
      .AddStorage("none",
                  [](std::string_view) -> Result<std::unique_ptr<StorageConnector>> {
                    return NewNoneStorage();
                  })
      .IgnoreError();
}

// The memory cache's bound depends on what stands behind it, so it is decided here.
static Result<std::unique_ptr<CacheConnector>> CreateMemoryCache(const PluginConfig& config,
                                                                 bool has_storage) {
  STRATA_ASSIGN_OR_RETURN(MemoryCacheOptions options, ParseMemoryCacheOptions(config.options_json));
  const bool bounded = options.max_bytes != 0 || options.max_records != 0;
  if (bounded && !has_storage) {
    return Status::InvalidArgument(
        config.yaml_path + ".options: a bounded memory cache needs a storage behind it; with "
        "storage 'none' the cache holds the only copy of every record");
  }
  if (!bounded && has_storage) options.max_bytes = kDefaultMemoryCacheBytes;
  return std::unique_ptr<CacheConnector>(std::make_unique<MemoryCache>(options));
}

Result<DataPathConnectors> CreateDataPathConnectors(const ConnectorRegistry& registry,
                                                    const ServerOptions& options) {
  DataPathConnectors out;
  STRATA_ASSIGN_OR_RETURN(std::string storage_name, registry.ResolveStorage(options.storage));
  STRATA_ASSIGN_OR_RETURN(out.storage, registry.CreateStorage(options.storage));
  STRATA_ASSIGN_OR_RETURN(std::string cache_name, registry.ResolveCache(options.cache));
  if (cache_name == "memory") {
    STRATA_ASSIGN_OR_RETURN(out.cache, CreateMemoryCache(options.cache, storage_name != "none"));
  } else {
    STRATA_ASSIGN_OR_RETURN(out.cache, registry.CreateCache(options.cache));
  }
  return out;
}

}  // namespace strata

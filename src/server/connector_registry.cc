#include "server/connector_registry.h"

#include <filesystem>

#include "connectors/memory/memory_cache.h"
#include "connectors/none/none_storage.h"
#include "connectors/sqlite/sqlite_storage.h"
#include "plugin/abi_connector.h"
#include "plugin/plugin_directory.h"

namespace strata {
namespace {

constexpr size_t kDefaultMemoryCacheBytes = size_t{256} << 20;

const char* RoleName(uint32_t role) { return role == STRATA_ROLE_CACHE ? "cache" : "storage"; }

// The plugin name of "<dir>/libstrata-<name>.so".
std::string PluginNameOf(const std::string& path) {
  std::string file = path.substr(path.rfind('/') + 1);
  return file.substr(10, file.size() - 13);  // strip "libstrata-" and ".so"
}

Status WithPath(const std::string& yaml_path, const Status& s) {
  return Status(s.code(), yaml_path + ": " + std::string(s.message()));
}

}  // namespace

Status ConnectorRegistry::AddCache(std::string name, CacheFactory factory,
                                   std::string description) {
  if (caches_.contains(name)) {
    return Status::AlreadyExists("cache connector '" + name + "' registered twice");
  }
  descriptions_[name] = std::move(description);
  caches_.emplace(std::move(name), std::move(factory));
  return Status();
}

Status ConnectorRegistry::AddStorage(std::string name, StorageFactory factory,
                                     std::string description) {
  if (storages_.contains(name)) {
    return Status::AlreadyExists("storage connector '" + name + "' registered twice");
  }
  descriptions_[name] = std::move(description);
  storages_.emplace(std::move(name), std::move(factory));
  return Status();
}

std::string ConnectorRegistry::PluginDirFor(const std::string& lib_dir) const {
  return plugin_dir_.empty() ? DefaultPluginDir(lib_dir) : plugin_dir_;
}

bool ConnectorRegistry::IsBuiltin(const std::string& name, uint32_t role) const {
  return role == STRATA_ROLE_CACHE ? caches_.contains(name) : storages_.contains(name);
}

std::string ConnectorRegistry::KnownNames(uint32_t role, const std::string& plugin_dir) const {
  std::string builtins;
  for (const std::string& n : role == STRATA_ROLE_CACHE ? CacheNames() : StorageNames()) {
    builtins += (builtins.empty() ? "" : ", ") + n;
  }
  std::string plugins;
  for (const PluginListing& p : ScanPluginDir(plugin_dir)) {
    plugins += (plugins.empty() ? "" : ", ") + PluginNameOf(p.path);
  }
  return "built-in: " + builtins + "; in the plugin directory " + plugin_dir + ": " +
         (plugins.empty() ? "none" : plugins);
}

Result<ConnectorSource> ConnectorRegistry::Resolve(const PluginConfig& config, uint32_t role,
                                                   const std::string& plugin_dir) const {
  std::string file;
  std::string key;
  if (!config.path.empty()) {
    file = config.path;
    key = config.yaml_path + ".path";
  } else {
    std::string name =
        config.name.empty() ? (role == STRATA_ROLE_CACHE ? "memory" : "sqlite") : config.name;
    if (IsBuiltin(name, role)) return ConnectorSource{name, nullptr};
    file = plugin_dir + "/" + PluginFileName(name);
    key = config.yaml_path + ".name";
    std::error_code ec;
    if (!std::filesystem::exists(file, ec)) {
      return Status::NotFound(key + ": '" + name + "' unknown; " + KnownNames(role, plugin_dir));
    }
  }
  Result<std::shared_ptr<PluginLibrary>> library = PluginLibrary::Open(file);
  if (!library.ok()) return WithPath(key, library.status());
  const PluginInfo& info = (*library)->info();
  if (!(*library)->Supports(role)) {
    return Status::InvalidArgument(key + ": connector '" + info.name + "' (" + file +
                                   ") cannot serve as " + RoleName(role) +
                                   "; it offers: " + RoleNames(info.roles));
  }
  return ConnectorSource{info.name, std::move(*library)};
}

Result<ConnectorSource> ConnectorRegistry::ResolveCacheSource(const PluginConfig& config,
                                                              const std::string& plugin_dir) const {
  return Resolve(config, STRATA_ROLE_CACHE, plugin_dir);
}

Result<ConnectorSource> ConnectorRegistry::ResolveStorageSource(
    const PluginConfig& config, const std::string& plugin_dir) const {
  return Resolve(config, STRATA_ROLE_STORAGE, plugin_dir);
}

Result<std::unique_ptr<CacheConnector>> ConnectorRegistry::CreateCache(
    const PluginConfig& config, const std::string& plugin_dir) const {
  STRATA_ASSIGN_OR_RETURN(ConnectorSource source, ResolveCacheSource(config, plugin_dir));
  if (!source.library) return caches_.at(source.name)(config.options_json);
  Result<std::unique_ptr<AbiConnector>> made =
      AbiConnector::Create(source.library, STRATA_ROLE_CACHE, config.options_json);
  if (!made.ok()) return WithPath(config.yaml_path, made.status());
  return std::unique_ptr<CacheConnector>(std::move(*made));
}

Result<std::unique_ptr<StorageConnector>> ConnectorRegistry::CreateStorage(
    const PluginConfig& config, const std::string& plugin_dir) const {
  STRATA_ASSIGN_OR_RETURN(ConnectorSource source, ResolveStorageSource(config, plugin_dir));
  if (!source.library) return storages_.at(source.name)(config.options_json);
  Result<std::unique_ptr<StorageConnector>> made =
      CreateAbiConnector(source.library, STRATA_ROLE_STORAGE, config.options_json);
  if (!made.ok()) return WithPath(config.yaml_path, made.status());
  return made;
}

Result<std::unique_ptr<CacheConnector>> ConnectorRegistry::CreateCache(
    const PluginConfig& config) const {
  return CreateCache(config, PluginDirFor(""));
}

Result<std::unique_ptr<StorageConnector>> ConnectorRegistry::CreateStorage(
    const PluginConfig& config) const {
  return CreateStorage(config, PluginDirFor(""));
}

Result<std::string> ConnectorRegistry::ResolveCache(const PluginConfig& config) const {
  STRATA_ASSIGN_OR_RETURN(ConnectorSource source, ResolveCacheSource(config, PluginDirFor("")));
  return source.name;
}

Result<std::string> ConnectorRegistry::ResolveStorage(const PluginConfig& config) const {
  STRATA_ASSIGN_OR_RETURN(ConnectorSource source, ResolveStorageSource(config, PluginDirFor("")));
  return source.name;
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

std::vector<ConnectorListing> ConnectorRegistry::List(const std::string& plugin_dir,
                                                      const std::string& builtin_version) const {
  std::map<std::string, uint32_t> builtin_roles;
  for (const auto& [name, f] : caches_) builtin_roles[name] |= STRATA_ROLE_CACHE;
  for (const auto& [name, f] : storages_) builtin_roles[name] |= STRATA_ROLE_STORAGE;
  std::vector<ConnectorListing> out;
  for (const auto& [name, roles] : builtin_roles) {
    ConnectorListing line;
    line.name = name;
    line.roles = roles;
    line.version = builtin_version;
    line.description = descriptions_.at(name);
    out.push_back(std::move(line));
  }
  for (PluginListing& p : ScanPluginDir(plugin_dir)) {
    ConnectorListing line;
    line.name = PluginNameOf(p.path);
    line.path = p.path;
    line.error = p.error;
    if (p.library) {
      const PluginInfo& info = p.library->info();
      line.name = info.name;
      line.roles = info.roles;
      line.version = info.version;
      line.description = info.description;
    }
    out.push_back(std::move(line));
  }
  return out;
}

void RegisterBuiltinConnectors(ConnectorRegistry& registry) {
  registry
      .AddCache(
          "memory", [](std::string_view o) { return NewMemoryCache(o); },
          "in-process cache (the default)")
      .IgnoreError();
  registry
      .AddStorage(
          "sqlite", [](std::string_view o) { return NewSqliteStorage(o); },
          "embedded SQLite database (the default)")
      .IgnoreError();
  registry
      .AddStorage(
          "none",
          [](std::string_view) -> Result<std::unique_ptr<StorageConnector>> {
            return NewNoneStorage();
          },
          "stores nothing (records live only in the cache)")
      .IgnoreError();
}

// The memory cache's bound depends on what stands behind it, so it is decided here.
static Result<std::unique_ptr<CacheConnector>> CreateMemoryCache(const PluginConfig& config,
                                                                 bool has_storage) {
  STRATA_ASSIGN_OR_RETURN(MemoryCacheOptions options, ParseMemoryCacheOptions(config.options_json));
  const bool bounded = options.max_bytes != 0 || options.max_records != 0;
  if (bounded && !has_storage) {
    return Status::InvalidArgument(
        config.yaml_path +
        ".options: a bounded memory cache needs a storage behind it; with "
        "storage 'none' the cache holds the only copy of every record");
  }
  if (!bounded && has_storage) options.max_bytes = kDefaultMemoryCacheBytes;
  return std::unique_ptr<CacheConnector>(std::make_unique<MemoryCache>(options));
}

Result<DataPathConnectors> CreateDataPathConnectors(const ConnectorRegistry& registry,
                                                    const ServerOptions& options) {
  const std::string plugin_dir = registry.PluginDirFor(options.lib_dir);
  DataPathConnectors out;
  STRATA_ASSIGN_OR_RETURN(ConnectorSource storage,
                          registry.ResolveStorageSource(options.storage, plugin_dir));
  STRATA_ASSIGN_OR_RETURN(out.storage, registry.CreateStorage(options.storage, plugin_dir));
  STRATA_ASSIGN_OR_RETURN(ConnectorSource cache,
                          registry.ResolveCacheSource(options.cache, plugin_dir));
  if (!cache.library && cache.name == "memory") {
    const bool has_storage = storage.library || storage.name != "none";
    STRATA_ASSIGN_OR_RETURN(out.cache, CreateMemoryCache(options.cache, has_storage));
  } else {
    STRATA_ASSIGN_OR_RETURN(out.cache, registry.CreateCache(options.cache, plugin_dir));
  }
  return out;
}

}  // namespace strata

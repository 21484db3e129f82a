// Parsers for the plugin-shaped sections ({type | name | path, options}): cache, storage and the
// seed-era `plugins:`, auth, permission, logger, monitoring, telemetry and the cluster services.

#include <map>

#include "config/config_sections.h"
#include "config/yaml_scalar.h"

namespace strata::config_internal {
namespace {

bool IsAbsent(const YAML::Node& node) { return !node.IsDefined() || node.IsNull(); }

Result<FieldReader> OpenPlugin(const YAML::Node& node, const std::string& path) {
  STRATA_ASSIGN_OR_RETURN(FieldReader section,
                          FieldReader::Open(node, path, {"type", "name", "path", "options"}));
  int given = section.Has("type") + section.Has("name") + section.Has("path");
  if (given > 1) {
    return Status::InvalidArgument(path + ": give only one of type, name or path");
  }
  return section;
}

// The free-form `options:` of a plugin as a JSON object.
Result<std::string> OptionsJson(const FieldReader& section) {
  YAML::Node options = section.Get("options");
  if (IsAbsent(options)) return std::string("{}");
  if (!options.IsMap()) return TypeError(section.PathOf("options"), "a mapping", options);
  return YamlToJson(options, section.PathOf("options"));
}

// Validates `name`/`path` now; sets `*verdict` (decided later, after the CLI) to the error for
// asking to load a custom plugin, or OK.
Status CustomPluginVerdict(const FieldReader& section, Status* verdict) {
  *verdict = Status::Ok();
  for (std::string_view key : {"name", "path"}) {
    std::string value;
    STRATA_RETURN_IF_ERROR(section.ReadString(key, &value));
    if (section.Has(key) && verdict->ok()) {
      *verdict = NotSupportedYet(section.PathOf(key), "'" + value + "'");
    }
  }
  return Status::Ok();
}

Status ParseConnector(const YAML::Node& node, const std::string& path, PluginConfig* out) {
  STRATA_ASSIGN_OR_RETURN(FieldReader section, OpenPlugin(node, path));
  PluginConfig config;
  config.type = "default";
  config.yaml_path = path;
  STRATA_RETURN_IF_ERROR(section.ReadEnum("type", {"default"}, &config.type));
  STRATA_RETURN_IF_ERROR(section.ReadString("name", &config.name));
  STRATA_RETURN_IF_ERROR(section.ReadString("path", &config.path));
  for (std::string_view key : {"name", "path"}) {
    if (section.Has(key) && (key == "name" ? config.name : config.path).empty()) {
      return TypeError(section.PathOf(key), "a non-empty string", section.Get(key));
    }
  }
  if (section.Has("name") || section.Has("path")) config.type.clear();
  STRATA_ASSIGN_OR_RETURN(config.options_json, OptionsJson(section));
  *out = std::move(config);
  return Status::Ok();
}

// The entries of `plugins:` by key, after rejecting custom plugins (everything but cache and
// storage, which the caller parses).
Result<std::map<std::string, YAML::Node>> ReadPluginsSection(const YAML::Node& plugins) {
  std::map<std::string, YAML::Node> entries;
  if (IsAbsent(plugins)) return entries;
  if (!plugins.IsMap()) return TypeError("plugins", "a mapping", plugins);
  for (const auto& entry : plugins) {
    std::string key = entry.first.Scalar();
    std::string path = "plugins." + key;
    if (entries.contains(key)) return Status::InvalidArgument("duplicate key '" + path + "'");
    if (IsAbsent(entry.second)) continue;
    entries[key] = entry.second;
    if (key == "cache" || key == "storage") continue;
    STRATA_RETURN_IF_ERROR(OpenPlugin(entry.second, path).status());
    return NotSupportedYet(path, "a custom plugin");
  }
  return entries;
}

Status ParseMonitoringOptions(const YAML::Node& node, const std::string& path) {
  STRATA_ASSIGN_OR_RETURN(FieldReader options,
                          FieldReader::Open(node, path,
                                            {"url", "allowOpenPermissions", "headerKey",
                                             "headerValue", "logInterval", "monitoringKey"}));
  std::string text;
  bool flag = false;
  Millis interval{30000};
  STRATA_RETURN_IF_ERROR(options.ReadUrlPath("url", &text));
  STRATA_RETURN_IF_ERROR(options.ReadBool("allowOpenPermissions", &flag));
  STRATA_RETURN_IF_ERROR(options.ReadString("headerKey", &text));
  STRATA_RETURN_IF_ERROR(options.ReadString("headerValue", &text));
  STRATA_RETURN_IF_ERROR(options.ReadMillis("logInterval", 1, &interval));
  return options.ReadString("monitoringKey", &text);
}

// A cluster service of type `default` whose options are all timers of at least `min` ms.
Status ParseTimerService(const YAML::Node& node, const std::string& path,
                         std::initializer_list<std::string_view> timers, int64_t min) {
  STRATA_ASSIGN_OR_RETURN(FieldReader section, OpenPlugin(node, path));
  std::string type;
  STRATA_RETURN_IF_ERROR(section.ReadEnum("type", {"default"}, &type));
  STRATA_RETURN_IF_ERROR(RejectCustomPlugin(section));
  STRATA_ASSIGN_OR_RETURN(
      FieldReader options,
      FieldReader::Open(section.Get("options"), section.PathOf("options"), timers));
  for (std::string_view timer : timers) {
    Millis value{0};
    STRATA_RETURN_IF_ERROR(options.ReadMillis(timer, min, &value));
  }
  return Status::Ok();
}

}  // namespace

Status ParseCacheStoragePlugins(const FieldReader& root, ServerOptions* out) {
  STRATA_ASSIGN_OR_RETURN(auto plugins, ReadPluginsSection(root.Get("plugins")));
  for (const char* role : {"cache", "storage"}) {
    PluginConfig* target = std::string_view(role) == "cache" ? &out->cache : &out->storage;
    bool at_top = root.Has(role);
    auto nested = plugins.find(role);
    std::string nested_path = std::string("plugins.") + role;
    if (at_top && nested != plugins.end()) {
      return Status::InvalidArgument(nested_path + ": " + role + " is also configured at the " +
                                     "top level ('" + role + "'); keep only one of them");
    }
    if (at_top) {
      STRATA_RETURN_IF_ERROR(ParseConnector(root.Get(role), role, target));
    }
    if (nested != plugins.end()) {
      STRATA_RETURN_IF_ERROR(ParseConnector(nested->second, nested_path, target));
    }
  }
  return Status::Ok();
}

Status ParseAuth(const YAML::Node& node, ParsedConfig* out) {
  if (IsAbsent(node)) return Status::Ok();
  if (!node.IsMap() && !node.IsSequence()) {
    return TypeError("auth", "a sequence of {type, options}", node);
  }
  bool single = node.IsMap();  // deepstream v3 style: one mapping instead of a list
  size_t count = single ? 1 : node.size();
  if (count == 0) return Status::InvalidArgument("auth: expected at least one entry");
  std::vector<AuthConfig> handlers;
  for (size_t i = 0; i < count; ++i) {
    std::string path = single ? "auth" : "auth[" + std::to_string(i) + "]";
    STRATA_ASSIGN_OR_RETURN(FieldReader entry, OpenPlugin(single ? node : node[i], path));
    AuthConfig config{.type = ""};
    STRATA_RETURN_IF_ERROR(
        entry.ReadEnum("type", {"none", "file", "http", "storage"}, &config.type));
    STRATA_ASSIGN_OR_RETURN(config.options_json, OptionsJson(entry));
    Status verdict;
    STRATA_RETURN_IF_ERROR(CustomPluginVerdict(entry, &verdict));
    if (verdict.ok() && config.type.empty()) {
      return Status::InvalidArgument(path + ": expected one of type, name or path");
    }
    if (verdict.ok() && config.type == "storage") {
      verdict = NotSupportedYet(entry.PathOf("type"), "'" + config.type + "'");
    }
    if (out->auth_support.ok()) out->auth_support = verdict;
    handlers.push_back(std::move(config));
  }
  out->options.auth = std::move(handlers);
  return Status::Ok();
}

Status ParsePermission(const YAML::Node& node, ParsedConfig* out) {
  STRATA_ASSIGN_OR_RETURN(FieldReader section, OpenPlugin(node, "permission"));
  PermissionConfig& config = out->options.permission;
  STRATA_RETURN_IF_ERROR(section.ReadEnum("type", {"none", "config"}, &config.type));
  STRATA_ASSIGN_OR_RETURN(config.options_json, OptionsJson(section));
  STRATA_RETURN_IF_ERROR(CustomPluginVerdict(section, &out->permission_support));
  // type config: the rules are compiled when the server starts (permission/permission_checker.h).
  return Status::Ok();
}

Status ParseLogger(const YAML::Node& node) {
  STRATA_ASSIGN_OR_RETURN(FieldReader section, OpenPlugin(node, "logger"));
  std::string type = "default";
  STRATA_RETURN_IF_ERROR(section.ReadEnum("type", {"default", "json"}, &type));
  STRATA_RETURN_IF_ERROR(OptionsJson(section).status());  // free-form (colors, logLevel, ...)
  STRATA_RETURN_IF_ERROR(RejectCustomPlugin(section));
  if (type != "default") return NotSupportedYet(section.PathOf("type"), "'" + type + "'");
  return Status::Ok();
}

Status ParseMonitoring(const YAML::Node& node) {
  STRATA_ASSIGN_OR_RETURN(FieldReader section, OpenPlugin(node, "monitoring"));
  std::string type = "none";
  STRATA_RETURN_IF_ERROR(section.ReadEnum("type", {"none", "http", "log"}, &type));
  STRATA_RETURN_IF_ERROR(RejectCustomPlugin(section));  // its options would be its own
  STRATA_RETURN_IF_ERROR(ParseMonitoringOptions(section.Get("options"), section.PathOf("options")));
  if (type != "none") return NotSupportedYet(section.PathOf("type"), "'" + type + "'");
  return Status::Ok();
}

Status ParseTelemetry(const YAML::Node& node) {
  STRATA_ASSIGN_OR_RETURN(FieldReader section, OpenPlugin(node, "telemetry"));
  std::string type;
  STRATA_RETURN_IF_ERROR(section.ReadEnum("type", {"deepstreamIO"}, &type));
  STRATA_RETURN_IF_ERROR(RejectCustomPlugin(section));
  STRATA_ASSIGN_OR_RETURN(FieldReader options,
                          FieldReader::Open(section.Get("options"), section.PathOf("options"),
                                            {"enabled", "debug", "deploymentId"}));
  bool enabled = false;
  bool debug = false;
  std::string deployment_id;
  STRATA_RETURN_IF_ERROR(options.ReadBool("enabled", &enabled));
  STRATA_RETURN_IF_ERROR(options.ReadBool("debug", &debug));
  STRATA_RETURN_IF_ERROR(options.ReadString("deploymentId", &deployment_id));
  if (enabled) return NotSupportedYet(options.PathOf("enabled"), "telemetry");
  return Status::Ok();
}

// clusterNode: deepstream's `type: default` (one node), or `name: redis` for a cluster.
Status ParseClusterNode(const YAML::Node& node, ClusterOptions* out) {
  STRATA_ASSIGN_OR_RETURN(FieldReader section, OpenPlugin(node, "clusterNode"));
  std::string name;
  STRATA_RETURN_IF_ERROR(section.ReadString("name", &name));
  if (!section.Has("name")) return ParseTimerService(node, "clusterNode", {}, 0);
  if (name != "redis") {
    return Status::InvalidArgument("clusterNode.name: '" + name +
                                   "': strata nodes cluster over Redis only (name: redis)");
  }
  out->enabled = true;
  STRATA_ASSIGN_OR_RETURN(out->bus_options_json, OptionsJson(section));
  return Status::Ok();
}

Status ParseClusterRegistry(const YAML::Node& node, ClusterOptions* out) {
  STRATA_ASSIGN_OR_RETURN(FieldReader section, OpenPlugin(node, "clusterRegistry"));
  std::string type;
  STRATA_RETURN_IF_ERROR(section.ReadEnum("type", {"default"}, &type));
  STRATA_RETURN_IF_ERROR(RejectCustomPlugin(section));
  STRATA_ASSIGN_OR_RETURN(
      FieldReader options,
      FieldReader::Open(section.Get("options"), section.PathOf("options"),
                        {"keepAliveInterval", "activeCheckInterval", "nodeInactiveTimeout"}));
  STRATA_RETURN_IF_ERROR(options.ReadMillis("keepAliveInterval", 1, &out->keep_alive_interval));
  STRATA_RETURN_IF_ERROR(options.ReadMillis("activeCheckInterval", 1, &out->active_check_interval));
  return options.ReadMillis("nodeInactiveTimeout", 1, &out->node_inactive_timeout);
}

// In a cluster every node must reach the same records: the cache is where versions are decided
// (Redis functions), and storage must be one every node shares.
Status CheckClusterBackends(const ServerOptions& options) {
  if (!options.cluster.enabled) return Status::Ok();
  auto name_of = [](const PluginConfig& c, const char* fallback) {
    return !c.name.empty() ? c.name : c.path.empty() ? std::string(fallback) : c.path;
  };
  const std::string cache = name_of(options.cache, "memory");
  if (cache != "redis") {
    return Status::InvalidArgument(
        options.cache.yaml_path + ".name: '" + cache +
        "' cannot serve a cluster: the nodes of a cluster share one cache, where record versions "
        "are decided; use cache: {name: redis} on the clusterNode's Redis");
  }
  const std::string storage = name_of(options.storage, "sqlite");
  if (storage != "postgres" && storage != "none") {
    return Status::InvalidArgument(
        options.storage.yaml_path + ".name: '" + storage +
        "' cannot serve a cluster: it keeps records on one node, and the nodes of a cluster must "
        "share their storage; use storage: {name: postgres} (or none)");
  }
  return Status::Ok();
}

Status ParseClusterServices(const FieldReader& root, ServerOptions* out) {
  STRATA_RETURN_IF_ERROR(ParseTimerService(root.Get("subscriptions"), "subscriptions",
                                           {"subscriptionsSanityTimer"}, 50));
  STRATA_RETURN_IF_ERROR(
      ParseTimerService(root.Get("locks"), "locks", {"holdTimeout", "requestTimeout"}, 50));
  STRATA_RETURN_IF_ERROR(ParseClusterNode(root.Get("clusterNode"), &out->cluster));
  STRATA_RETURN_IF_ERROR(ParseClusterRegistry(root.Get("clusterRegistry"), &out->cluster));
  STRATA_RETURN_IF_ERROR(
      ParseTimerService(root.Get("clusterStates"), "clusterStates", {"reconciliationTimeout"}, 1));
  return CheckClusterBackends(*out);
}

}  // namespace strata::config_internal

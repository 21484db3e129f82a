// The top level of config.yml: general keys, then one parser per section.

#include "config/config_sections.h"

namespace strata::config_internal {
namespace {

constexpr unsigned kMaxThreads = 1024;

Status ParseGeneral(const FieldReader& root, ServerOptions* out) {
  STRATA_RETURN_IF_ERROR(root.ReadString("serverName", &out->server_name));
  STRATA_RETURN_IF_ERROR(root.ReadBool("showLogo", &out->show_logo));
  if (root.Has("logLevel")) {
    STRATA_ASSIGN_OR_RETURN(out->log_level, ReadLogLevelValue(root.Get("logLevel"), "logLevel"));
  }
  STRATA_RETURN_IF_ERROR(root.ReadMillis("dependencyInitializationTimeout", 1000,
                                         &out->dependency_initialization_timeout));
  STRATA_RETURN_IF_ERROR(root.ReadString("libDir", &out->lib_dir));
  STRATA_RETURN_IF_ERROR(root.ReadBool("exitOnFatalError", &out->exit_on_fatal_error));
  return root.ReadInt("threads", 0, kMaxThreads, &out->threads);
}

Status ParseServerSections(const FieldReader& root, ServerOptions* out) {
  STRATA_RETURN_IF_ERROR(ParseEnabledFeatures(root.Get("enabledFeatures"), &out->enabled_features));
  STRATA_RETURN_IF_ERROR(ParseRpc(root.Get("rpc"), &out->rpc));
  STRATA_RETURN_IF_ERROR(ParseRecord(root.Get("record"), &out->record));
  STRATA_RETURN_IF_ERROR(ParseListen(root.Get("listen"), &out->listen));
  STRATA_RETURN_IF_ERROR(ParseHttpServer(root.Get("httpServer"), &out->http_server));
  return ParseEndpoints(root.Get("connectionEndpoints"), out->http_server,
                        &out->connection_endpoints);
}

Status ParsePluginSections(const FieldReader& root, ParsedConfig* out) {
  STRATA_RETURN_IF_ERROR(ParseLogger(root.Get("logger")));
  STRATA_RETURN_IF_ERROR(ParseAuth(root.Get("auth"), out));
  STRATA_RETURN_IF_ERROR(ParsePermission(root.Get("permission"), out));
  STRATA_RETURN_IF_ERROR(ParseCacheStoragePlugins(root, &out->options));
  STRATA_RETURN_IF_ERROR(ParseMonitoring(root.Get("monitoring")));
  STRATA_RETURN_IF_ERROR(ParseTelemetry(root.Get("telemetry")));
  return ParseClusterServices(root, &out->options);
}

}  // namespace

Result<ParsedConfig> ParseConfigTree(const YAML::Node& root) {
  if (root.IsDefined() && !root.IsNull() && !root.IsMap()) {
    return TypeError("config", "a mapping of keys at the top level", root);
  }
  STRATA_ASSIGN_OR_RETURN(FieldReader top, FieldReader::Open(root, "",
                                                             {"serverName",
                                                              "showLogo",
                                                              "logLevel",
                                                              "dependencyInitializationTimeout",
                                                              "libDir",
                                                              "exitOnFatalError",
                                                              "threads",
                                                              "enabledFeatures",
                                                              "rpc",
                                                              "record",
                                                              "listen",
                                                              "httpServer",
                                                              "connectionEndpoints",
                                                              "logger",
                                                              "auth",
                                                              "permission",
                                                              "cache",
                                                              "storage",
                                                              "monitoring",
                                                              "telemetry",
                                                              "subscriptions",
                                                              "locks",
                                                              "clusterNode",
                                                              "clusterRegistry",
                                                              "clusterStates",
                                                              "plugins"}));
  ParsedConfig parsed;
  STRATA_RETURN_IF_ERROR(ParseGeneral(top, &parsed.options));
  STRATA_RETURN_IF_ERROR(ParseServerSections(top, &parsed.options));
  STRATA_RETURN_IF_ERROR(ParsePluginSections(top, &parsed));
  return parsed;
}

}  // namespace strata::config_internal

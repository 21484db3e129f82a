#pragma once
// Parsers for the sections of config.yml, one function per top-level key. Internal to the config
// loader: config_loader.h is the public API.
//
// Each parser validates everything under its key (unknown keys, types, ranges) before it
// rejects what strata does not support yet, so a typo is reported as a typo.

#include <string>

#include <yaml-cpp/yaml.h>

#include "config/field_reader.h"
#include "config/options.h"
#include "strata/status.h"

namespace strata::config_internal {

// What ParseConfigTree produces: the options, plus the "not supported yet" verdicts that a CLI
// flag can still lift (--disable-auth, --disable-permissions), decided after the CLI is applied.
struct ParsedConfig {
  ServerOptions options;
  Status auth_support;        // non-OK when `auth` asks for something not supported yet
  Status permission_support;  // non-OK when `permission` asks for something not supported yet
};

// The whole document (already preprocessed). A null root means an empty file: all defaults.
Result<ParsedConfig> ParseConfigTree(const YAML::Node& root);

// server_sections.cc
Status ParseEnabledFeatures(const YAML::Node& node, EnabledFeatures* out);
Status ParseRpc(const YAML::Node& node, RpcOptions* out);
Status ParseRecord(const YAML::Node& node, RecordConfig* out);
Status ParseListen(const YAML::Node& node, ListenOptions* out);
Status ParseHttpServer(const YAML::Node& node, HttpServerConfig* out);
// REQUIRES: `http_server` already parsed (endpoints inherit its maxMessageSize).
Status ParseEndpoints(const YAML::Node& node, const HttpServerConfig& http_server,
                      std::vector<EndpointConfig>* out);

// plugin_sections.cc
// Top-level `cache:`/`storage:` and the seed-era `plugins: {cache:, storage:}`.
Status ParseCacheStoragePlugins(const FieldReader& root, ServerOptions* out);
Status ParseAuth(const YAML::Node& node, ParsedConfig* out);
Status ParsePermission(const YAML::Node& node, ParsedConfig* out);
Status ParseLogger(const YAML::Node& node);
Status ParseMonitoring(const YAML::Node& node);
Status ParseTelemetry(const YAML::Node& node);
// subscriptions, locks, clusterStates: validated, then ignored; clusterNode and clusterRegistry
// fill ServerOptions::cluster, and a cluster is refused over per-node cache or storage.
Status ParseClusterServices(const FieldReader& root, ServerOptions* out);

}  // namespace strata::config_internal

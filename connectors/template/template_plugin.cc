// Exports DirectoryStorage from libstrata-template.so through the connector ABI. This file is
// all a C++ connector needs to become a plugin: a factory and one STRATA_EXPORT_CONNECTOR.

#include <memory>

#include "connectors/template/directory_storage.h"
#include "strata/connector_plugin.h"

namespace {

// Printed by `strata install storage template` and appended to the config with --write.
// FILL IN: your connector's name and a commented example of every option.
constexpr const char kExampleConfig[] =
    "storage:\n"
    "  name: template\n"
    "  options:\n"
    "    # directory holding one file per record (created at start)\n"
    "    path: ./data/records\n";

strata::Result<std::unique_ptr<strata::StorageConnector>> Make(uint32_t role,
                                                               std::string_view options_json) {
  using strata::template_connector::DirectoryOptions;
  using strata::template_connector::DirectoryStorage;
  // FILL IN: a connector that serves as a cache too returns a CacheConnector for
  // STRATA_ROLE_CACHE (and announces STRATA_ROLE_CACHE below).
  STRATA_ASSIGN_OR_RETURN(DirectoryOptions options,
                          strata::template_connector::ParseDirectoryOptions(options_json));
  return std::unique_ptr<strata::StorageConnector>(
      std::make_unique<DirectoryStorage>(std::move(options)));
}

}  // namespace

STRATA_EXPORT_CONNECTOR("template", "1.0.0", STRATA_ROLE_STORAGE,
                        "Template: one file per record in a directory (a starting point)",
                        kExampleConfig, Make)

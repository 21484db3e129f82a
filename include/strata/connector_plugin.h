#pragma once
// The C++ side of the connector plugin ABI (strata/connector_abi.h): write a connector as a
// C++ StorageConnector (or CacheConnector), then export it from a shared library with one macro:
//
//   #include "strata/connector_plugin.h"
//   static strata::Result<std::unique_ptr<strata::StorageConnector>> Make(
//       uint32_t role, std::string_view options_json) { ... }
//   STRATA_EXPORT_CONNECTOR("redis", "1.0.0", STRATA_ROLE_CACHE | STRATA_ROLE_STORAGE,
//                           "Redis cache and storage", kExampleConfig, Make)
//
// For the cache role the factory must return a CacheConnector. The library links
// `strata_plugin_sdk` (src/plugin/plugin_export.cc), which adapts the C++ object to the C vtable:
// completions, errors and connection events cross the boundary as the ABI says. Exceptions
// escaping the factory are caught and reported as STRATA_INTERNAL.

#include <cstdint>
#include <memory>
#include <string_view>

#include "strata/connector_abi.h"
#include "strata/status.h"
#include "strata/storage_connector.h"

namespace strata::plugin_internal {

using PluginFactory = Result<std::unique_ptr<StorageConnector>> (*)(uint32_t role,
                                                                    std::string_view options);

// Implements strata_connector_create for a C++ factory.
int32_t CreateInstance(PluginFactory factory, uint32_t role, strata_str options_json,
                       const strata_host* host, void** self, const strata_connector_vtable** vtable,
                       char* error, size_t error_capacity);

}  // namespace strata::plugin_internal

#define STRATA_EXPORT_CONNECTOR(name, version, roles, description, example_config, factory)   \
  extern "C" __attribute__((visibility("default"))) const strata_connector_info*              \
  strata_connector_get_info(void) {                                                           \
    static const strata_connector_info info = {sizeof(strata_connector_info),                 \
                                               STRATA_CONNECTOR_ABI_VERSION,                  \
                                               name,                                          \
                                               version,                                       \
                                               roles,                                         \
                                               description,                                   \
                                               example_config};                               \
    return &info;                                                                             \
  }                                                                                           \
  extern "C" __attribute__((visibility("default"))) int32_t strata_connector_create(          \
      uint32_t role, strata_str options_json, const strata_host* host, void** self,           \
      const strata_connector_vtable** vtable, char* error, size_t error_capacity) {           \
    return ::strata::plugin_internal::CreateInstance(factory, role, options_json, host, self, \
                                                     vtable, error, error_capacity);          \
  }

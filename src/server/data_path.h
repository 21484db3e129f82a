#pragma once
// DataPath: the cache and the storage the records live in, from start to close. Start waits for
// each connector to be ready (dependencyInitializationTimeout); their connection events (lost,
// restored, errors) are logged by kind and counted for /metrics.
//
// Thread-safety: Create, Start and Close from the controlling thread; events() from any thread.
// The connectors themselves are thread-safe (strata/storage_connector.h).

#include <atomic>
#include <cstdint>
#include <memory>

#include "config/options.h"
#include "server/connector_registry.h"
#include "strata/cache_connector.h"
#include "strata/status.h"
#include "strata/storage_connector.h"

namespace strata {

class DataPath {
 public:
  // The connectors the config names; errors name the YAML path.
  static Result<std::unique_ptr<DataPath>> Create(const ConnectorRegistry& registry,
                                                  const ServerOptions& options);
  ~DataPath();
  DataPath(const DataPath&) = delete;
  DataPath& operator=(const DataPath&) = delete;

  // Starts the cache, then the storage; a failure names the connector.
  Status Start(Millis timeout_each);
  // Closes both, waiting at most 10 s each (a failure is logged).
  void Close();

  CacheConnector& cache() { return *connectors_.cache; }
  StorageConnector& storage() { return *connectors_.storage; }
  // Connection events the connectors have reported since Start.
  uint64_t events() const { return events_.load(); }

 private:
  explicit DataPath(DataPathConnectors connectors);
  void OnEvent(std::string_view connector, ConnectorEvent event, const Status& detail);

  DataPathConnectors connectors_;
  std::atomic<uint64_t> events_{0};
};

}  // namespace strata

// Exports the rocksdb storage as the connector library libstrata-rocksdb.so.

#include "connectors/rocksdb/rocksdb_storage.h"
#include "strata/connector_plugin.h"

namespace {

constexpr char kExampleConfig[] =
    "storage:\n"
    "  name: rocksdb\n"
    "  options:\n"
    "    path: ./data/rocksdb   # database directory, created on start\n"
    "    sync: false            # true = fsync the write-ahead log once per batch\n";

strata::Result<std::unique_ptr<strata::StorageConnector>> Make(uint32_t role,
                                                               std::string_view options) {
  (void)role;  // storage only: the SDK never asks for a role the info does not list
  return strata::NewRocksdbStorage(options);
}

}  // namespace

STRATA_EXPORT_CONNECTOR("rocksdb", "1.0.0", STRATA_ROLE_STORAGE, "RocksDB embedded storage",
                        kExampleConfig, Make)

// Exports the postgres storage connector through strata's C plugin ABI
// (libstrata-postgres.so in the plugin directory).

#include "connectors/postgres/postgres_storage.h"
#include "strata/connector_plugin.h"

namespace {

constexpr const char* kExampleConfig =
    "storage:\n"
    "  name: postgres\n"
    "  options:\n"
    "    host: localhost\n"
    "    port: 5432\n"
    "    user: some-user\n"
    "    password: some-password\n"
    "    database: some-database\n"
    "    schema: ds            # created if missing\n"
    "    defaultTable: default # table of record names without '/'\n"
    "    max: 4                # connections\n"
    "    useJsonb: false       # val column type of new tables: text (exact) or jsonb\n"
    "    sslmode: prefer       # libpq sslmode\n"
    "    tombstoneTtl: 3600000 # ms a fenced delete's tombstone is kept (strata clusters)\n";

strata::Result<std::unique_ptr<strata::StorageConnector>> Make(uint32_t role,
                                                               std::string_view options) {
  if (role != STRATA_ROLE_STORAGE) {
    return strata::Status::InvalidArgument("postgres: can only be a storage, not a cache");
  }
  return strata::NewPostgresStorage(options);
}

}  // namespace

STRATA_EXPORT_CONNECTOR("postgres", "1.0.0", STRATA_ROLE_STORAGE,
                        "PostgreSQL storage (libpq, JSONB, batched upserts)", kExampleConfig, Make)

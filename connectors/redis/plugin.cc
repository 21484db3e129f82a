// Exports the redis connector through the C plugin ABI (strata/connector_abi.h) as
// libstrata-redis.so.

#include "connectors/redis/redis_connector.h"
#include "strata/connector_plugin.h"

namespace {

constexpr char kExampleConfig[] =
    "cache:\n"
    "  name: redis\n"
    "  options:\n"
    "    host: 127.0.0.1\n"
    "    port: 6379\n";

}  // namespace

STRATA_EXPORT_CONNECTOR("redis", "1.0.0", STRATA_ROLE_CACHE | STRATA_ROLE_STORAGE,
                        "Redis cache (and storage), hiredis, pipelined", kExampleConfig,
                        strata::NewRedisConnector)

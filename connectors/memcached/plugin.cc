// Exports the memcached cache as the connector library libstrata-memcached.so.

#include "connectors/memcached/memcached_cache.h"
#include "strata/connector_plugin.h"

namespace {

constexpr char kExampleConfig[] =
    "cache:\n"
    "  name: memcached\n"
    "  options:\n"
    "    serverLocation: 127.0.0.1:11211   # or a list of host:port\n"
    "    lifetime: 60000                   # seconds; 0 = until evicted\n"
    "    memcachedOptions:\n"
    "      timeout: 5000                   # ms\n"
    "      poolSize: 2                     # worker threads / connections per server\n"
    "      retry: 1000                     # ms between reconnect attempts\n";

}  // namespace

STRATA_EXPORT_CONNECTOR("memcached", "1.0.0", STRATA_ROLE_CACHE, "memcached cache", kExampleConfig,
                        strata::NewMemcachedCache)

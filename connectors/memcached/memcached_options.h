#pragma once
// Options of the "memcached" cache connector, from the `cache.options` config mapping. Names
// follow deepstream's own memcached connector (deepstream.io-cache-memcached: `serverLocation`,
// `lifetime`, `memcachedOptions`); inside `memcachedOptions` strata reads the options of the
// node `memcached` client that mean something here (`timeout`, `poolSize`, `retry`).

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "strata/status.h"

namespace strata {

struct MemcachedServer {
  std::string host;
  uint16_t port = 11211;
};

struct MemcachedOptions {
  // `serverLocation`: "host:port" or a list of them. Records are spread over several servers by
  // consistent hashing (ketama), as the node client does.
  std::vector<MemcachedServer> servers = {{"127.0.0.1", 11211}};
  // `lifetime`: seconds an item lives, deepstream's default. 0 = until evicted. At most 30 days
  // (memcached reads larger numbers as a Unix time). Expiry is safe: strata falls back to storage.
  uint32_t lifetime_s = 60000;
  // `memcachedOptions.timeout`: connect and per-operation I/O timeout; an operation running
  // into it fails kDeadlineExceeded.
  int timeout_ms = 5000;
  // `memcachedOptions.poolSize`: worker threads, each with its own connection to every server.
  // libmemcached calls block, so this is the number of operations in flight at once.
  int pool_size = 2;
  // `memcachedOptions.retry`: how often a lost server is probed again (and how long libmemcached
  // keeps failing fast before it tries a server that failed).
  int retry_ms = 1000;
};

// Parses the `cache.options` JSON object. Empty text means defaults. Unknown keys and wrong
// types -> kInvalidArgument naming `cache.options.<key>`.
Result<MemcachedOptions> ParseMemcachedOptions(std::string_view options_json);

// "host:port,host:port" for messages.
std::string DescribeServers(const std::vector<MemcachedServer>& servers);

}  // namespace strata

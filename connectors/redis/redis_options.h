#pragma once
// Options of the "redis" connector, from the `cache.options` (or `storage.options`) mapping.
// Names follow @deepstream/cache-redis v2, which hands its options to ioredis: host, port,
// password, db, ttl, url, plus ioredis's username, keyPrefix, connectTimeout and
// commandTimeout. So a deepstream config.yml works unchanged.

#include <cstdint>
#include <string>
#include <string_view>

#include "strata/status.h"

namespace strata {

struct RedisOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 6379;
  // AUTH credentials; an empty password sends no AUTH. `username` needs Redis 6 ACLs.
  std::string username;
  std::string password;
  // SELECTed after connecting; 0 sends no SELECT.
  int db = 0;
  // Seconds each record pair lives after its last write; 0 = forever (deepstream's default).
  int64_t ttl_seconds = 0;
  // Prepended to every key (ioredis semantics), so several strata share one Redis database.
  std::string key_prefix;
  // How long a (re)connection attempt, including AUTH/SELECT, may take (ioredis default).
  int connect_timeout_ms = 10000;
  // How long an operation may wait for its reply before failing kDeadlineExceeded. ioredis has
  // no default; 5 s keeps a hung Redis from holding operations forever while staying well above
  // any healthy round trip.
  int command_timeout_ms = 5000;
};

// Parses the options JSON object. Empty text means defaults. `role_prefix` is "cache" or
// "storage": unknown keys and wrong types -> kInvalidArgument naming `<role_prefix>.options.<key>`.
// Numbers may be given as decimal strings too (ioredis accepts `port: "6379"` from env vars).
Result<RedisOptions> ParseRedisOptions(std::string_view options_json, std::string_view role_prefix);

}  // namespace strata

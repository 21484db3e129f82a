#pragma once
// Options of the "redis" connector, from the `cache.options` (or `storage.options`) mapping.
// Names follow @deepstream/cache-redis v2, which hands its options to ioredis: host, port,
// password, db, ttl, url, plus ioredis's username, keyPrefix, connectTimeout, commandTimeout and
// tls. So a deepstream config.yml works unchanged.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "strata/status.h"

namespace strata {

// TLS towards Redis (ioredis's `tls`, which node's tls.connect receives). Certificates and keys
// are PEM text here: the parser reads a value that is a file path into its contents.
struct RedisTlsOptions {
  // `tls: true`, `tls: {...}` or a rediss:// url; off by default, as in ioredis.
  bool enabled = false;
  // CA certificates (PEM) the server's certificate must chain to; empty = the system store.
  std::string ca;
  // Client certificate (PEM, leaf first, then its chain) and its unencrypted private key, for
  // servers that authenticate clients (tls-auth-clients yes). Both or neither.
  std::string cert;
  std::string key;
  // Name sent as SNI and checked against the certificate; empty = `host`. An IP address is
  // checked against the certificate's IP entries and sends no SNI.
  std::string servername;
  // false accepts any certificate (no chain or name check): node's rejectUnauthorized.
  bool reject_unauthorized = true;
};

// One Redis Sentinel (ioredis's `sentinels: [{host, port}]`).
struct RedisSentinelAddress {
  std::string host = "127.0.0.1";
  uint16_t port = 26379;  // Sentinel's default port
};

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
  RedisTlsOptions tls;
  // Sentinels asked, in order, for the address of master group `name` on every (re)connection;
  // empty = connect to host:port. Plain TCP; TLS and AUTH above apply to the data node only.
  std::vector<RedisSentinelAddress> sentinels;
  // The master group name the sentinels monitor; required with `sentinels`.
  std::string name;
  // AUTH towards the sentinels (requirepass / ACL on the sentinels); empty sends no AUTH.
  std::string sentinel_username;
  std::string sentinel_password;
};

// Names the target in messages: "redis host:port", or "redis master 'name' (sentinels a:1, b:2)".
std::string RedisTargetName(const RedisOptions& options);

// Parses the options JSON object. Empty text means defaults. `role_prefix` is "cache" or
// "storage": unknown keys and wrong types -> kInvalidArgument naming `<role_prefix>.options.<key>`.
// Numbers may be given as decimal strings too (ioredis accepts `port: "6379"` from env vars).
// TLS files named by path are read here, so an unreadable one fails naming its option.
Result<RedisOptions> ParseRedisOptions(std::string_view options_json, std::string_view role_prefix);

}  // namespace strata

#pragma once
// MemcachedClient: one libmemcached handle (a connection to every configured server) with the
// few operations the cache needs, answering Status values instead of memcached_return_t.
//
// Error mapping: unreachable or failing servers -> kUnavailable; an operation that ran into
// `memcachedOptions.timeout` -> kDeadlineExceeded; an item over memcached's size limit ->
// kInvalidArgument; out of memory -> kResourceExhausted. libmemcached reconnects by itself: a
// server that failed is skipped (failing fast) for `retry` and then tried again.
//
// Thread-safety: none. Each instance is confined to one thread (libmemcached handles are not
// thread-safe); calls block for at most about the timeout.

#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "connectors/memcached/memcached_options.h"
#include "strata/status.h"

struct memcached_st;

namespace strata::memcached {

class MemcachedClient {
 public:
  explicit MemcachedClient(const MemcachedOptions& options);
  ~MemcachedClient();
  MemcachedClient(const MemcachedClient&) = delete;
  MemcachedClient& operator=(const MemcachedClient&) = delete;

  // The stored bytes, or nullopt when memcached does not hold `key`.
  Result<std::optional<std::string>> Get(std::string_view key);
  Status Set(std::string_view key, std::string_view value);
  // Deleting a missing key is OK.
  Status Delete(std::string_view key);
  // Fetches `keys` with one request per server; calls `found` for each key memcached holds.
  using FoundFn = std::function<void(std::string_view key, std::string_view value)>;
  Status MultiGet(std::span<const std::string> keys, const FoundFn& found);
  // Asks every server for its version on a fresh connection: OK when all of them answer.
  Status Ping();
  // Drops the connections and libmemcached's memory of failed servers, so that the next
  // operation connects at once (after a probe found the servers back).
  void Reconnect();

 private:
  Status Check(memcached_st* handle, int rc, std::string_view op) const;

  const MemcachedOptions options_;
  memcached_st* handle_;
};

}  // namespace strata::memcached

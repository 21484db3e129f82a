#pragma once
// MemoryCache: strata's built-in in-process cache ("memory"), a bounded LRU map of records.
//
// Unlike deepstream's LocalCache it can be bounded (maxBytes, maxRecords) and then forgets the
// least recently used records. Forgetting is safe for strata: the record store keeps every record
// whose storage write is still pending in its own write-behind queue and reads that queue before
// the cache, so an evicted entry is re-read from storage and can never produce a stale read.
//
// Thread-safety: every method may be called from any thread. State is split into stripes chosen
// by a hash of the record name; each stripe has its own mutex, map and LRU list, so operations on
// different stripes never contend. Limits are divided evenly across stripes and enforced per
// stripe. Completions run synchronously on the calling thread, after the stripe lock is released
// (allowed by the connector contract in strata/callback.h), so a completion may call back in.
//
// The cache stores its own copies: no buffer is ever shared with a caller.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "strata/cache_connector.h"
#include "strata/status.h"

namespace strata {

struct MemoryCacheOptions {
  // Most bytes (record names plus JSON text, allocator overhead not counted); 0 = unbounded.
  size_t max_bytes = 0;
  // Most records; 0 = unbounded (deepstream's behaviour: the cache only grows).
  size_t max_records = 0;
  // Independent lock stripes; 16 keeps contention low on the few loop threads strata runs.
  size_t stripes = 16;
};

// Parses the `cache.options` JSON object: {maxBytes, maxRecords, stripes}. Empty text means
// defaults. Unknown keys and wrong types -> kInvalidArgument naming `cache.options.<key>`.
Result<MemoryCacheOptions> ParseMemoryCacheOptions(std::string_view options_json);

class MemoryCache final : public CacheConnector {
 public:
  explicit MemoryCache(const MemoryCacheOptions& options);
  ~MemoryCache() override;
  MemoryCache(const MemoryCache&) = delete;
  MemoryCache& operator=(const MemoryCache&) = delete;

  std::string_view Name() const override { return "memory"; }
  void Start(DoneCallback ready) override { ready(Status()); }
  void Close(DoneCallback done) override { done(Status()); }

  void Get(std::string_view name, Callback<std::optional<RecordValue>> cb) override;
  // Takes each stripe's lock once for the whole batch.
  void GetBulk(std::span<const std::string> names, Callback<GetBulkResult> cb) override;
  void Set(std::string_view name, const RecordValue& value, DoneCallback cb) override;
  void Delete(std::string_view name, DoneCallback cb) override;
  void SetBulk(std::span<const NamedValue> batch, DoneCallback cb) override;
  void DeleteBulk(std::span<const std::string> names, DoneCallback cb) override;
  void Head(std::string_view name, Callback<std::optional<Version>> cb) override;
  void HeadBulk(std::span<const std::string> names, Callback<HeadBulkResult> cb) override;

  // Metrics. Each is a sum over stripes taken one stripe at a time, so under concurrent writes
  // it is a close estimate rather than a snapshot.
  size_t entries() const;
  size_t bytes() const;
  uint64_t evictions() const;

 private:
  struct Stripe;

  Stripe& StripeFor(std::string_view name) const;
  size_t StripeIndex(std::string_view name) const;
  template <typename NameAt, typename Fn>
  void ForEachByStripe(size_t count, NameAt name_at, Fn fn);

  const size_t stripe_count_;
  std::unique_ptr<Stripe[]> stripes_;
};

// Factory used by the connector registry: parses options, then builds the cache.
Result<std::unique_ptr<CacheConnector>> NewMemoryCache(std::string_view options_json);

}  // namespace strata

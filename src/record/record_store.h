#pragma once
// RecordStore: the data path of one event loop, over a cache connector and a storage connector
// (SEMANTICS.md Part A, items 1-4 and 7).
//
// Read:  waiting storage writes (newest first), then the cache, then storage unless the name is
//        excluded; each backend step bounded by its own timeout (kDeadlineExceeded). A storage
//        hit is loaded into the cache. Concurrent reads of one record share one lookup, and the
//        lookups started in one turn of the loop go to each backend as one GetBulk (and their
//        cache fills as one SetBulk).
// Write: the cache write is awaited (`cached`); the storage write is queued in the
//        WriteBehindQueue (`durable` runs once storage holds it). Excluded names skip storage.
// Because every record with a waiting storage write is answered from the queue, a cache may
// evict or expire anything at any time without a read ever seeing stale data.
//
// Thread-safety: not thread-safe. One RecordStore per event loop; call it on that loop only.
// Every callback runs on that loop, exactly once, never before the call that started it returns.

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "record/read_result.h"
#include "record/record_authority.h"
#include "record/write_behind_queue.h"
#include "strata/cache_connector.h"
#include "strata/callback.h"
#include "strata/executor.h"
#include "strata/storage_connector.h"

namespace strata {

struct RecordStoreStats {
  uint64_t reads = 0;
  uint64_t reads_coalesced = 0;  // reads that joined a lookup already under way
  uint64_t cache_hits = 0;
  uint64_t storage_hits = 0;
  uint64_t misses = 0;
  uint64_t cache_errors = 0;  // failed or timed out cache operations
  uint64_t storage_read_errors = 0;
  uint64_t storage_read_batches = 0;  // GetBulk requests to storage (each of 1 or more names)
  WriteBehindStats storage_writes;
};

class RecordStore {
 public:
  RecordStore(const RecordStoreOptions& options, CacheConnector& cache, StorageConnector& storage,
              Executor& loop);
  RecordStore(const RecordStore&) = delete;
  RecordStore& operator=(const RecordStore&) = delete;

  // nullopt = no such record. Errors are ReadErrors naming the backend that failed:
  // kDeadlineExceeded when it did not answer within its timeout, or its own error.
  void Get(std::string_view name, ReadCallback cb);
  // `cached` runs after the cache write; `durable` (may be null) after storage holds this value
  // too (at once for excluded names). On failure both get the error. kResourceExhausted when the
  // storage queue is full (nothing is written then).
  void Set(std::string_view name, RecordValue value, DoneCallback cached, DoneCallback durable);
  // Removes the record from cache and storage; `done` runs when both are done.
  void Delete(std::string_view name, DoneCallback done);
  // Drops the record from the cache only (NOTIFY: storage changed behind strata's back).
  void Evict(std::string_view name, DoneCallback done);
  // With an authority (a cluster), the cache half of writes is the authority's compare-and-set;
  // the store keeps the storage half (Persist, PersistDelete), and its reads load storage hits
  // into the cache through the authority. REQUIRES: called before any operation.
  void SetAuthority(RecordAuthority* authority) { authority_ = authority; }
  // True when a write of `name` would be refused because the storage queue is full.
  bool StorageFull(std::string_view name) const;
  // The storage half of a write the authority committed as change `seq`: queued for storage,
  // fenced by `seq` (at once durable for excluded names). REQUIRES: !StorageFull(name).
  void Persist(std::string_view name, RecordValue value, uint64_t seq, DoneCallback durable);
  // The storage half of a delete the authority committed as change `seq`.
  void PersistDelete(std::string_view name, uint64_t seq, DoneCallback done);
  // Waits for queued storage writes (graceful stop), at most `timeout`.
  void Drain(std::chrono::milliseconds timeout, DoneCallback done);
  bool ExcludedFromStorage(std::string_view name) const;
  Executor& loop() { return loop_; }
  RecordStoreStats stats() const;

 private:
  struct PendingRead {
    std::vector<ReadCallback> callbacks;
    bool superseded = false;  // a write or delete happened meanwhile: do not promote to cache
  };

  // Names of one batched lookup, shared by the request and its completion.
  using Names = std::shared_ptr<const std::vector<std::string>>;
  // At most this many names per GetBulk.
  static constexpr size_t kMaxReadBatch = 256;

  void StartLookups();
  void ReadCache(Names names);
  void ReadStorage(Names names);
  void FinishRead(const std::string& name, const ReadResult& result);
  void Promote(const std::vector<NamedValue>& found);
  void MarkWritten(std::string_view name);
  DoneCallback Persisted(std::string_view name, uint64_t seq, DoneCallback then);

  RecordStoreOptions options_;
  CacheConnector& cache_;
  StorageConnector& storage_;
  Executor& loop_;
  RecordAuthority* authority_ = nullptr;
  WriteBehindQueue queue_;
  std::unordered_map<std::string, PendingRead> reads_;
  std::vector<std::string> lookups_;  // reads started this turn, not yet asked of the cache
  RecordStoreStats stats_;
};

}  // namespace strata

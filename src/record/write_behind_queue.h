#pragma once
// WriteBehindQueue: the storage half of the write path. Writes reach storage in the background,
// never blocking the writer, with these guarantees (SEMANTICS.md Part A, items 2-4):
//   - ordered per record: at most one storage operation per record is in flight, so storage
//     never sees an older version after a newer one, nor a write after that record's delete;
//   - coalesced: while one operation of a record is in flight, later ones collapse into the
//     newest (storage holds whole records, so only the newest needs writing);
//   - batched: ready records go out together through SetBulk/DeleteBulk (group commit);
//   - retried: kUnavailable/kDeadlineExceeded failures are retried with exponential backoff and
//     nothing is dropped; any other failure is final for that write, logged and counted;
//   - bounded: at most `limit` records may be waiting; Full() tells the writer to refuse;
//   - drained on stop.
// Each write carries callbacks that run once its value (or a newer one) is durable, or fails.
//
// Thread-safety: not thread-safe; owned by one event loop (the Executor given). Storage
// completions are posted back to that loop.

#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "config/options.h"
#include "strata/callback.h"
#include "strata/executor.h"
#include "strata/record_value.h"
#include "strata/storage_connector.h"

namespace strata {

struct WriteBehindStats {
  size_t waiting = 0;      // records with a queued or in-flight operation
  uint64_t written = 0;    // records stored (sets and deletes)
  uint64_t coalesced = 0;  // writes superseded by a newer one before reaching storage
  uint64_t retries = 0;    // records re-sent after a retryable failure
  uint64_t failed = 0;     // records whose write failed for good
  uint64_t fenced = 0;     // fenced writes storage skipped because it held a newer change
  uint64_t batches = 0;
};

class WriteBehindQueue {
 public:
  WriteBehindQueue(const WriteBehindOptions& options, StorageConnector& storage, Executor& loop);
  WriteBehindQueue(const WriteBehindQueue&) = delete;
  WriteBehindQueue& operator=(const WriteBehindQueue&) = delete;

  // True when no new record may be queued (a record already waiting can still be updated).
  bool Full(std::string_view name) const;
  // REQUIRES: !Full(name). `durable` (may be null) runs once storage holds this value or newer.
  // A non-zero `fence` (the cluster's sequence number of the change) makes the storage write
  // conditional (StorageConnector::SetBulkFenced): storage that already holds a newer change of
  // the record keeps it, and the write counts as done, since a later state is stored.
  void EnqueueSet(std::string_view name, RecordValue value, DoneCallback durable,
                  uint64_t fence = 0);
  void EnqueueDelete(std::string_view name, DoneCallback durable, uint64_t fence = 0);
  // The newest value waiting for storage: nullptr when nothing waits for this record; a pointer
  // to nullopt when the newest waiting operation is a delete.
  const std::optional<RecordValue>* Latest(std::string_view name) const;
  // Runs `done` once nothing waits, or with kDeadlineExceeded naming what is left after `timeout`.
  void Drain(std::chrono::milliseconds timeout, DoneCallback done);
  WriteBehindStats stats() const;

 private:
  struct Op {
    std::optional<RecordValue> value;  // nullopt = delete
    std::vector<DoneCallback> waiters;
    uint64_t fence = 0;  // 0 = unconditional
  };
  struct Entry {
    std::optional<Op> queued;     // newest operation not yet sent
    std::optional<Op> in_flight;  // sent, waiting for storage
    int attempts = 0;             // consecutive retryable failures
    bool retry_pending = false;   // waiting for its backoff timer
  };

  void Enqueue(std::string_view name, std::optional<RecordValue> value, DoneCallback durable,
               uint64_t fence);
  // Storage calls for one batch; `finish` makes each call's completion.
  void SendPlain(std::vector<NamedValue> sets, std::vector<std::string> set_names,
                 std::vector<std::string> deletes,
                 const std::function<DoneCallback(std::vector<std::string>)>& finish);
  void SendFenced(std::vector<FencedValue> sets, std::vector<FencedName> deletes,
                  const std::function<DoneCallback(std::vector<std::string>)>& finish);
  void ScheduleFlush();
  void Flush();
  void SendBatch(std::vector<std::string> names);
  void OnBatchDone(const std::vector<std::string>& names, const Status& status);
  void OnWritten(const std::string& name, Entry& entry);
  void OnRetryable(const std::string& name, Entry& entry, const Status& status);
  void OnFailed(const std::string& name, Entry& entry, const Status& status);
  void Retry(const std::string& name);
  void MaybeFinishDrain();
  std::chrono::milliseconds Backoff(int attempts) const;

  WriteBehindOptions options_;
  StorageConnector& storage_;
  Executor& loop_;
  std::unordered_map<std::string, Entry> entries_;
  std::deque<std::string> ready_;  // records with a queued op, none in flight, not backing off
  bool flush_posted_ = false;
  size_t batches_in_flight_ = 0;
  std::vector<DoneCallback> drain_waiters_;
  WriteBehindStats stats_;
};

}  // namespace strata

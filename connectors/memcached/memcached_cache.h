#pragma once
// MemcachedCache: the "memcached" cache connector. Records live in memcached as one item each
// (layout in record_codec.h); memcached may evict or expire them at will, which strata's read
// path tolerates (it falls back to storage).
//
// Why libmemcached on a thread pool: it is the packaged, maintained client (consistent hashing
// over several servers, timeouts, failed-server back-off), and its calls block, so they run on
// `memcachedOptions.poolSize` WorkerThreads, each with its own libmemcached handle. Operations
// are routed to a worker by a hash of their key, so the operations on one record run in the
// order they were called; a bulk operation is split by worker and completes once every part
// has. Head is a get (memcached has nothing cheaper); GetBulk and HeadBulk are one multi-get
// (memcached_mget) per worker.
//
// Connection state: Start asks every server for its version and fails kUnavailable if one does
// not answer (strata then does not start; nothing is retried). Once running, an operation that
// finds a server unreachable fails kUnavailable (kDeadlineExceeded on a timeout) and, the first
// time, reports kConnectionLost to the listener; from then on worker 0 probes every
// `memcachedOptions.retry` ms; once every server answers, each worker drops its connections
// (so that none keeps skipping a server libmemcached remembers as failed) and then
// kConnectionRestored is reported. Operations keep going to libmemcached meanwhile, which skips
// a failed server (failing fast) until `retry` has passed and then tries it again.
//
// Thread-safety: every method may be called from any thread, except that Close() and the
// destructor must not be called from one of this connector's completions (they join the
// workers; Close() then answers kFailedPrecondition). Completions and listener calls run on the
// worker threads. Operations before Start() has completed, or after Close(), fail with
// kFailedPrecondition.

#include <atomic>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/worker_thread.h"
#include "connectors/common/connector_lifecycle.h"
#include "connectors/memcached/memcached_client.h"
#include "connectors/memcached/memcached_options.h"
#include "strata/cache_connector.h"

namespace strata {

class MemcachedCache final : public CacheConnector {
 public:
  explicit MemcachedCache(MemcachedOptions options);
  // Closes if needed. REQUIRES: not on a completion of this connector.
  ~MemcachedCache() override;
  MemcachedCache(const MemcachedCache&) = delete;
  MemcachedCache& operator=(const MemcachedCache&) = delete;

  std::string_view Name() const override { return "memcached"; }
  // Starts the workers and checks that every server answers; `ready` runs on a worker.
  void Start(DoneCallback ready) override;
  // Runs the queued operations, disconnects and joins the workers; `done` runs on the calling
  // thread. Idempotent.
  void Close(DoneCallback done) override;
  void SetEventListener(ConnectorEventListener listener) override;

  void Get(std::string_view name, Callback<std::optional<RecordValue>> cb) override;
  void GetBulk(std::span<const std::string> names, Callback<GetBulkResult> cb) override;
  void Set(std::string_view name, const RecordValue& value, DoneCallback cb) override;
  void Delete(std::string_view name, DoneCallback cb) override;
  void SetBulk(std::span<const NamedValue> batch, DoneCallback cb) override;
  void DeleteBulk(std::span<const std::string> names, DoneCallback cb) override;
  void Head(std::string_view name, Callback<std::optional<Version>> cb) override;
  void HeadBulk(std::span<const std::string> names, Callback<HeadBulkResult> cb) override;

  const MemcachedOptions& options() const { return options_; }

 private:
  struct Worker {
    std::unique_ptr<memcached::MemcachedClient> client;  // confined to `thread`'s jobs
    std::unique_ptr<WorkerThread> thread;
  };

  // One worker's share of a bulk operation: the batch positions that worker serves.
  struct Share {
    size_t worker = 0;
    std::vector<size_t> positions;  // ascending
  };

  size_t WorkerFor(std::string_view key) const;
  // The shares of a batch of `keys`, one per worker that serves any of them, by worker.
  std::vector<Share> SplitByWorker(const std::vector<std::string>& keys) const;
  // Runs `work(client)` on worker `index` and hands its result to `cb` (kFailedPrecondition if
  // Close() stops the worker first). REQUIRES: lifecycle_.running() was seen (workers_ exists).
  template <typename Cb, typename Work>
  void Dispatch(size_t index, const char* op, Cb cb, Work work);
  // Reports kConnectionLost the first time an operation finds a server unreachable.
  Status Observe(Status status);
  template <typename T>
  Result<T> Observe(Result<T> result);
  // Worker 0's periodic task: while the connection is lost, probes; once the servers answer,
  // has every worker reconnect and then reports the connection restored.
  void ProbeIfLost();
  void Restored();
  void Emit(ConnectorEvent event, const Status& detail);

  const MemcachedOptions options_;
  ConnectorEventListener listener_;  // set before Start, then read-only
  ConnectorLifecycle lifecycle_;
  std::atomic<bool> connected_{false};
  std::atomic<bool> restoring_{false};  // workers are reconnecting after a successful probe
  // Built by Start() before the cache runs; never resized after (Close() only stops the threads
  // and drops the clients).
  std::vector<Worker> workers_;
};

// Factory used by the connector registry and the plugin: parses options, then builds the
// (unstarted) cache, a MemcachedCache. `role` must be STRATA_ROLE_CACHE (memcached forgets, so
// it cannot be a storage): anything else is kInvalidArgument.
Result<std::unique_ptr<StorageConnector>> NewMemcachedCache(uint32_t role,
                                                            std::string_view options_json);

}  // namespace strata

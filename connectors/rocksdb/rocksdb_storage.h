#pragma once
// RocksdbStorage: the "rocksdb" storage connector: an embedded RocksDB database (a directory,
// layout in record_codec.h) that keeps records across restarts with no other server to run,
// suited to write-heavy loads.
//
// Threading: two WorkerThreads. The writer runs Set, Delete and the write bulk forms in call
// order, each call as one atomic WriteBatch (a bulk call is strata's group commit: one log write,
// one fsync with `sync: true`). The reader runs Get and GetBulk (one MultiGet, one snapshot;
// RocksDB reads are thread-safe and never wait for the writer). A Get sees every write whose
// completion ran before the Get was called. Completions run on the worker threads.
//
// Errors: Start creates the directory and opens the database: a lock held by another process
// or instance -> kUnavailable, a corrupt database -> kDataLoss, both naming the path. Failed
// writes: I/O errors (disk full, ...) -> kUnavailable (strata retries), corruption -> kDataLoss.
//
// Thread-safety: every method may be called from any thread, except that Close() and the
// destructor must not be called from one of this connector's completions (they join the
// workers; Close() then answers kFailedPrecondition). Operations before Start() has completed,
// or after Close(), fail with kFailedPrecondition.

#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/worker_thread.h"
#include "connectors/common/connector_lifecycle.h"
#include "connectors/rocksdb/rocksdb_options.h"
#include "strata/storage_connector.h"

namespace rocksdb {
class DB;
class WriteBatch;
}  // namespace rocksdb

namespace strata {

class RocksdbStorage final : public StorageConnector {
 public:
  explicit RocksdbStorage(RocksdbOptions options);
  // Closes if needed. REQUIRES: not on a completion of this connector.
  ~RocksdbStorage() override;
  RocksdbStorage(const RocksdbStorage&) = delete;
  RocksdbStorage& operator=(const RocksdbStorage&) = delete;

  std::string_view Name() const override { return "rocksdb"; }
  // Creates the directory and opens the database on the writer; `ready` runs there.
  void Start(DoneCallback ready) override;
  // Runs the queued operations, flushes the memtables to disk, closes the database and joins the
  // workers; `done` runs on the calling thread. Idempotent.
  void Close(DoneCallback done) override;

  void Get(std::string_view name, Callback<std::optional<RecordValue>> cb) override;
  void GetBulk(std::span<const std::string> names, Callback<GetBulkResult> cb) override;
  void Set(std::string_view name, const RecordValue& value, DoneCallback cb) override;
  void Delete(std::string_view name, DoneCallback cb) override;
  void SetBulk(std::span<const NamedValue> batch, DoneCallback cb) override;
  void DeleteBulk(std::span<const std::string> names, DoneCallback cb) override;

  const RocksdbOptions& options() const { return options_; }

 private:
  Status Open();
  Status Write(rocksdb::WriteBatch& batch, const char* op);
  Result<std::optional<RecordValue>> Read(const std::string& name);
  Result<GetBulkResult> ReadAll(const std::vector<std::string>& names);
  Status CloseDb();

  const RocksdbOptions options_;
  ConnectorLifecycle lifecycle_;
  // Opened on the writer before the storage runs; closed by Close() after the joins.
  rocksdb::DB* db_ = nullptr;
  // Created by Start() before the storage runs; never reset before destruction.
  std::unique_ptr<WorkerThread> write_worker_;
  std::unique_ptr<WorkerThread> read_worker_;
};

// Factory used by the connector registry and the plugin: parses options, then builds the
// (unstarted) storage.
Result<std::unique_ptr<StorageConnector>> NewRocksdbStorage(std::string_view options_json);

}  // namespace strata

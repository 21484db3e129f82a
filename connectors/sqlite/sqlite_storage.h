#pragma once
// SqliteStorage: the "sqlite" storage connector, strata's default storage: an embedded database
// file (table `records(name, version, data)`, WAL journal) that keeps records across restarts
// with no other server to run.
//
// Threading: two WorkerThreads, each confining one sqlite connection. The writer runs Set,
// Delete and the write bulk forms in FIFO order (a bulk form is one transaction); the reader
// runs Get and GetBulk (one job, one read transaction) on a read-only connection, so a read
// never waits behind a long write batch. A Get sees every write whose completion ran before the
// Get was called; a Get racing a write still in flight may see the value before it (strata's
// record store never relies on that: it reads its own pending writes first). Completions run on
// the worker threads.
//
// Thread-safety: every method may be called from any thread, except that Close() and the
// destructor must not be called from one of this connector's completions (they join the
// workers; Close() then answers kFailedPrecondition instead of deadlocking).
// Operations before Start() has completed, or after Close(), fail with kFailedPrecondition.

#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "common/worker_thread.h"
#include "connectors/common/connector_lifecycle.h"
#include "connectors/sqlite/record_tables.h"
#include "connectors/sqlite/sqlite_options.h"
#include "strata/storage_connector.h"

namespace strata {

class SqliteStorage final : public StorageConnector {
 public:
  explicit SqliteStorage(SqliteOptions options);
  // Closes if needed. REQUIRES: not on a completion of this connector.
  ~SqliteStorage() override;
  SqliteStorage(const SqliteStorage&) = delete;
  SqliteStorage& operator=(const SqliteStorage&) = delete;

  std::string_view Name() const override { return "sqlite"; }
  // Opens (creating the file and its directory) on the workers; `ready` runs on a worker.
  void Start(DoneCallback ready) override;
  // Runs the queued operations, closes the file and joins the workers; `done` runs on the
  // calling thread. Idempotent.
  void Close(DoneCallback done) override;

  void Get(std::string_view name, Callback<std::optional<RecordValue>> cb) override;
  void GetBulk(std::span<const std::string> names, Callback<GetBulkResult> cb) override;
  void Set(std::string_view name, const RecordValue& value, DoneCallback cb) override;
  void Delete(std::string_view name, DoneCallback cb) override;
  void SetBulk(std::span<const NamedValue> batch, DoneCallback cb) override;
  void DeleteBulk(std::span<const std::string> names, DoneCallback cb) override;

  const SqliteOptions& options() const { return options_; }

 private:
  void OpenReader(DoneCallback ready);

  const SqliteOptions options_;
  ConnectorLifecycle lifecycle_;
  // Each confined to its worker's jobs (and to Close() after the joins).
  RecordWriter writer_;
  RecordReader reader_;
  // Created by Start() before the storage runs; never reset before destruction.
  std::unique_ptr<WorkerThread> write_worker_;
  std::unique_ptr<WorkerThread> read_worker_;
};

// Factory used by the connector registry: parses options, then builds the (unstarted) storage.
Result<std::unique_ptr<StorageConnector>> NewSqliteStorage(std::string_view options_json);

}  // namespace strata

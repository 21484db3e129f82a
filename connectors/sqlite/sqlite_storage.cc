#include "connectors/sqlite/sqlite_storage.h"

#include <utility>
#include <vector>

namespace strata {
namespace {

Status NotRunning(const char* op) {
  return Status::FailedPrecondition(std::string("sqlite: ") + op +
                                    ": storage is not running (not started, or closed)");
}

}  // namespace

SqliteStorage::SqliteStorage(SqliteOptions options) : options_(std::move(options)) {}

SqliteStorage::~SqliteStorage() {
  Close([](Status status) { status.IgnoreError(); });
}

void SqliteStorage::Start(DoneCallback ready) {
  std::lock_guard lock(lifecycle_mu_);
  if (state_.load() != State::kNew) {
    return ready(Status::FailedPrecondition("sqlite: Start called more than once"));
  }
  write_worker_ = std::make_unique<WorkerThread>("strata-sqlite-w", this);
  read_worker_ = std::make_unique<WorkerThread>("strata-sqlite-r", this);
  state_.store(State::kStarting);
  write_worker_->Post([this, ready = std::move(ready)](Status queue) mutable {
    if (!queue.ok()) return Finish(queue, std::move(ready));
    Status opened = writer_.Open(options_);
    if (!opened.ok()) return Finish(opened, std::move(ready));
    OpenReader(std::move(ready));  // after the writer: the table must exist
  });
}

void SqliteStorage::OpenReader(DoneCallback ready) {
  read_worker_->Post([this, ready = std::move(ready)](Status queue) mutable {
    Finish(queue.ok() ? reader_.Open(options_) : queue, std::move(ready));
  });
}

void SqliteStorage::Finish(const Status& status, DoneCallback ready) {
  State expected = State::kStarting;
  const State next = status.ok() ? State::kRunning : State::kFailed;
  if (!state_.compare_exchange_strong(expected, next)) {
    return ready(Status::FailedPrecondition("sqlite: closed while starting"));
  }
  ready(status);
}

void SqliteStorage::Close(DoneCallback done) {
  if (WorkerThread::CurrentOwner() == this) {
    return done(Status::FailedPrecondition("sqlite: Close called from its own completion"));
  }
  Status status;
  {
    std::lock_guard lock(lifecycle_mu_);
    const State previous = state_.exchange(State::kClosed);
    if (previous != State::kClosed && write_worker_ != nullptr) {
      write_worker_->Stop();  // runs what is queued; a start in progress may still post a read
      read_worker_->Stop();
      // The joins made the connections ours. The writer closes last: the last connection to
      // close checkpoints the WAL into the database file and removes it.
      status = reader_.Close();
      Status writer_closed = writer_.Close();
      if (status.ok()) status = writer_closed;
    }
  }
  done(status);
}

template <typename Cb, typename Work>
void SqliteStorage::Dispatch(const std::unique_ptr<WorkerThread>& worker, const char* op, Cb cb,
                             Work work) {
  // kRunning is stored after the workers exist, so the pointer is safe to use once it is seen.
  if (state_.load(std::memory_order_acquire) != State::kRunning) return cb(NotRunning(op));
  worker->Post([op, cb = std::move(cb), work = std::move(work)](Status queue) mutable {
    if (!queue.ok()) return cb(NotRunning(op));  // Close() won the race
    cb(work());
  });
}

void SqliteStorage::Get(std::string_view name, Callback<std::optional<RecordValue>> cb) {
  Dispatch(read_worker_, "get", std::move(cb),
           [this, name = std::string(name)] { return reader_.Select(name); });
}

void SqliteStorage::GetBulk(std::span<const std::string> names, Callback<GetBulkResult> cb) {
  Dispatch(read_worker_, "get batch", std::move(cb),
           [this, names = std::vector<std::string>(names.begin(), names.end())] {
             return reader_.SelectAll(names);
           });
}

void SqliteStorage::Set(std::string_view name, const RecordValue& value, DoneCallback cb) {
  Dispatch(write_worker_, "set", std::move(cb),
           [this, name = std::string(name), value] { return writer_.Upsert(name, value); });
}

void SqliteStorage::Delete(std::string_view name, DoneCallback cb) {
  Dispatch(write_worker_, "delete", std::move(cb),
           [this, name = std::string(name)] { return writer_.Remove(name); });
}

void SqliteStorage::SetBulk(std::span<const NamedValue> batch, DoneCallback cb) {
  Dispatch(write_worker_, "set batch", std::move(cb),
           [this, batch = std::vector<NamedValue>(batch.begin(), batch.end())] {
             return writer_.UpsertAll(batch);
           });
}

void SqliteStorage::DeleteBulk(std::span<const std::string> names, DoneCallback cb) {
  Dispatch(write_worker_, "delete batch", std::move(cb),
           [this, names = std::vector<std::string>(names.begin(), names.end())] {
             return writer_.RemoveAll(names);
           });
}

Result<std::unique_ptr<StorageConnector>> NewSqliteStorage(std::string_view options_json) {
  STRATA_ASSIGN_OR_RETURN(SqliteOptions options, ParseSqliteOptions(options_json));
  return std::unique_ptr<StorageConnector>(std::make_unique<SqliteStorage>(std::move(options)));
}

}  // namespace strata

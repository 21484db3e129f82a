#include "connectors/sqlite/sqlite_storage.h"

#include <utility>
#include <vector>

namespace strata {

SqliteStorage::SqliteStorage(SqliteOptions options)
    : options_(std::move(options)), lifecycle_("sqlite", "storage") {}

SqliteStorage::~SqliteStorage() {
  Close([](Status status) { status.IgnoreError(); });
}

void SqliteStorage::Start(DoneCallback ready) {
  lifecycle_.Start(std::move(ready), [this](DoneCallback ready) {
    write_worker_ = lifecycle_.NewWorker("strata-sqlite-w");
    read_worker_ = lifecycle_.NewWorker("strata-sqlite-r");
    write_worker_->Post([this, ready = std::move(ready)](Status queue) mutable {
      Status opened = queue.ok() ? writer_.Open(options_) : queue;
      if (!opened.ok()) return ready(lifecycle_.FinishStart(opened));
      OpenReader(std::move(ready));  // after the writer: the table must exist
    });
  });
}

void SqliteStorage::OpenReader(DoneCallback ready) {
  read_worker_->Post([this, ready = std::move(ready)](Status queue) mutable {
    ready(lifecycle_.FinishStart(queue.ok() ? reader_.Open(options_) : queue));
  });
}

void SqliteStorage::Close(DoneCallback done) {
  lifecycle_.Close(std::move(done), [this] {
    write_worker_->Stop();  // runs what is queued; a start in progress may still post a read
    read_worker_->Stop();
    // The joins made the connections ours. The writer closes last: the last connection to
    // close checkpoints the WAL into the database file and removes it.
    Status status = reader_.Close();
    Status writer_closed = writer_.Close();
    return status.ok() ? writer_closed : status;
  });
}

void SqliteStorage::Get(std::string_view name, Callback<std::optional<RecordValue>> cb) {
  lifecycle_.Dispatch(read_worker_, "get", std::move(cb),
                      [this, name = std::string(name)] { return reader_.Select(name); });
}

void SqliteStorage::GetBulk(std::span<const std::string> names, Callback<GetBulkResult> cb) {
  lifecycle_.Dispatch(read_worker_, "get batch", std::move(cb),
                      [this, names = std::vector<std::string>(names.begin(), names.end())] {
                        return reader_.SelectAll(names);
                      });
}

void SqliteStorage::Set(std::string_view name, const RecordValue& value, DoneCallback cb) {
  lifecycle_.Dispatch(write_worker_, "set", std::move(cb), [this, name = std::string(name), value] {
    return writer_.Upsert(name, value);
  });
}

void SqliteStorage::Delete(std::string_view name, DoneCallback cb) {
  lifecycle_.Dispatch(write_worker_, "delete", std::move(cb),
                      [this, name = std::string(name)] { return writer_.Remove(name); });
}

void SqliteStorage::SetBulk(std::span<const NamedValue> batch, DoneCallback cb) {
  lifecycle_.Dispatch(write_worker_, "set batch", std::move(cb),
                      [this, batch = std::vector<NamedValue>(batch.begin(), batch.end())] {
                        return writer_.UpsertAll(batch);
                      });
}

void SqliteStorage::DeleteBulk(std::span<const std::string> names, DoneCallback cb) {
  lifecycle_.Dispatch(write_worker_, "delete batch", std::move(cb),
                      [this, names = std::vector<std::string>(names.begin(), names.end())] {
                        return writer_.RemoveAll(names);
                      });
}

Result<std::unique_ptr<StorageConnector>> NewSqliteStorage(std::string_view options_json) {
  STRATA_ASSIGN_OR_RETURN(SqliteOptions options, ParseSqliteOptions(options_json));
  return std::unique_ptr<StorageConnector>(std::make_unique<SqliteStorage>(std::move(options)));
}

}  // namespace strata

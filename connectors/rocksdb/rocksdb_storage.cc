#include "connectors/rocksdb/rocksdb_storage.h"

#include <filesystem>
#include <utility>
#include <vector>

#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <rocksdb/write_batch.h>

#include "connectors/rocksdb/record_codec.h"

namespace strata {
namespace {

rocksdb::Slice AsSlice(std::string_view s) { return rocksdb::Slice(s.data(), s.size()); }

// A RocksDB failure of `what` as a strata Status.
Status FromRocksdb(const rocksdb::Status& s, const std::string& what) {
  std::string message = "rocksdb: " + what + ": " + s.ToString();
  if (s.IsCorruption()) return Status::DataLoss(message);
  if (s.IsIOError() || s.IsBusy() || s.IsTryAgain() || s.IsTimedOut()) {
    return Status::Unavailable(message);
  }
  return Status::Internal(message);
}

// What a read of `name` found: its status and, if found, the stored bytes.
Result<std::optional<RecordValue>> ToRecord(const rocksdb::Status& s, std::string_view stored,
                                            const std::string& name, const std::string& path) {
  if (s.IsNotFound()) return std::optional<RecordValue>();
  if (!s.ok()) return FromRocksdb(s, "get '" + name + "' from " + path);
  Result<RecordValue> value = rocks::DecodeValue(stored);
  if (!value.ok()) {
    return Status(value.status().code(), std::string(value.status().message()) + " (record '" +
                                             name + "' in " + path + ")");
  }
  return std::optional<RecordValue>(std::move(value).value());
}

bool IsLockConflict(const rocksdb::Status& s) {
  return s.IsIOError() && s.ToString().find("lock") != std::string::npos;
}

}  // namespace

RocksdbStorage::RocksdbStorage(RocksdbOptions options)
    : options_(std::move(options)), lifecycle_("rocksdb", "storage") {}

RocksdbStorage::~RocksdbStorage() {
  Close([](Status status) { status.IgnoreError(); });
}

void RocksdbStorage::Start(DoneCallback ready) {
  lifecycle_.Start(std::move(ready), [this](DoneCallback ready) {
    write_worker_ = lifecycle_.NewWorker("strata-rocks-w");
    read_worker_ = lifecycle_.NewWorker("strata-rocks-r");
    write_worker_->Post([this, ready = std::move(ready)](Status queue) mutable {
      ready(lifecycle_.FinishStart(queue.ok() ? Open() : queue));
    });
  });
}

Status RocksdbStorage::Open() {
  std::error_code error;
  std::filesystem::create_directories(options_.path, error);
  if (error) {
    return Status::Unavailable("rocksdb: cannot create directory " + options_.path + ": " +
                               error.message());
  }
  rocksdb::Options options;
  options.create_if_missing = true;
  options.keep_log_file_num = 3;  // RocksDB's own info logs, not the write-ahead log
  rocksdb::Status s = rocksdb::DB::Open(options, options_.path, &db_);
  if (s.ok()) return Status();
  db_ = nullptr;
  if (IsLockConflict(s)) {
    return Status::Unavailable("rocksdb: " + options_.path +
                               " is in use by another strata process or storage instance "
                               "(database lock held): " +
                               s.ToString());
  }
  return FromRocksdb(s, "cannot open " + options_.path);
}

void RocksdbStorage::Close(DoneCallback done) {
  lifecycle_.Close(std::move(done), [this] {
    write_worker_->Stop();  // runs what is queued
    read_worker_->Stop();
    return CloseDb();  // the joins made db_ ours
  });
}

Status RocksdbStorage::CloseDb() {
  if (db_ == nullptr) return Status();
  // Flushing the memtables makes the next open fast (no log to replay).
  Status status;
  rocksdb::Status flushed = db_->Flush(rocksdb::FlushOptions());
  if (!flushed.ok()) status = FromRocksdb(flushed, "flush on close");
  rocksdb::Status closed = db_->Close();
  if (!closed.ok() && status.ok()) status = FromRocksdb(closed, "close");
  delete db_;
  db_ = nullptr;
  return status;
}

Status RocksdbStorage::Write(rocksdb::WriteBatch& batch, const char* op) {
  rocksdb::WriteOptions write_options;
  write_options.sync = options_.sync;
  rocksdb::Status s = db_->Write(write_options, &batch);
  return s.ok() ? Status() : FromRocksdb(s, std::string(op) + " in " + options_.path);
}

Result<std::optional<RecordValue>> RocksdbStorage::Read(const std::string& name) {
  std::string stored;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), AsSlice(name), &stored);
  return ToRecord(s, stored, name, options_.path);
}

Result<GetBulkResult> RocksdbStorage::ReadAll(const std::vector<std::string>& names) {
  // One MultiGet: one snapshot for the batch, and RocksDB batches the lookups per memtable,
  // file and block instead of searching for each key from the top.
  std::vector<rocksdb::Slice> keys(names.begin(), names.end());
  std::vector<rocksdb::PinnableSlice> values(names.size());
  std::vector<rocksdb::Status> statuses(names.size());
  db_->MultiGet(rocksdb::ReadOptions(), db_->DefaultColumnFamily(), names.size(), keys.data(),
                values.data(), statuses.data());
  GetBulkResult rows;
  rows.reserve(names.size());
  for (size_t i = 0; i < names.size(); ++i) {
    STRATA_ASSIGN_OR_RETURN(
        std::optional<RecordValue> row,
        ToRecord(statuses[i], values[i].ToStringView(), names[i], options_.path));
    rows.push_back(std::move(row));
  }
  return rows;
}

void RocksdbStorage::Get(std::string_view name, Callback<std::optional<RecordValue>> cb) {
  lifecycle_.Dispatch(read_worker_, "get", std::move(cb),
                      [this, name = std::string(name)] { return Read(name); });
}

void RocksdbStorage::GetBulk(std::span<const std::string> names, Callback<GetBulkResult> cb) {
  lifecycle_.Dispatch(read_worker_, "get batch", std::move(cb),
                      [this, names = std::vector<std::string>(names.begin(), names.end())] {
                        return ReadAll(names);
                      });
}

void RocksdbStorage::Set(std::string_view name, const RecordValue& value, DoneCallback cb) {
  lifecycle_.Dispatch(write_worker_, "set", std::move(cb),
                      [this, name = std::string(name), stored = rocks::EncodeValue(value)] {
                        rocksdb::WriteBatch batch;
                        batch.Put(AsSlice(name), AsSlice(stored));
                        return Write(batch, "set");
                      });
}

void RocksdbStorage::Delete(std::string_view name, DoneCallback cb) {
  lifecycle_.Dispatch(write_worker_, "delete", std::move(cb), [this, name = std::string(name)] {
    rocksdb::WriteBatch batch;
    batch.Delete(AsSlice(name));
    return Write(batch, "delete");
  });
}

void RocksdbStorage::SetBulk(std::span<const NamedValue> batch, DoneCallback cb) {
  // Encoded on the calling thread: the span is only valid until this call returns.
  auto write = std::make_shared<rocksdb::WriteBatch>();
  for (const NamedValue& nv : batch) {
    write->Put(AsSlice(nv.name), AsSlice(rocks::EncodeValue(nv.value)));  // later puts win
  }
  lifecycle_.Dispatch(write_worker_, "set batch", std::move(cb),
                      [this, write] { return Write(*write, "set batch"); });
}

void RocksdbStorage::DeleteBulk(std::span<const std::string> names, DoneCallback cb) {
  auto write = std::make_shared<rocksdb::WriteBatch>();
  for (const std::string& name : names) write->Delete(AsSlice(name));
  lifecycle_.Dispatch(write_worker_, "delete batch", std::move(cb),
                      [this, write] { return Write(*write, "delete batch"); });
}

Result<std::unique_ptr<StorageConnector>> NewRocksdbStorage(std::string_view options_json) {
  STRATA_ASSIGN_OR_RETURN(RocksdbOptions options, ParseRocksdbOptions(options_json));
  return std::unique_ptr<StorageConnector>(std::make_unique<RocksdbStorage>(std::move(options)));
}

}  // namespace strata

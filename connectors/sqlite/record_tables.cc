#include "connectors/sqlite/record_tables.h"

#include <filesystem>
#include <system_error>

namespace strata {
namespace {

constexpr const char* kCreateTable =
    "CREATE TABLE IF NOT EXISTS records ("
    "name TEXT PRIMARY KEY NOT NULL, version INTEGER NOT NULL, data TEXT NOT NULL"
    ") WITHOUT ROWID";
constexpr const char* kUpsert =
    "INSERT INTO records (name, version, data) VALUES (?1, ?2, ?3) "
    "ON CONFLICT(name) DO UPDATE SET version = excluded.version, data = excluded.data";
constexpr const char* kRemove = "DELETE FROM records WHERE name = ?1";
constexpr const char* kSelect = "SELECT version, data FROM records WHERE name = ?1";

std::string Quoted(std::string_view op, std::string_view name) {
  return std::string(op) + " '" + std::string(name) + "'";
}

// Open errors other than corruption mean "this path can't be used now": kUnavailable.
Status OpenError(Status status) {
  if (status.ok() || status.code() == StatusCode::kDataLoss) return status;
  return Status::Unavailable(status.message());
}

Status CreateParentDirectory(const std::string& path) {
  std::filesystem::path parent = std::filesystem::path(path).parent_path();
  if (parent.empty()) return Status();
  std::error_code error;
  std::filesystem::create_directories(parent, error);
  if (!error) return Status();
  return Status::Unavailable("sqlite: cannot create directory '" + parent.string() + "' for '" +
                             path + "': " + error.message());
}

const char* SyncPragma(SqliteSync mode) {
  return mode == SqliteSync::kFull ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL";
}

// The statement's finished; an error takes the connection's message before Reset clears it.
Status StepDone(Database& db, Statement& stmt, std::string_view op, std::string_view name) {
  int rc = stmt.Step();
  Status status = rc == SQLITE_DONE ? Status() : db.Error(rc, Quoted(op, name));
  stmt.Reset();
  return status;
}

}  // namespace

Status RecordWriter::Open(const SqliteOptions& options) {
  STRATA_RETURN_IF_ERROR(CreateParentDirectory(options.path));
  const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
  STRATA_RETURN_IF_ERROR(OpenError(db_.Open(options.path, flags, options.busy_timeout_ms)));
  STRATA_RETURN_IF_ERROR(OpenError(db_.Exec("PRAGMA journal_mode=WAL", "set WAL mode")));
  STRATA_RETURN_IF_ERROR(OpenError(db_.Exec(SyncPragma(options.synchronous), "set sync mode")));
  STRATA_RETURN_IF_ERROR(OpenError(db_.Exec(kCreateTable, "create table records")));
  STRATA_RETURN_IF_ERROR(db_.Prepare(kUpsert, upsert_));
  STRATA_RETURN_IF_ERROR(db_.Prepare(kRemove, remove_));
  STRATA_RETURN_IF_ERROR(db_.Prepare("BEGIN IMMEDIATE", begin_));
  STRATA_RETURN_IF_ERROR(db_.Prepare("COMMIT", commit_));
  return db_.Prepare("ROLLBACK", rollback_);
}

Status RecordWriter::UpsertOne(const std::string& name, const RecordValue& value) {
  upsert_.BindText(1, name);
  upsert_.BindInt(2, value.version);
  upsert_.BindText(3, value.json);
  return StepDone(db_, upsert_, "set", name);
}

Status RecordWriter::RemoveOne(const std::string& name) {
  remove_.BindText(1, name);
  return StepDone(db_, remove_, "delete", name);
}

Status RecordWriter::Upsert(const std::string& name, const RecordValue& value) {
  return UpsertOne(name, value);
}

Status RecordWriter::Remove(const std::string& name) { return RemoveOne(name); }

template <typename Body>
Status RecordWriter::InTransaction(std::string_view what, Body body) {
  STRATA_RETURN_IF_ERROR(StepDone(db_, begin_, "begin", what));
  Status status = body();
  if (status.ok()) status = StepDone(db_, commit_, "commit", what);
  if (!status.ok()) StepDone(db_, rollback_, "rollback", what).IgnoreError();
  return status;
}

Status RecordWriter::UpsertAll(std::span<const NamedValue> batch) {
  if (batch.empty()) return Status();
  std::string what = "set batch of " + std::to_string(batch.size());
  return InTransaction(what, [&] {
    for (const NamedValue& nv : batch) STRATA_RETURN_IF_ERROR(UpsertOne(nv.name, nv.value));
    return Status();
  });
}

Status RecordWriter::RemoveAll(std::span<const std::string> names) {
  if (names.empty()) return Status();
  std::string what = "delete batch of " + std::to_string(names.size());
  return InTransaction(what, [&] {
    for (const std::string& name : names) STRATA_RETURN_IF_ERROR(RemoveOne(name));
    return Status();
  });
}

Status RecordWriter::Close() {
  for (Statement* stmt : {&upsert_, &remove_, &begin_, &commit_, &rollback_}) stmt->Finalize();
  return db_.Close();
}

Status RecordReader::Open(const SqliteOptions& options) {
  const int flags = SQLITE_OPEN_READONLY;
  STRATA_RETURN_IF_ERROR(OpenError(db_.Open(options.path, flags, options.busy_timeout_ms)));
  STRATA_RETURN_IF_ERROR(db_.Prepare("BEGIN", begin_));
  STRATA_RETURN_IF_ERROR(db_.Prepare("COMMIT", commit_));
  return db_.Prepare(kSelect, select_);
}

Result<std::optional<RecordValue>> RecordReader::Select(const std::string& name) {
  select_.BindText(1, name);
  int rc = select_.Step();
  Result<std::optional<RecordValue>> result = std::optional<RecordValue>();
  if (rc == SQLITE_ROW) {
    sqlite3_stmt* row = select_.get();
    const char* text = reinterpret_cast<const char*>(sqlite3_column_text(row, 1));
    size_t size = static_cast<size_t>(sqlite3_column_bytes(row, 1));
    result = std::optional<RecordValue>(
        RecordValue{sqlite3_column_int(row, 0), std::string(text ? text : "", size)});
  } else if (rc != SQLITE_DONE) {
    result = db_.Error(rc, Quoted("get", name));
  }
  select_.Reset();
  return result;
}

Result<GetBulkResult> RecordReader::SelectAll(std::span<const std::string> names) {
  if (names.empty()) return GetBulkResult{};
  // One read transaction: the batch sees one state of the file and takes the WAL read lock
  // once instead of once per name.
  std::string what = "get batch of " + std::to_string(names.size());
  STRATA_RETURN_IF_ERROR(StepDone(db_, begin_, "begin", what));
  Result<GetBulkResult> rows = SelectEach(names);
  // Ends the transaction after an error too, or later reads would keep its old snapshot.
  Status ended = StepDone(db_, commit_, "commit", what);
  if (rows.ok() && !ended.ok()) return ended;
  return rows;
}

Result<GetBulkResult> RecordReader::SelectEach(std::span<const std::string> names) {
  GetBulkResult rows;
  rows.reserve(names.size());
  for (const std::string& name : names) {
    STRATA_ASSIGN_OR_RETURN(std::optional<RecordValue> row, Select(name));
    rows.push_back(std::move(row));
  }
  return rows;
}

Status RecordReader::Close() {
  for (Statement* stmt : {&select_, &begin_, &commit_}) stmt->Finalize();
  return db_.Close();
}

}  // namespace strata

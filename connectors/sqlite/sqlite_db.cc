#include "connectors/sqlite/sqlite_db.h"

#include <utility>

namespace strata {

Status SqliteStatus(int rc, std::string_view what, std::string_view detail) {
  std::string message = "sqlite: " + std::string(what) + ": " + std::string(detail);
  switch (rc & 0xff) {  // the primary code; extended codes refine it
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_CANTOPEN:
      return Status::Unavailable(message);
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return Status::DataLoss(message);
    default:
      return Status::Internal(message);
  }
}

Statement& Statement::operator=(Statement&& other) noexcept {
  if (this != &other) {
    sqlite3_finalize(stmt_);
    stmt_ = std::exchange(other.stmt_, nullptr);
  }
  return *this;
}

void Statement::BindText(int index, std::string_view text) {
  sqlite3_bind_text64(stmt_, index, text.data(), text.size(), SQLITE_STATIC, SQLITE_UTF8);
}

void Statement::Reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

void Statement::Finalize() {
  sqlite3_finalize(stmt_);
  stmt_ = nullptr;
}

Status Database::Open(const std::string& path, int flags, int busy_timeout_ms) {
  path_ = path;
  int rc = sqlite3_open_v2(path.c_str(), &db_, flags | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    // sqlite usually hands back a handle even on failure; it carries the message.
    Status status = Error(rc, "open");
    Close().IgnoreError();
    return status;
  }
  sqlite3_extended_result_codes(db_, 1);
  sqlite3_busy_timeout(db_, busy_timeout_ms);
  return Status();
}

Status Database::Exec(const char* sql, std::string_view what) {
  int rc = sqlite3_exec(db_, sql, nullptr, nullptr, nullptr);
  return rc == SQLITE_OK ? Status() : Error(rc, what);
}

Status Database::Prepare(const char* sql, Statement& out) {
  out.Finalize();
  int rc = sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &out.stmt_, nullptr);
  return rc == SQLITE_OK ? Status() : Error(rc, std::string("prepare '") + sql + "'");
}

Status Database::Error(int rc, std::string_view what) const {
  std::string detail = db_ != nullptr ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
  return SqliteStatus(rc, what, detail + " (" + path_ + ")");
}

Status Database::Close() {
  if (db_ == nullptr) return Status();
  int rc = sqlite3_close(db_);
  if (rc != SQLITE_OK) {
    Status status = Error(rc, "close");
    sqlite3_close_v2(db_);  // a zombie until the stray statements go; never leaks the file
    db_ = nullptr;
    return status;
  }
  db_ = nullptr;
  return Status();
}

}  // namespace strata

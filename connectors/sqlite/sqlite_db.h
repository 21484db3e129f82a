#pragma once
// Thin RAII owners of a sqlite3 connection and its prepared statements, plus the one place that
// maps sqlite result codes to strata Status codes.
//
// Thread-safety: none. Connections are opened with SQLITE_OPEN_NOMUTEX; each Database and its
// Statements are used by one thread at a time (in strata: by the jobs of one WorkerThread).

#include <string>
#include <string_view>

#include <sqlite3.h>

#include "strata/status.h"

namespace strata {

// BUSY, LOCKED, IOERR, FULL, CANTOPEN -> kUnavailable (retry later); CORRUPT, NOTADB ->
// kDataLoss; anything else -> kInternal. The message reads "sqlite: <what>: <detail>".
Status SqliteStatus(int rc, std::string_view what, std::string_view detail);

class Statement {
 public:
  Statement() = default;
  ~Statement() { sqlite3_finalize(stmt_); }
  Statement(Statement&& other) noexcept : stmt_(other.stmt_) { other.stmt_ = nullptr; }
  Statement& operator=(Statement&& other) noexcept;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  // Binds without copying: `text` must stay alive until the next Reset().
  void BindText(int index, std::string_view text);
  void BindInt(int index, int value) { sqlite3_bind_int(stmt_, index, value); }
  int Step() { return sqlite3_step(stmt_); }
  // Makes the statement reusable and drops the bindings.
  void Reset();
  void Finalize();
  sqlite3_stmt* get() const { return stmt_; }

 private:
  friend class Database;
  sqlite3_stmt* stmt_ = nullptr;
};

class Database {
 public:
  Database() = default;
  ~Database() { Close().IgnoreError(); }
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  // Opens `path` with sqlite3_open_v2 `flags` (NOMUTEX is added). Errors name the path.
  Status Open(const std::string& path, int flags, int busy_timeout_ms);
  // Runs SQL that returns no rows the caller needs.
  Status Exec(const char* sql, std::string_view what);
  // Prepares a statement meant to be reused for the connection's lifetime.
  Status Prepare(const char* sql, Statement& out);
  // The Status for a failed call on this connection, with sqlite's own message.
  Status Error(int rc, std::string_view what) const;
  // Closes the connection. REQUIRES: its statements are finalized. Idempotent.
  Status Close();
  bool is_open() const { return db_ != nullptr; }
  const std::string& path() const { return path_; }

 private:
  sqlite3* db_ = nullptr;
  std::string path_;
};

}  // namespace strata

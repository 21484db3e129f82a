#pragma once
// PgOp: one connector operation on its way through the PostgreSQL connection pool, as the SQL it
// runs. An operation is a list of groups; each group is a list of statements that the server
// runs as one implicit transaction (a pipeline sync ends it), so an error in one group never
// aborts another. The operation completes exactly once, when its last group has been answered
// or when its connection is lost.
//
// Thread-safety: none; built on the caller's thread, then owned by the engine's loop thread.

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "strata/callback.h"
#include "strata/record_value.h"
#include "strata/storage_connector.h"

namespace strata {

// A bulk read's ids of one table and, for each, where its row goes in the answer. One id may
// answer several names: deepstream's table-name filter maps e.g. `a"/x` and `a/x` to one row.
// Fenced writes use it the same way for the ids their statements RETURN.
using IdPositions = std::map<std::string, std::vector<size_t>, std::less<>>;

struct SqlStatement {
  std::string sql;
  std::vector<std::string> params;  // text format; the server infers their types
  // Fenced writes: the statement RETURNs the ids it wrote; each marks these answer positions
  // applied.
  IdPositions returning;
};

struct SqlGroup {
  std::vector<SqlStatement> statements;
  // A missing table (42P01) is no error: a Get answers "not found", a Delete has nothing to do.
  bool missing_table_ok = false;
  // The group creates `table` (or the schema) IF NOT EXISTS; a concurrent creator's duplicate
  // error is no error, and success is remembered so later writes skip the DDL.
  bool creates = false;
  std::string table;
};

// Hands a read its rows (or a fenced write its answer), or its error.
template <typename T>
void AnswerRead(const Status& status, Callback<T> cb, T&& rows) {
  if (status.ok()) {
    cb(std::move(rows));
  } else {
    cb(status);
  }
}

struct PgOp {
  enum class Kind { kGet, kGetBulk, kWrite, kFencedWrite, kInit };

  Kind kind = Kind::kWrite;
  std::string what;     // "get", "set", ... for error messages
  std::string subject;  // the record name (or "a and 9 more") for error messages
  // Writes only: the record names, so that writes of one record run one at a time, in order.
  std::vector<std::string> keys;
  // Writes only: the tables written, created (and given the seq column) first if not known.
  std::vector<std::string> tables;
  std::vector<SqlGroup> groups;

  // Outcome, filled in by the connection. The first error wins.
  Status status;
  std::optional<RecordValue> row;
  bool missing_table = false;        // a write found its table gone (dropped behind strata's back)
  std::vector<std::string> created;  // tables this op created
  // kGetBulk: the answer, one entry per asked name; wanted[g] places the rows group g selects.
  // Only writes get groups prepended (AddEnsureGroups), so a read's group indices are stable.
  GetBulkResult rows;
  std::vector<IdPositions> wanted;
  // kFencedWrite: one entry per row asked, set by the ids the statements return.
  FencedResult applied;

  Callback<std::optional<RecordValue>> get_done;  // kGet
  Callback<GetBulkResult> get_bulk_done;          // kGetBulk
  Callback<FencedResult> fenced_done;             // kFencedWrite
  DoneCallback done;                              // kWrite, kInit

  bool is_write() const { return kind == Kind::kWrite || kind == Kind::kFencedWrite; }

  // Calls the completion with `status` (and the rows for a read). Exactly once.
  void Complete() {
    switch (kind) {
      case Kind::kGet:
        return AnswerRead(status, std::move(get_done), std::move(row));
      case Kind::kGetBulk:
        return AnswerRead(status, std::move(get_bulk_done), std::move(rows));
      case Kind::kFencedWrite:
        return AnswerRead(status, std::move(fenced_done), std::move(applied));
      case Kind::kWrite:
      case Kind::kInit: {
        auto cb = std::move(done);
        return cb(status);
      }
    }
  }
  void Fail(Status why) {
    status = std::move(why);
    Complete();
  }
};

}  // namespace strata

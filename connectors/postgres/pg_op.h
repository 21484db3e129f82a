#pragma once
// PgOp: one connector operation on its way through the PostgreSQL connection pool, as the SQL it
// runs. An operation is a list of groups; each group is a list of statements that the server
// runs as one implicit transaction (a pipeline sync ends it), so an error in one group never
// aborts another. The operation completes exactly once, when its last group has been answered
// or when its connection is lost.
//
// Thread-safety: none; built on the caller's thread, then owned by the engine's loop thread.

#include <optional>
#include <string>
#include <vector>

#include "strata/callback.h"
#include "strata/record_value.h"

namespace strata {

struct SqlStatement {
  std::string sql;
  std::vector<std::string> params;  // text format; the server infers their types
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

struct PgOp {
  enum class Kind { kGet, kWrite, kInit };

  Kind kind = Kind::kWrite;
  std::string what;     // "get", "set", ... for error messages
  std::string subject;  // the record name (or "a and 9 more") for error messages
  // Writes only: the record names, so that writes of one record run one at a time, in order.
  std::vector<std::string> keys;
  // Writes only: the tables written, created first if not known to exist.
  std::vector<std::string> tables;
  std::vector<SqlGroup> groups;

  // Outcome, filled in by the connection. The first error wins.
  Status status;
  std::optional<RecordValue> row;
  bool missing_table = false;  // a write found its table gone (dropped behind strata's back)
  std::vector<std::string> created;  // tables this op created

  Callback<std::optional<RecordValue>> get_done;  // kGet
  DoneCallback done;                              // kWrite, kInit

  // Calls the completion with `status` (and `row` for a get). Exactly once.
  void Complete() {
    if (kind == Kind::kGet) {
      auto cb = std::move(get_done);
      if (status.ok()) {
        cb(std::move(row));
      } else {
        cb(status);
      }
    } else {
      auto cb = std::move(done);
      cb(status);
    }
  }
  void Fail(Status why) {
    status = std::move(why);
    Complete();
  }
};

}  // namespace strata

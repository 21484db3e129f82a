#pragma once
// The SQL of the sqlite storage connector: table `records(name, version, data)` and the
// prepared statements that read and write it. RecordWriter owns the read-write connection,
// RecordReader a read-only one on the same file (WAL lets it read while a batch is written).
//
// Thread-safety: none; each object is confined to one WorkerThread (see sqlite_storage.h).

#include <optional>
#include <span>
#include <string>

#include "connectors/sqlite/sqlite_db.h"
#include "connectors/sqlite/sqlite_options.h"
#include "strata/record_value.h"
#include "strata/status.h"
#include "strata/storage_connector.h"

namespace strata {

class RecordWriter {
 public:
  // Creates the parent directory and the file, sets WAL and the sync mode, creates the table and
  // prepares the statements. Errors are kUnavailable (kDataLoss for a corrupt file) naming the
  // path and sqlite's message.
  Status Open(const SqliteOptions& options);
  // Upserts one record (its own implicit transaction).
  Status Upsert(const std::string& name, const RecordValue& value);
  // Upserts the batch in one transaction: all or nothing.
  Status UpsertAll(std::span<const NamedValue> batch);
  // Deleting a missing record is OK.
  Status Remove(const std::string& name);
  // Removes the names in one transaction: all or nothing.
  Status RemoveAll(std::span<const std::string> names);
  // Finalizes the statements and closes the connection. Idempotent.
  Status Close();

 private:
  Status UpsertOne(const std::string& name, const RecordValue& value);
  Status RemoveOne(const std::string& name);
  // Runs `body` between BEGIN IMMEDIATE and COMMIT, rolling back if either fails.
  template <typename Body>
  Status InTransaction(std::string_view what, Body body);

  Database db_;
  Statement upsert_;
  Statement remove_;
  Statement begin_;
  Statement commit_;
  Statement rollback_;
};

class RecordReader {
 public:
  // Opens the file read-only. REQUIRES: RecordWriter::Open succeeded (the table exists).
  Status Open(const SqliteOptions& options);
  Result<std::optional<RecordValue>> Select(const std::string& name);
  // One answer per name, in order, all read in one transaction (one snapshot of the file).
  // The first error fails the whole batch.
  Result<GetBulkResult> SelectAll(std::span<const std::string> names);
  Status Close();

 private:
  Result<GetBulkResult> SelectEach(std::span<const std::string> names);

  Database db_;
  Statement select_;
  Statement begin_;
  Statement commit_;
};

}  // namespace strata

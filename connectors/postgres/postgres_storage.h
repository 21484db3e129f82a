#pragma once
// PostgresStorage: the "postgres" storage connector. Records live in PostgreSQL in the table
// layout of deepstream's own connector (record_sql.h), so an existing deepstream database is
// served without migration.
//
// Design: a PgEngine (pg_engine.h) owns one thread and a pool of `max` libpq connections in
// non-blocking pipeline mode. Every method only builds the SQL and hands it to that thread, so
// the caller never waits for the network; completions run on the engine's thread (or at once on
// the caller's thread when the operation is refused: not started, closed, or offline).
//   Get        SELECT version, val::text ... WHERE id = $1 (a missing table is a miss)
//   GetBulk    SELECT id, version, val::text ... WHERE id IN (...), one per table touched, all
//              pipelined as one operation; rows go back to the order asked
//   Set        one upsert (INSERT ... ON CONFLICT (id) DO UPDATE)
//   SetBulk    multi-row upserts, all in one transaction (one pipeline sync)
//   Delete(s)  DELETE ... WHERE id IN (...), one transaction per table
//   SetBulkFenced, DeleteBulkFenced
//              multi-row fenced upserts (RETURNING the ids written), all in one transaction; a
//              delete writes a tombstone row (version -1) carrying its fence. Reads skip
//              tombstones; the TombstoneJanitor purges those older than tombstoneTtl.
// Tables are created on first write (CREATE TABLE IF NOT EXISTS, then ADD COLUMN IF NOT EXISTS
// seq for tables made by deepstream or an older strata); Start creates the schema and the
// default table and answers kUnavailable naming host:port when the server is unreachable.
//
// Errors: connection loss, server shutdown, a missing server -> kUnavailable (strata retries
// writes) plus kConnectionLost on the listener; reconnection with backoff, then
// kConnectionRestored. SQL errors on bad data -> kInvalidArgument naming the record.
//
// Thread-safety: every method may be called from any thread. The destructor must not run on one
// of this connector's completions unless Close() has completed.

#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "connectors/postgres/pg_engine.h"
#include "connectors/postgres/postgres_options.h"
#include "connectors/postgres/record_sql.h"
#include "strata/storage_connector.h"

namespace strata {

class PostgresStorage final : public StorageConnector {
 public:
  explicit PostgresStorage(PostgresOptions options);
  ~PostgresStorage() override;
  PostgresStorage(const PostgresStorage&) = delete;
  PostgresStorage& operator=(const PostgresStorage&) = delete;

  std::string_view Name() const override { return "postgres"; }
  void Start(DoneCallback ready) override;
  // Finishes what was submitted, disconnects; `done` runs when that is over. Idempotent.
  void Close(DoneCallback done) override;
  void SetEventListener(ConnectorEventListener listener) override;

  void Get(std::string_view name, Callback<std::optional<RecordValue>> cb) override;
  void GetBulk(std::span<const std::string> names, Callback<GetBulkResult> cb) override;
  void Set(std::string_view name, const RecordValue& value, DoneCallback cb) override;
  void Delete(std::string_view name, DoneCallback cb) override;
  void SetBulk(std::span<const NamedValue> batch, DoneCallback cb) override;
  void DeleteBulk(std::span<const std::string> names, DoneCallback cb) override;

  bool SupportsFencing() const override { return true; }
  // Fences above INT64_MAX (seq is a bigint) fail the batch with kInvalidArgument. Names that
  // share a row (deepstream's table-name filter: `t"/x` is `t/x`) are one write: the highest
  // fence is written, the others answer fenced.
  void SetBulkFenced(std::span<const FencedValue> batch, Callback<FencedResult> cb) override;
  void DeleteBulkFenced(std::span<const FencedName> names, Callback<FencedResult> cb) override;

  const PostgresOptions& options() const { return options_; }

 private:
  // One row of a fenced write, pointing into the caller's batch.
  struct FencedWrite {
    std::string_view name;
    Version version;
    std::string_view json;
    uint64_t fence;
  };
  void WriteFenced(std::string what, std::span<const FencedWrite> rows, Callback<FencedResult> cb);

  const PostgresOptions options_;
  const RecordSql sql_;
  // Set before Start, read by the engine's thread after Start.
  ConnectorEventListener listener_;
  std::unique_ptr<PgEngine> engine_;
};

// Factory used by the connector registry and the plugin: parses options (JSON text; empty means
// defaults), then builds the unstarted storage.
Result<std::unique_ptr<StorageConnector>> NewPostgresStorage(std::string_view options_json);

}  // namespace strata

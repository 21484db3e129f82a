#pragma once
// RecordSql: where records live in PostgreSQL and the SQL that reads and writes them. The layout
// is that of deepstream's connector (@deepstream/storage-postgres 3.x), so a database written by
// deepstream is served without migration and vice versa:
//
//   schema  options.schema ("ds"), created on Start
//   table   the part of the record name before the first options.splitChar ('/'), with '"' and
//           ';' removed (as deepstream does); names without splitChar (or with an empty table
//           part) go to options.defaultTable ("default"). Created on first write.
//   row     CREATE TABLE "<schema>"."<table>" (id text NOT NULL, version int DEFAULT 0,
//                                              val text|jsonb NOT NULL, seq bigint,
//                                              PRIMARY KEY (id))
//           id = the rest of the name after the separator (the whole name in the default table),
//           version = the record version, val = the record's JSON text (jsonb when useJsonb),
//           seq = the fence of the last fenced write (NULL: written unfenced, or by deepstream).
//           Tables created without seq (by deepstream, by an older strata) get it on first write
//           (ALTER TABLE ... ADD COLUMN IF NOT EXISTS seq bigint); deepstream ignores it.
//   write   INSERT ... ON CONFLICT (id) DO UPDATE SET val = EXCLUDED.val, version = ...,
//           seq = NULL (an unfenced write leaves no fence, so any later fenced write applies)
//   fenced  INSERT INTO t AS r (id, version, val, seq) ... ON CONFLICT (id) DO UPDATE SET ...
//           WHERE r.seq IS NULL OR r.seq < EXCLUDED.seq RETURNING id (the ids written)
//   deleted a tombstone row: version -1, val `null` (JSON null, accepted by text and jsonb and by
//           NOT NULL), seq = the delete's fence. deepstream never writes version -1; reads skip
//           such rows (version IS DISTINCT FROM -1, so a NULL version still reads as before).
//
// Differences, both deliberate: strata keeps '"' and ';' in ids (deepstream strips them, which
// makes distinct records collide; all values are bound parameters here), and strata never drops
// a table that became empty (deepstream's delete_if_empty counts the table on every delete).
//
// Thread-safety: immutable after construction; safe to share.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "connectors/postgres/pg_op.h"
#include "connectors/postgres/postgres_options.h"

namespace strata {

struct RecordLocation {
  std::string table;
  std::string id;
};

struct RecordRow {
  std::string id;
  Version version = 0;
  std::string_view json;  // points into the caller's record; valid while it is
};

struct FencedRow {
  std::string id;
  Version version = 0;
  std::string_view json;  // points into the caller's record; valid while it is
  uint64_t fence = 0;     // REQUIRES: <= INT64_MAX (seq is a bigint)
};

// The tombstone row a fenced delete leaves (see the layout above).
inline constexpr Version kTombstoneVersion = -1;
inline constexpr std::string_view kTombstoneJson = "null";

// "name" with embedded quotes doubled: a safe SQL identifier for any text.
std::string QuoteIdentifier(std::string_view name);

class RecordSql {
 public:
  // Rows per multi-row INSERT and ids per DELETE or bulk SELECT, well under PostgreSQL's 65535
  // parameters.
  static constexpr size_t kRowsPerStatement = 1000;

  explicit RecordSql(const PostgresOptions& options);

  RecordLocation Locate(std::string_view name) const;

  SqlStatement CreateSchema() const;
  SqlStatement CreateTable(std::string_view table) const;
  // CREATE TABLE IF NOT EXISTS, then ALTER TABLE ... ADD COLUMN IF NOT EXISTS seq bigint for a
  // table created without it. Run once per table and process (the ALTER locks the table).
  std::vector<SqlStatement> EnsureTable(std::string_view table) const;
  // Answers one row (version int, val as text) or none.
  SqlStatement Select(const RecordLocation& where) const;
  // Answers the rows (id, version int, val as text) of those `ids` that exist, in no order.
  std::vector<SqlStatement> SelectMany(std::string_view table,
                                       std::span<const std::string> ids) const;
  // REQUIRES: ids in `rows` are distinct.
  std::vector<SqlStatement> Upsert(std::string_view table, std::span<const RecordRow> rows) const;
  // Fenced upserts answering the ids they wrote (RETURNING id); statement k holds rows
  // [k * kRowsPerStatement, (k + 1) * kRowsPerStatement). REQUIRES: ids in `rows` are distinct.
  std::vector<SqlStatement> UpsertFenced(std::string_view table,
                                         std::span<const FencedRow> rows) const;
  std::vector<SqlStatement> Delete(std::string_view table, std::span<const std::string> ids) const;
  // Deletes the tombstones whose fence is below `cutoff`.
  SqlStatement PurgeTombstones(std::string_view table, int64_t cutoff) const;

 private:
  std::string Table(std::string_view table) const;  // "schema"."table"

  std::string schema_;
  std::string default_table_;
  char split_char_;
  bool use_jsonb_;
};

}  // namespace strata

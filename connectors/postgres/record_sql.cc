#include "connectors/postgres/record_sql.h"

#include <algorithm>

namespace strata {
namespace {

// deepstream's connector removes these from table names (its "SQL injection" filter); strata
// does the same so that it finds deepstream's tables.
std::string StripTableName(std::string_view raw) {
  std::string table;
  for (char c : raw) {
    if (c != '"' && c != ';') table += c;
  }
  return table;
}

// "$first, $first+1, ..." for `count` parameters.
std::string Placeholders(size_t first, size_t count) {
  std::string out;
  for (size_t i = 0; i < count; ++i) {
    if (i > 0) out += ", ";
    out += "$" + std::to_string(first + i);
  }
  return out;
}

// Skips tombstone rows; a NULL version (never written by deepstream or strata) still reads.
constexpr std::string_view kNotTombstone = " AND version IS DISTINCT FROM -1";

// `head` WHERE id IN ($1, ...)`tail`, one statement per RecordSql::kRowsPerStatement ids.
std::vector<SqlStatement> WhereIdIn(const std::string& head, std::span<const std::string> ids,
                                    std::string_view tail = "") {
  std::vector<SqlStatement> statements;
  for (size_t begin = 0; begin < ids.size(); begin += RecordSql::kRowsPerStatement) {
    size_t end = std::min(ids.size(), begin + RecordSql::kRowsPerStatement);
    SqlStatement s;
    s.sql = head + " WHERE id IN (" + Placeholders(1, end - begin) + ")" + std::string(tail);
    s.params.assign(ids.begin() + begin, ids.begin() + end);
    statements.push_back(std::move(s));
  }
  return statements;
}

}  // namespace

std::string QuoteIdentifier(std::string_view name) {
  std::string out = "\"";
  for (char c : name) {
    out += c;
    if (c == '"') out += '"';
  }
  return out + "\"";
}

RecordSql::RecordSql(const PostgresOptions& options)
    : schema_(options.schema),
      default_table_(options.default_table),
      split_char_(options.split_char),
      use_jsonb_(options.use_jsonb) {}

RecordLocation RecordSql::Locate(std::string_view name) const {
  size_t split = name.find(split_char_);
  if (split != std::string_view::npos) {
    std::string table = StripTableName(name.substr(0, split));
    if (!table.empty()) return {std::move(table), std::string(name.substr(split + 1))};
  }
  // An empty table part ("/x") keeps its whole name as id, so it cannot meet the record "x".
  return {default_table_, std::string(name)};
}

std::string RecordSql::Table(std::string_view table) const {
  return QuoteIdentifier(schema_) + "." + QuoteIdentifier(table);
}

SqlStatement RecordSql::CreateSchema() const {
  return {"CREATE SCHEMA IF NOT EXISTS " + QuoteIdentifier(schema_), {}};
}

SqlStatement RecordSql::CreateTable(std::string_view table) const {
  return {"CREATE TABLE IF NOT EXISTS " + Table(table) +
              " (id text NOT NULL, version int DEFAULT 0, val " + (use_jsonb_ ? "jsonb" : "text") +
              " NOT NULL, seq bigint, PRIMARY KEY (id))",
          {}};
}

std::vector<SqlStatement> RecordSql::EnsureTable(std::string_view table) const {
  return {CreateTable(table),
          {"ALTER TABLE " + Table(table) + " ADD COLUMN IF NOT EXISTS seq bigint", {}}};
}

SqlStatement RecordSql::Select(const RecordLocation& where) const {
  return {"SELECT version, val::text FROM " + Table(where.table) + " WHERE id = $1" +
              std::string(kNotTombstone),
          {where.id}};
}

std::vector<SqlStatement> RecordSql::SelectMany(std::string_view table,
                                                std::span<const std::string> ids) const {
  return WhereIdIn("SELECT id, version, val::text FROM " + Table(table), ids, kNotTombstone);
}

std::vector<SqlStatement> RecordSql::Upsert(std::string_view table,
                                            std::span<const RecordRow> rows) const {
  std::vector<SqlStatement> statements;
  for (size_t begin = 0; begin < rows.size(); begin += kRowsPerStatement) {
    size_t end = std::min(rows.size(), begin + kRowsPerStatement);
    SqlStatement s;
    s.sql = "INSERT INTO " + Table(table) + " (id, version, val) VALUES ";
    for (size_t i = begin; i < end; ++i) {
      if (i > begin) s.sql += ", ";
      s.sql += "(" + Placeholders(s.params.size() + 1, 3) + ")";
      s.params.push_back(rows[i].id);
      s.params.push_back(std::to_string(rows[i].version));
      s.params.emplace_back(rows[i].json);
    }
    s.sql +=
        " ON CONFLICT (id) DO UPDATE SET val = EXCLUDED.val, version = EXCLUDED.version,"
        " seq = NULL";
    statements.push_back(std::move(s));
  }
  return statements;
}

std::vector<SqlStatement> RecordSql::UpsertFenced(std::string_view table,
                                                  std::span<const FencedRow> rows) const {
  std::vector<SqlStatement> statements;
  for (size_t begin = 0; begin < rows.size(); begin += kRowsPerStatement) {
    size_t end = std::min(rows.size(), begin + kRowsPerStatement);
    SqlStatement s;
    s.sql = "INSERT INTO " + Table(table) + " AS r (id, version, val, seq) VALUES ";
    for (size_t i = begin; i < end; ++i) {
      if (i > begin) s.sql += ", ";
      s.sql += "(" + Placeholders(s.params.size() + 1, 4) + ")";
      s.params.push_back(rows[i].id);
      s.params.push_back(std::to_string(rows[i].version));
      s.params.emplace_back(rows[i].json);
      s.params.push_back(std::to_string(rows[i].fence));
    }
    s.sql +=
        " ON CONFLICT (id) DO UPDATE SET version = EXCLUDED.version, val = EXCLUDED.val,"
        " seq = EXCLUDED.seq WHERE r.seq IS NULL OR r.seq < EXCLUDED.seq RETURNING id";
    statements.push_back(std::move(s));
  }
  return statements;
}

std::vector<SqlStatement> RecordSql::Delete(std::string_view table,
                                            std::span<const std::string> ids) const {
  return WhereIdIn("DELETE FROM " + Table(table), ids);
}

SqlStatement RecordSql::PurgeTombstones(std::string_view table, int64_t cutoff) const {
  return {"DELETE FROM " + Table(table) + " WHERE version = -1 AND seq < $1",
          {std::to_string(cutoff)}};
}

}  // namespace strata

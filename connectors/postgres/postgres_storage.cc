#include "connectors/postgres/postgres_storage.h"

#include <algorithm>
#include <limits>
#include <map>
#include <unordered_map>

namespace strata {
namespace {

std::unique_ptr<PgOp> NewWrite(std::string what, std::string subject) {
  auto op = std::make_unique<PgOp>();
  op->kind = PgOp::Kind::kWrite;
  op->what = std::move(what);
  op->subject = std::move(subject);
  return op;
}

// "first" or "first and 41 more", for error messages about a batch.
template <typename T, typename NameOf>
std::string BatchSubject(std::span<const T> items, NameOf name_of) {
  std::string subject = name_of(items.front());
  if (items.size() > 1) subject += " and " + std::to_string(items.size() - 1) + " more";
  return subject;
}

}  // namespace

PostgresStorage::PostgresStorage(PostgresOptions options)
    : options_(std::move(options)), sql_(options_) {
  engine_ = std::make_unique<PgEngine>(
      options_, [this](ConnectorEvent event, std::string_view connector, const Status& detail) {
        if (listener_) listener_(event, connector, detail);
      });
}

PostgresStorage::~PostgresStorage() { engine_.reset(); }

void PostgresStorage::SetEventListener(ConnectorEventListener listener) {
  listener_ = std::move(listener);
}

void PostgresStorage::Start(DoneCallback ready) {
  auto op = std::make_unique<PgOp>();
  op->kind = PgOp::Kind::kInit;
  op->what = "start";
  op->subject = options_.schema + "." + options_.default_table;
  op->groups.push_back({{sql_.CreateSchema()}, false, true, ""});
  op->groups.push_back(
      {sql_.EnsureTable(options_.default_table), false, true, options_.default_table});
  op->done = std::move(ready);
  engine_->Start(std::move(op));
}

void PostgresStorage::Close(DoneCallback done) { engine_->Close(std::move(done)); }

void PostgresStorage::Get(std::string_view name, Callback<std::optional<RecordValue>> cb) {
  auto op = std::make_unique<PgOp>();
  op->kind = PgOp::Kind::kGet;
  op->what = "get";
  op->subject = std::string(name);
  SqlGroup select{{sql_.Select(sql_.Locate(name))}, true, false, ""};
  op->groups.push_back(std::move(select));
  op->get_done = std::move(cb);
  engine_->Submit(std::move(op));
}

void PostgresStorage::GetBulk(std::span<const std::string> names, Callback<GetBulkResult> cb) {
  if (names.empty()) return cb(GetBulkResult{});
  auto op = std::make_unique<PgOp>();
  op->kind = PgOp::Kind::kGetBulk;
  op->what = "get";
  op->subject = BatchSubject(names, [](const std::string& n) { return n; });
  std::map<std::string, IdPositions> by_table;
  for (size_t i = 0; i < names.size(); ++i) {
    RecordLocation where = sql_.Locate(names[i]);
    by_table[where.table][std::move(where.id)].push_back(i);
  }
  // One group per table, so that a table that does not exist is a miss, not an error, for its
  // names alone (as for a single Get).
  for (auto& [table, wanted] : by_table) {
    std::vector<std::string> ids;
    for (const auto& [id, positions] : wanted) ids.push_back(id);
    op->groups.push_back({sql_.SelectMany(table, ids), true, false, ""});
    op->wanted.push_back(std::move(wanted));
  }
  op->rows.resize(names.size());
  op->get_bulk_done = std::move(cb);
  engine_->Submit(std::move(op));
}

void PostgresStorage::Set(std::string_view name, const RecordValue& value, DoneCallback cb) {
  auto op = NewWrite("set", std::string(name));
  RecordLocation where = sql_.Locate(name);
  RecordRow row{where.id, value.version, value.json};
  op->groups.push_back({sql_.Upsert(where.table, {&row, 1}), false, false, ""});
  op->keys.push_back(op->subject);
  op->tables.push_back(where.table);
  op->done = std::move(cb);
  engine_->Submit(std::move(op));
}

void PostgresStorage::Delete(std::string_view name, DoneCallback cb) {
  auto op = NewWrite("delete", std::string(name));
  RecordLocation where = sql_.Locate(name);
  op->groups.push_back({sql_.Delete(where.table, {&where.id, 1}), true, false, ""});
  op->keys.push_back(op->subject);
  op->done = std::move(cb);
  engine_->Submit(std::move(op));
}

void PostgresStorage::SetBulk(std::span<const NamedValue> batch, DoneCallback cb) {
  if (batch.empty()) return cb(Status());
  auto op = NewWrite("set", BatchSubject(batch, [](const NamedValue& nv) { return nv.name; }));
  // The last write of a name wins; one INSERT may not touch a row twice.
  std::unordered_map<std::string_view, size_t> last;
  for (size_t i = 0; i < batch.size(); ++i) last[batch[i].name] = i;
  std::map<std::string, std::vector<RecordRow>> by_table;
  for (size_t i = 0; i < batch.size(); ++i) {
    if (last[batch[i].name] != i) continue;
    RecordLocation where = sql_.Locate(batch[i].name);
    by_table[where.table].push_back({where.id, batch[i].value.version, batch[i].value.json});
    op->keys.push_back(batch[i].name);
  }
  SqlGroup all;  // one group: one transaction for the whole batch
  for (const auto& [table, rows] : by_table) {
    for (SqlStatement& s : sql_.Upsert(table, rows)) all.statements.push_back(std::move(s));
    op->tables.push_back(table);
  }
  op->groups.push_back(std::move(all));
  op->done = std::move(cb);
  engine_->Submit(std::move(op));
}

void PostgresStorage::DeleteBulk(std::span<const std::string> names, DoneCallback cb) {
  if (names.empty()) return cb(Status());
  auto op = NewWrite("delete", BatchSubject(names, [](const std::string& n) { return n; }));
  std::map<std::string, std::vector<std::string>> by_table;
  std::unordered_map<std::string_view, bool> seen;
  for (const std::string& name : names) {
    if (seen[name]) continue;
    seen[name] = true;
    RecordLocation where = sql_.Locate(name);
    by_table[where.table].push_back(std::move(where.id));
    op->keys.push_back(name);
  }
  // One group per table, so that a table that does not exist is no error for the others.
  for (const auto& [table, ids] : by_table) {
    op->groups.push_back({sql_.Delete(table, ids), true, false, ""});
  }
  op->done = std::move(cb);
  engine_->Submit(std::move(op));
}

void PostgresStorage::SetBulkFenced(std::span<const FencedValue> batch, Callback<FencedResult> cb) {
  std::vector<FencedWrite> rows;
  rows.reserve(batch.size());
  for (const FencedValue& fv : batch) {
    rows.push_back({fv.name, fv.value.version, fv.value.json, fv.fence});
  }
  WriteFenced("set", rows, std::move(cb));
}

void PostgresStorage::DeleteBulkFenced(std::span<const FencedName> names,
                                       Callback<FencedResult> cb) {
  std::vector<FencedWrite> rows;
  rows.reserve(names.size());
  for (const FencedName& fn : names) {
    rows.push_back({fn.name, kTombstoneVersion, kTombstoneJson, fn.fence});
  }
  WriteFenced("delete", rows, std::move(cb));
}

void PostgresStorage::WriteFenced(std::string what, std::span<const FencedWrite> rows,
                                  Callback<FencedResult> cb) {
  if (rows.empty()) return cb(FencedResult{});
  for (const FencedWrite& row : rows) {
    if (row.fence > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      return cb(Status::InvalidArgument("postgres: " + what + " '" + std::string(row.name) +
                                        "': fence " + std::to_string(row.fence) +
                                        " is beyond bigint"));
    }
  }
  auto op = NewWrite(std::move(what),
                     BatchSubject(rows, [](const FencedWrite& w) { return std::string(w.name); }));
  op->kind = PgOp::Kind::kFencedWrite;
  // Per table, each row (id) once: the highest fence of the names sharing it.
  std::map<std::string, std::map<std::string, size_t>> by_table;
  for (size_t i = 0; i < rows.size(); ++i) {
    RecordLocation where = sql_.Locate(rows[i].name);
    auto [it, fresh] = by_table[where.table].try_emplace(std::move(where.id), i);
    if (!fresh && rows[it->second].fence < rows[i].fence) it->second = i;
    op->keys.emplace_back(rows[i].name);
  }
  SqlGroup all;  // one group: one transaction for the whole batch
  for (const auto& [table, ids] : by_table) {
    std::vector<FencedRow> table_rows;
    std::vector<size_t> positions;
    for (const auto& [id, i] : ids) {
      table_rows.push_back({id, rows[i].version, rows[i].json, rows[i].fence});
      positions.push_back(i);
    }
    std::vector<SqlStatement> statements = sql_.UpsertFenced(table, table_rows);
    for (size_t k = 0; k < statements.size(); ++k) {
      size_t end = std::min(table_rows.size(), (k + 1) * RecordSql::kRowsPerStatement);
      for (size_t r = k * RecordSql::kRowsPerStatement; r < end; ++r) {
        statements[k].returning[table_rows[r].id].push_back(positions[r]);
      }
      all.statements.push_back(std::move(statements[k]));
    }
    op->tables.push_back(table);
  }
  op->groups.push_back(std::move(all));
  op->applied.assign(rows.size(), false);
  op->fenced_done = std::move(cb);
  engine_->Submit(std::move(op));
}

Result<std::unique_ptr<StorageConnector>> NewPostgresStorage(std::string_view options_json) {
  Result<PostgresOptions> options = ParsePostgresOptions(options_json);
  if (!options.ok()) return options.status();
  return std::unique_ptr<StorageConnector>(
      std::make_unique<PostgresStorage>(std::move(options).value()));
}

}  // namespace strata

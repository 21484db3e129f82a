#include "connectors/postgres/pg_connection.h"

#include <cstdlib>

namespace strata {
namespace {

std::string Trimmed(const char* message) {
  std::string text = message ? message : "";
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

bool IsRetryable(std::string_view state) {
  if (state.empty()) return true;  // libpq's own errors: the connection broke
  std::string_view cls = state.substr(0, 2);
  // 42P01/42703: a table dropped or recreated without seq behind strata's back; the retry
  // re-creates it or adds the column.
  return cls == "08" || cls == "53" || state == "57P01" || state == "57P02" || state == "57P03" ||
         state == "40001" || state == "40P01" || state == "55P03" || state == "42P01" ||
         state == "42703";
}

// The record in `row` of `result`, whose columns from `first` on are version and val.
RecordValue RowValue(const PGresult* result, int row, int first) {
  const char* version = PQgetvalue(result, row, first);
  return RecordValue{
      static_cast<Version>(std::strtol(version, nullptr, 10)),
      std::string(PQgetvalue(result, row, first + 1), PQgetlength(result, row, first + 1))};
}

// Puts each row of a bulk read (id, version, val) where `wanted` says its names were asked.
void PlaceRows(const PGresult* result, const IdPositions& wanted, GetBulkResult& rows) {
  for (int r = 0; r < PQntuples(result); ++r) {
    std::string_view id(PQgetvalue(result, r, 0), PQgetlength(result, r, 0));
    auto it = wanted.find(id);
    if (it == wanted.end()) continue;  // not asked for: cannot happen with WHERE id IN
    for (size_t position : it->second) rows[position] = RowValue(result, r, 1);
  }
}

// Marks the rows a fenced upsert wrote (it returns their ids) as applied.
void MarkApplied(const PGresult* result, const IdPositions& returning, FencedResult& applied) {
  for (int r = 0; r < PQntuples(result); ++r) {
    std::string_view id(PQgetvalue(result, r, 0), PQgetlength(result, r, 0));
    auto it = returning.find(id);
    if (it == returning.end()) continue;  // not written by this statement: cannot happen
    for (size_t position : it->second) applied[position] = true;
  }
}

}  // namespace

Status ClassifyPgError(const PgOp& op, std::string_view sqlstate, std::string_view message) {
  std::string text = "postgres: " + op.what + " '" + op.subject + "': " + std::string(message);
  if (!sqlstate.empty()) text += " (SQLSTATE " + std::string(sqlstate) + ")";
  if (IsRetryable(sqlstate)) return Status::Unavailable(text);
  if (sqlstate == "57014") return Status::DeadlineExceeded(text);
  std::string_view cls = sqlstate.substr(0, 2);
  if (cls == "22" || cls == "23") return Status::InvalidArgument(text);
  if (sqlstate == "42501") return Status::FailedPrecondition(text);
  return Status::Internal(text);
}

PgConnection::~PgConnection() {
  if (conn_ != nullptr) PQfinish(conn_);
}

short PgConnection::WantedEvents() const {
  if (state_ == State::kConnecting) {
    return connect_poll_ == PGRES_POLLING_READING ? POLLIN : POLLOUT;
  }
  return POLLIN | (want_write_ ? POLLOUT : 0);
}

Status PgConnection::BeginConnect(const char* const* keys, const char* const* values,
                                  Clock::time_point deadline) {
  conn_ = PQconnectStartParams(keys, values, 0);
  if (conn_ == nullptr) return Status::Unavailable("out of memory");
  if (PQstatus(conn_) == CONNECTION_BAD) {
    Status failed = Broken();
    Reset();
    return failed;
  }
  state_ = State::kConnecting;
  connect_poll_ = PGRES_POLLING_WRITING;
  connect_deadline_ = deadline;
  return Status();
}

Status PgConnection::PollConnect() {
  connect_poll_ = PQconnectPoll(conn_);
  if (connect_poll_ == PGRES_POLLING_FAILED) {
    Status failed = Broken();
    Reset();
    return failed;
  }
  if (connect_poll_ != PGRES_POLLING_OK) return Status();
  // Pipeline mode needs a non-blocking, idle connection: it is both now.
  // NOTICEs ("relation already exists, skipping") are expected; libpq would print them.
  PQsetNoticeProcessor(
      conn_, [](void*, const char*) {}, nullptr);
  if (PQsetnonblocking(conn_, 1) != 0 || PQenterPipelineMode(conn_) != 1) {
    Status failed = Broken();
    Reset();
    return failed;
  }
  state_ = State::kReady;
  return Status();
}

void PgConnection::Send(std::unique_ptr<PgOp> op) {
  PgOp* raw = op.get();
  for (size_t g = 0; g < raw->groups.size(); ++g) {
    const std::vector<SqlStatement>& statements = raw->groups[g].statements;
    for (size_t k = 0; k < statements.size(); ++k) {
      const SqlStatement& s = statements[k];
      std::vector<const char*> values;
      for (const std::string& p : s.params) values.push_back(p.c_str());
      // A failed send leaves the connection bad; Read() reports it and Reset() fails the op.
      PQsendQueryParams(conn_, s.sql.c_str(), static_cast<int>(values.size()), nullptr,
                        values.data(), nullptr, nullptr, 0);
      steps_.push_back({raw, g, k, false, false});
    }
    PQpipelineSync(conn_);
    steps_.push_back({raw, g, 0, true, g + 1 == raw->groups.size()});
  }
  if (ops_.empty()) failed_groups_.assign(raw->groups.size(), false);
  ops_.push_back(std::move(op));
  Flush().IgnoreError();
}

Status PgConnection::Flush() {
  int pending = PQflush(conn_);
  if (pending < 0) return Broken();
  want_write_ = pending == 1;
  return Status();
}

Status PgConnection::Read(std::vector<std::unique_ptr<PgOp>>& finished) {
  if (PQconsumeInput(conn_) == 0) return Broken();
  while (!steps_.empty() && PQisBusy(conn_) == 0) {
    Step step = steps_.front();
    PGresult* result = PQgetResult(conn_);
    if (result == nullptr) {
      if (step.sync) break;  // nothing for a sync yet: only a broken connection does this
      steps_.pop_front();    // the statement's answer is complete
      continue;
    }
    if (step.sync) {
      steps_.pop_front();
      PQclear(result);
      PgOp& op = *ops_.front();
      const SqlGroup& group = op.groups[step.group];
      if (group.creates && !failed_groups_[step.group]) op.created.push_back(group.table);
      if (!step.last) continue;
      finished.push_back(std::move(ops_.front()));
      ops_.pop_front();
      if (!ops_.empty()) failed_groups_.assign(ops_.front()->groups.size(), false);
      continue;
    }
    HandleResult(step, result);
    PQclear(result);
  }
  if (PQstatus(conn_) == CONNECTION_BAD) return Broken();
  return Flush();
}

void PgConnection::HandleResult(const Step& step, PGresult* result) {
  PgOp& op = *step.op;
  ExecStatusType status = PQresultStatus(result);
  if (status == PGRES_TUPLES_OK && op.kind == PgOp::Kind::kGet && PQntuples(result) > 0) {
    op.row = RowValue(result, 0, 0);
    return;
  }
  if (status == PGRES_TUPLES_OK && op.kind == PgOp::Kind::kGetBulk) {
    PlaceRows(result, op.wanted[step.group], op.rows);
    return;
  }
  if (status == PGRES_TUPLES_OK && op.kind == PgOp::Kind::kFencedWrite) {
    MarkApplied(result, op.groups[step.group].statements[step.statement].returning, op.applied);
    return;
  }
  if (status != PGRES_FATAL_ERROR) return;  // OK, or aborted after an error already recorded
  failed_groups_[step.group] = true;
  const SqlGroup& group = op.groups[step.group];
  const char* field = PQresultErrorField(result, PG_DIAG_SQLSTATE);
  std::string_view sqlstate = field ? field : "";
  if (sqlstate == "42P01" && group.missing_table_ok) return;
  // Created concurrently by another connection or server. Depending on where the two creators
  // meet, PostgreSQL reports the table's row type (42710) or its catalog key (23505) as taken.
  if (group.creates &&
      (sqlstate == "23505" || sqlstate == "42P07" || sqlstate == "42P06" || sqlstate == "42710")) {
    return;
  }
  if (sqlstate == "42P01" || sqlstate == "42703") op.missing_table = true;
  if (!op.status.ok()) return;
  const char* primary = PQresultErrorField(result, PG_DIAG_MESSAGE_PRIMARY);
  std::string message = primary ? primary : Trimmed(PQresultErrorMessage(result));
  op.status = ClassifyPgError(op, sqlstate, message);
}

Status PgConnection::Broken() const {
  std::string message = conn_ ? Trimmed(PQerrorMessage(conn_)) : "no connection";
  return Status::Unavailable(message.empty() ? "connection lost" : message);
}

std::vector<std::unique_ptr<PgOp>> PgConnection::Reset() {
  if (conn_ != nullptr) PQfinish(conn_);
  conn_ = nullptr;
  state_ = State::kDown;
  want_write_ = false;
  steps_.clear();
  std::vector<std::unique_ptr<PgOp>> orphans;
  for (auto& op : ops_) orphans.push_back(std::move(op));
  ops_.clear();
  return orphans;
}

}  // namespace strata

#include "connectors/postgres/tombstone_janitor.h"

namespace strata {

TombstoneJanitor::TombstoneJanitor(const PostgresOptions& options, const RecordSql& sql,
                                   std::function<void(const Status&)> on_error)
    : sql_(sql),
      interval_(TombstonePurgeIntervalMs(options)),
      ttl_us_(options.tombstone_ttl_ms * 1000),
      on_error_(std::move(on_error)) {}

void TombstoneJanitor::Arm(Clock::time_point now) { next_ = now + interval_; }

std::unique_ptr<PgOp> TombstoneJanitor::TakeDue(Clock::time_point now, int64_t now_us,
                                                const std::unordered_set<std::string>& tables) {
  if (now < next_ || *running_) return nullptr;
  next_ = now + interval_;
  if (tables.empty()) return nullptr;
  auto op = std::make_unique<PgOp>();
  op->kind = PgOp::Kind::kWrite;
  op->what = "purge tombstones";
  op->subject = std::to_string(tables.size()) + " tables";
  for (const std::string& table : tables) {
    op->groups.push_back({{sql_.PurgeTombstones(table, now_us - ttl_us_)}, true, false, ""});
  }
  *running_ = true;
  op->done = [running = running_, on_error = on_error_](Status s) {
    *running = false;
    if (s.ok() || s.code() == StatusCode::kUnavailable || s.code() == StatusCode::kCancelled) {
      return;
    }
    if (on_error) on_error(s);
  };
  return op;
}

int64_t NowMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace strata

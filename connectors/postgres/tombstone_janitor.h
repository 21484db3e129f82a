#pragma once
// TombstoneJanitor: decides when the tombstones that fenced deletes leave (record_sql.h) are
// purged, and builds the operation that does it: one `DELETE ... WHERE version = -1 AND
// seq < <now - tombstoneTtl in microseconds>` per table this process wrote, each its own
// transaction, a missing table being no error. Fences are a cluster's microsecond clock, compared
// here with this host's clock: the ttl (1 h by default) dwarfs any skew between them.
//
// A sweep is due every TombstonePurgeIntervalMs(options), counted from the end of Start; one
// runs at a time. A failed sweep is retried at the next interval; its error goes to `on_error`
// unless the server was merely unreachable (kUnavailable) or the storage closing (kCancelled).
//
// Thread-safety: none; owned by the engine's loop thread, which also runs the sweeps'
// completions.

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <unordered_set>

#include "connectors/postgres/pg_op.h"
#include "connectors/postgres/postgres_options.h"
#include "connectors/postgres/record_sql.h"

namespace strata {

class TombstoneJanitor {
 public:
  using Clock = std::chrono::steady_clock;

  // `sql` must outlive the janitor.
  TombstoneJanitor(const PostgresOptions& options, const RecordSql& sql,
                   std::function<void(const Status&)> on_error);

  // Counts the first interval from `now`.
  void Arm(Clock::time_point now);
  // When the next sweep is due (time_point::max() before Arm).
  Clock::time_point next() const { return next_; }
  // The sweep over `tables` if one is due at `now` and none is running, else null. `now_us`:
  // microseconds since the Unix epoch, the scale of fences.
  std::unique_ptr<PgOp> TakeDue(Clock::time_point now, int64_t now_us,
                                const std::unordered_set<std::string>& tables);

 private:
  const RecordSql& sql_;
  const std::chrono::milliseconds interval_;
  const int64_t ttl_us_;
  const std::function<void(const Status&)> on_error_;
  Clock::time_point next_ = Clock::time_point::max();
  // Shared with the running sweep's completion, which may outlive the janitor (Shutdown).
  std::shared_ptr<bool> running_ = std::make_shared<bool>(false);
};

// Microseconds since the Unix epoch, by this host's clock.
int64_t NowMicros();

}  // namespace strata

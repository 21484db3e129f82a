// Default batched operations of the connector contracts, built on the single-record ones.
// Completions of the single operations may arrive on any thread, so the join is atomic.

#include <atomic>
#include <memory>
#include <mutex>

#include "strata/cache_connector.h"
#include "strata/storage_connector.h"

namespace strata {
namespace {

// Joins n completions into one; the first error wins.
class Join {
 public:
  Join(size_t n, DoneCallback done) : remaining_(n), done_(std::move(done)) {}
  void Complete(const Status& s) {
    if (!s.ok()) {
      std::lock_guard lock(mu_);
      if (first_error_.ok()) first_error_ = s;
    }
    if (remaining_.fetch_sub(1) == 1) {
      std::lock_guard lock(mu_);
      done_(first_error_);
    }
  }

 private:
  std::atomic<size_t> remaining_;
  DoneCallback done_;
  std::mutex mu_;
  Status first_error_;
};

// Joins n completions that each fill in a part of one answer; the first error wins, and the
// answer (or that error) is handed on once all n are in.
template <typename R>
class Gather {
 public:
  Gather(size_t n, R initial, Callback<R> done)
      : remaining_(n), result_(std::move(initial)), done_(std::move(done)) {}
  // `fill(result)` adds one part; it is skipped for a failed part.
  template <typename Fill>
  void Complete(const Status& s, Fill&& fill) {
    std::unique_lock lock(mu_);
    if (!s.ok()) {
      if (error_.ok()) error_ = s;
    } else {
      fill(result_);
    }
    if (--remaining_ > 0) return;
    lock.unlock();
    if (error_.ok()) {
      done_(std::move(result_));
    } else {
      done_(error_);
    }
  }

 private:
  std::mutex mu_;
  size_t remaining_;  // guarded by mu_
  R result_;          // guarded by mu_
  Status error_;      // guarded by mu_
  Callback<R> done_;
};

}  // namespace

void StorageConnector::GetBulk(std::span<const std::string> names, Callback<GetBulkResult> cb) {
  if (names.empty()) return cb(GetBulkResult{});
  auto gather = std::make_shared<Gather<GetBulkResult>>(names.size(), GetBulkResult(names.size()),
                                                        std::move(cb));
  for (size_t i = 0; i < names.size(); ++i) {
    Get(names[i], [gather, i](Result<std::optional<RecordValue>> r) {
      gather->Complete(r.status(), [&](GetBulkResult& out) { out[i] = std::move(*r); });
    });
  }
}

void StorageConnector::SetBulk(std::span<const NamedValue> batch, DoneCallback cb) {
  if (batch.empty()) return cb(Status());
  auto join = std::make_shared<Join>(batch.size(), std::move(cb));
  for (const NamedValue& nv : batch) {
    Set(nv.name, nv.value, [join](Status s) { join->Complete(s); });
  }
}

void StorageConnector::DeleteBulk(std::span<const std::string> names, DoneCallback cb) {
  if (names.empty()) return cb(Status());
  auto join = std::make_shared<Join>(names.size(), std::move(cb));
  for (const std::string& name : names) {
    Delete(name, [join](Status s) { join->Complete(s); });
  }
}

void CacheConnector::HeadBulk(std::span<const std::string> names, Callback<HeadBulkResult> cb) {
  if (names.empty()) return cb(HeadBulkResult{});
  auto gather =
      std::make_shared<Gather<HeadBulkResult>>(names.size(), HeadBulkResult{}, std::move(cb));
  for (const std::string& name : names) {
    Head(name, [gather, name](Result<std::optional<Version>> r) {
      gather->Complete(r.status(), [&](HeadBulkResult& out) {
        if (r->has_value()) {
          out.versions[name] = **r;
        } else {
          out.missing.push_back(name);
        }
      });
    });
  }
}

}  // namespace strata

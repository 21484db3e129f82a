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

}  // namespace

void StorageConnector::GetBulk(std::span<const std::string> names, Callback<GetBulkResult> cb) {
  struct State {
    std::mutex mu;
    GetBulkResult result;
    Status error;
    size_t remaining;
    Callback<GetBulkResult> cb;
  };
  if (names.empty()) return cb(GetBulkResult{});
  auto state = std::make_shared<State>();
  state->result.resize(names.size());
  state->remaining = names.size();
  state->cb = std::move(cb);
  for (size_t i = 0; i < names.size(); ++i) {
    Get(names[i], [state, i](Result<std::optional<RecordValue>> r) {
      std::unique_lock lock(state->mu);
      if (!r.ok()) {
        if (state->error.ok()) state->error = r.status();
      } else {
        state->result[i] = std::move(*r);
      }
      if (--state->remaining > 0) return;
      lock.unlock();
      if (state->error.ok()) {
        state->cb(std::move(state->result));
      } else {
        state->cb(state->error);
      }
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
  struct State {
    std::mutex mu;
    HeadBulkResult result;
    Status error;
    size_t remaining;
    Callback<HeadBulkResult> cb;
  };
  if (names.empty()) return cb(HeadBulkResult{});
  auto state = std::make_shared<State>();
  state->remaining = names.size();
  state->cb = std::move(cb);
  for (const std::string& name : names) {
    Head(name, [state, name](Result<std::optional<Version>> r) {
      std::unique_lock lock(state->mu);
      if (!r.ok()) {
        if (state->error.ok()) state->error = r.status();
      } else if (r->has_value()) {
        state->result.versions[name] = **r;
      } else {
        state->result.missing.push_back(name);
      }
      if (--state->remaining > 0) return;
      lock.unlock();
      if (state->error.ok()) {
        state->cb(std::move(state->result));
      } else {
        state->cb(state->error);
      }
    });
  }
}

}  // namespace strata

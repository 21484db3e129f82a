#include "record/write_behind_queue.h"

#include <algorithm>
#include <memory>

#include <spdlog/spdlog.h>

namespace strata {
namespace {

bool Retryable(const Status& s) {
  return s.code() == StatusCode::kUnavailable || s.code() == StatusCode::kDeadlineExceeded;
}

void RunAll(std::vector<DoneCallback>& callbacks, const Status& status) {
  for (DoneCallback& cb : callbacks) {
    if (cb) cb(status);
  }
  callbacks.clear();
}

}  // namespace

WriteBehindQueue::WriteBehindQueue(const WriteBehindOptions& options, StorageConnector& storage,
                                   Executor& loop)
    : options_(options), storage_(storage), loop_(loop) {}

bool WriteBehindQueue::Full(std::string_view name) const {
  return entries_.size() >= options_.limit && !entries_.contains(std::string(name));
}

void WriteBehindQueue::EnqueueSet(std::string_view name, RecordValue value, DoneCallback durable,
                                  uint64_t fence) {
  Enqueue(name, std::move(value), std::move(durable), fence);
}

void WriteBehindQueue::EnqueueDelete(std::string_view name, DoneCallback durable, uint64_t fence) {
  Enqueue(name, std::nullopt, std::move(durable), fence);
}

void WriteBehindQueue::Enqueue(std::string_view name, std::optional<RecordValue> value,
                               DoneCallback durable, uint64_t fence) {
  auto [it, inserted] = entries_.try_emplace(std::string(name));
  Entry& entry = it->second;
  if (entry.queued) {
    // The newer value supersedes the queued one; its waiters are satisfied by the newer write.
    ++stats_.coalesced;
    entry.queued->value = std::move(value);
    entry.queued->fence = fence;
  } else {
    entry.queued = Op{std::move(value), {}, fence};
    if (!entry.in_flight && !entry.retry_pending) ready_.push_back(it->first);
  }
  if (durable) entry.queued->waiters.push_back(std::move(durable));
  ScheduleFlush();
}

const std::optional<RecordValue>* WriteBehindQueue::Latest(std::string_view name) const {
  auto it = entries_.find(std::string(name));
  if (it == entries_.end()) return nullptr;
  const Entry& entry = it->second;
  if (entry.queued) return &entry.queued->value;
  if (entry.in_flight) return &entry.in_flight->value;
  return nullptr;
}

void WriteBehindQueue::ScheduleFlush() {
  if (flush_posted_ || ready_.empty()) return;
  flush_posted_ = true;
  loop_.Post([this] {
    flush_posted_ = false;
    Flush();
  });
}

void WriteBehindQueue::Flush() {
  while (!ready_.empty() && batches_in_flight_ < options_.max_batches_in_flight) {
    std::vector<std::string> names;
    while (!ready_.empty() && names.size() < options_.batch_size) {
      names.push_back(std::move(ready_.front()));
      ready_.pop_front();
    }
    SendBatch(std::move(names));
  }
}

void WriteBehindQueue::SendBatch(std::vector<std::string> names) {
  std::vector<NamedValue> sets;
  std::vector<std::string> set_names;
  std::vector<std::string> deletes;
  std::vector<FencedValue> fenced_sets;
  std::vector<FencedName> fenced_deletes;
  for (const std::string& name : names) {
    Entry& entry = entries_.at(name);
    entry.in_flight = std::move(entry.queued);
    entry.queued.reset();
    const Op& op = *entry.in_flight;
    if (op.fence != 0 && op.value) {
      fenced_sets.push_back(FencedValue{name, *op.value, op.fence});
    } else if (op.fence != 0) {
      fenced_deletes.push_back(FencedName{name, op.fence});
    } else if (op.value) {
      sets.push_back(NamedValue{name, *op.value});
      set_names.push_back(name);
    } else {
      deletes.push_back(name);
    }
  }
  ++stats_.batches;
  // One completion per storage call; each is brought home to this loop before touching state.
  auto finish = [this](std::vector<std::string> done_names) -> DoneCallback {
    ++batches_in_flight_;
    return [this, done_names = std::move(done_names)](Status status) mutable {
      loop_.Post([this, done_names = std::move(done_names), status] {
        --batches_in_flight_;
        OnBatchDone(done_names, status);
      });
    };
  };
  SendPlain(std::move(sets), std::move(set_names), std::move(deletes), finish);
  SendFenced(std::move(fenced_sets), std::move(fenced_deletes), finish);
}

void WriteBehindQueue::SendPlain(
    std::vector<NamedValue> sets, std::vector<std::string> set_names,
    std::vector<std::string> deletes,
    const std::function<DoneCallback(std::vector<std::string>)>& finish) {
  if (!sets.empty()) storage_.SetBulk(sets, finish(std::move(set_names)));
  if (!deletes.empty()) {
    auto cb = finish(deletes);
    storage_.DeleteBulk(deletes, std::move(cb));
  }
}

// A fenced write storage skipped is done all the same: storage holds a newer change.
void WriteBehindQueue::SendFenced(
    std::vector<FencedValue> sets, std::vector<FencedName> deletes,
    const std::function<DoneCallback(std::vector<std::string>)>& finish) {
  auto counted = [this](DoneCallback done) {
    return [this, done = std::move(done)](Result<FencedResult> applied) {
      if (!applied.ok()) return done(applied.status());
      size_t skipped = std::count(applied->begin(), applied->end(), false);
      loop_.Post([this, skipped] { stats_.fenced += skipped; });
      done(Status());
    };
  };
  if (!sets.empty()) {
    std::vector<std::string> names;
    for (const FencedValue& v : sets) names.push_back(v.name);
    storage_.SetBulkFenced(sets, counted(finish(std::move(names))));
  }
  if (!deletes.empty()) {
    std::vector<std::string> names;
    for (const FencedName& d : deletes) names.push_back(d.name);
    storage_.DeleteBulkFenced(deletes, counted(finish(std::move(names))));
  }
}

void WriteBehindQueue::OnBatchDone(const std::vector<std::string>& names, const Status& status) {
  for (const std::string& name : names) {
    auto it = entries_.find(name);
    if (it == entries_.end() || !it->second.in_flight) continue;
    if (status.ok()) {
      OnWritten(name, it->second);
    } else if (Retryable(status)) {
      OnRetryable(name, it->second, status);
    } else {
      OnFailed(name, it->second, status);
    }
    if (!it->second.queued && !it->second.in_flight && !it->second.retry_pending) {
      entries_.erase(it);
    }
  }
  if (!status.ok()) {
    spdlog::warn("storage {}: writing {} record(s) failed: {}", storage_.Name(), names.size(),
                 status.ToString());
  }
  Flush();
  MaybeFinishDrain();
}

void WriteBehindQueue::OnWritten(const std::string& name, Entry& entry) {
  ++stats_.written;
  entry.attempts = 0;
  RunAll(entry.in_flight->waiters, Status());
  entry.in_flight.reset();
  if (entry.queued) ready_.push_back(name);
}

void WriteBehindQueue::OnRetryable(const std::string& name, Entry& entry, const Status& status) {
  ++stats_.retries;
  // A newer queued operation supersedes the failed one: it inherits the waiters.
  if (entry.queued) {
    ++stats_.coalesced;
    auto& waiters = entry.queued->waiters;
    waiters.insert(waiters.begin(), std::make_move_iterator(entry.in_flight->waiters.begin()),
                   std::make_move_iterator(entry.in_flight->waiters.end()));
  } else {
    entry.queued = std::move(entry.in_flight);
  }
  entry.in_flight.reset();
  entry.retry_pending = true;
  loop_.PostAfter(Backoff(entry.attempts++), [this, name] { Retry(name); });
}

void WriteBehindQueue::OnFailed(const std::string& name, Entry& entry, const Status& status) {
  ++stats_.failed;
  spdlog::error("storage {}: write of record '{}' failed for good: {}", storage_.Name(), name,
                status.ToString());
  RunAll(entry.in_flight->waiters, status);
  entry.in_flight.reset();
  entry.attempts = 0;
  if (entry.queued) ready_.push_back(name);
}

void WriteBehindQueue::Retry(const std::string& name) {
  auto it = entries_.find(name);
  if (it == entries_.end()) return;
  it->second.retry_pending = false;
  if (it->second.queued && !it->second.in_flight) ready_.push_back(name);
  Flush();
}

std::chrono::milliseconds WriteBehindQueue::Backoff(int attempts) const {
  auto delay = options_.retry_initial * (int64_t{1} << std::min(attempts, 20));
  return std::min(delay, options_.retry_max);
}

void WriteBehindQueue::Drain(std::chrono::milliseconds timeout, DoneCallback done) {
  drain_waiters_.push_back(std::move(done));
  Flush();
  MaybeFinishDrain();
  loop_.PostAfter(timeout, [this] {
    if (drain_waiters_.empty()) return;
    std::string left;
    for (const auto& [name, entry] : entries_) {
      if (left.size() > 200) {
        left += ", ...";
        break;
      }
      left += left.empty() ? "" : ", ";
      left += name;
    }
    RunAll(drain_waiters_, Status::DeadlineExceeded(std::to_string(entries_.size()) +
                                                    " record(s) not written to storage: " + left));
  });
}

void WriteBehindQueue::MaybeFinishDrain() {
  if (entries_.empty()) RunAll(drain_waiters_, Status());
}

WriteBehindStats WriteBehindQueue::stats() const {
  WriteBehindStats s = stats_;
  s.waiting = entries_.size();
  return s;
}

}  // namespace strata

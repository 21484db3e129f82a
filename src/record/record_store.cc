#include "record/record_store.h"

#include <algorithm>
#include <atomic>
#include <iterator>
#include <memory>
#include <utility>

#include <spdlog/spdlog.h>

#include "common/fan_in.h"

namespace strata {
namespace {

// "cache read of 'a'", or for a batch "cache read of 3 records ('a', ...)".
std::string Describe(std::string_view what, const std::vector<std::string>& names) {
  std::string text(what);
  if (names.size() == 1) return text + " of '" + names.front() + "'";
  return text + " of " + std::to_string(names.size()) + " records ('" + names.front() + "', ...)";
}

}  // namespace

RecordStore::RecordStore(const RecordStoreOptions& options, CacheConnector& cache,
                         StorageConnector& storage, Executor& loop)
    : options_(options),
      cache_(cache),
      storage_(storage),
      loop_(loop),
      queue_(options.write_behind, storage, loop) {}

bool RecordStore::ExcludedFromStorage(std::string_view name) const {
  for (const std::string& prefix : options_.storage_exclusion_prefixes) {
    if (name.starts_with(prefix)) return true;
  }
  return false;
}

// `start` is called right away with the completion to hand to the connector. The connector may
// complete on any thread, or before returning: the result is posted home, and whichever of
// result and deadline comes first wins. A connector that answered before `start` returned (the
// memory cache always does) needs no deadline, so no timer is armed for it; `describe` names the
// operation for the timeout message and is only called when a timer is armed.
template <typename Arg, typename Start, typename Describe>
void WithDeadline(Executor& loop, std::chrono::milliseconds timeout, Describe&& describe,
                  Start&& start, std::function<void(Arg)> cb) {
  struct State {
    std::atomic<bool> answered{false};  // set by the connector's completion, on any thread
    bool done = false;                  // loop only: the callback ran
    std::function<void(Arg)> cb;
  };
  auto state = std::make_shared<State>();
  state->cb = std::move(cb);
  start([&loop, state](Arg result) {
    state->answered.store(true, std::memory_order_release);
    loop.Post([state, result = std::move(result)]() mutable {
      if (state->done) return;
      state->done = true;
      state->cb(std::move(result));
    });
  });
  if (state->answered.load(std::memory_order_acquire)) return;
  loop.PostAfter(timeout, [state, what = std::string(describe())] {
    if (state->done) return;
    state->done = true;
    state->cb(Arg(Status::DeadlineExceeded(what + " timed out")));
  });
}

void RecordStore::Get(std::string_view name, ReadCallback cb) {
  ++stats_.reads;
  // Answered from the storage queue, which may hold an older change than the cache in a cluster
  // (another node wrote since); there the cache holds every unpersisted change.
  const std::optional<RecordValue>* waiting = authority_ ? nullptr : queue_.Latest(name);
  if (waiting) {
    loop_.Post([cb = std::move(cb), value = *waiting] { cb(value); });
    return;
  }
  auto [it, inserted] = reads_.try_emplace(std::string(name));
  it->second.callbacks.push_back(std::move(cb));
  if (!inserted) {
    ++stats_.reads_coalesced;
    return;
  }
  lookups_.push_back(it->first);
  if (lookups_.size() == 1) loop_.Post([this] { StartLookups(); });
}

// Every lookup that started during one turn of the loop goes to the cache together, in batches
// of at most kMaxReadBatch names: a burst of reads costs one round trip, not one per record.
void RecordStore::StartLookups() {
  std::vector<std::string> names = std::exchange(lookups_, {});
  for (size_t first = 0; first < names.size(); first += kMaxReadBatch) {
    const size_t last = std::min(names.size(), first + kMaxReadBatch);
    ReadCache(std::make_shared<const std::vector<std::string>>(
        std::make_move_iterator(names.begin() + first),
        std::make_move_iterator(names.begin() + last)));
  }
}

void RecordStore::ReadCache(Names names) {
  using R = Result<GetBulkResult>;
  WithDeadline<R>(
      loop_, options_.cache_timeout, [&] { return Describe("cache read", *names); },
      [&](Callback<GetBulkResult> done) { cache_.GetBulk(*names, std::move(done)); },
      [this, names](R result) {
        if (!result.ok()) {
          ++stats_.cache_errors;
          ReadError error(result.status(), ReadBackend::kCache);
          for (const std::string& name : *names) FinishRead(name, error);
          return;
        }
        std::vector<std::string> to_storage;
        for (size_t i = 0; i < names->size(); ++i) {
          const std::string& name = (*names)[i];
          std::optional<RecordValue>& value = (*result)[i];
          if (value.has_value()) {
            ++stats_.cache_hits;
          } else if (ExcludedFromStorage(name)) {
            ++stats_.misses;
          } else {
            to_storage.push_back(name);
            continue;
          }
          FinishRead(name, std::move(value));
        }
        if (!to_storage.empty()) {
          ReadStorage(std::make_shared<const std::vector<std::string>>(std::move(to_storage)));
        }
      });
}

void RecordStore::ReadStorage(Names names) {
  using R = Result<GetBulkResult>;
  ++stats_.storage_read_batches;
  WithDeadline<R>(
      loop_, options_.storage_timeout, [&] { return Describe("storage read", *names); },
      [&](Callback<GetBulkResult> done) { storage_.GetBulk(*names, std::move(done)); },
      [this, names](R result) {
        if (!result.ok()) {
          ++stats_.storage_read_errors;
          ReadError error(result.status(), ReadBackend::kStorage);
          for (const std::string& name : *names) FinishRead(name, error);
          return;
        }
        std::vector<NamedValue> found;
        for (size_t i = 0; i < names->size(); ++i) {
          std::optional<RecordValue>& value = (*result)[i];
          if (!value.has_value()) {
            ++stats_.misses;
            continue;
          }
          ++stats_.storage_hits;
          // A write that started during the lookup is newer than what storage returned.
          auto it = reads_.find((*names)[i]);
          if (it != reads_.end() && !it->second.superseded) {
            found.push_back(NamedValue{(*names)[i], *value});
          }
        }
        Promote(found);
        for (size_t i = 0; i < names->size(); ++i) {
          FinishRead((*names)[i], std::move((*result)[i]));
        }
      });
}

// Loads storage hits into the cache, one bulk write per batch. Not awaited by the readers: a
// failed fill only costs a later storage read, and is counted and logged.
void RecordStore::Promote(const std::vector<NamedValue>& found) {
  if (found.empty()) return;
  if (authority_) return authority_->Fill(found);
  cache_.SetBulk(found, [this, count = found.size(), first = found.front().name](Status s) {
    if (s.ok()) return;
    loop_.Post([this, count, first, s] {
      ++stats_.cache_errors;
      spdlog::warn("cache {}: loading {} record(s) ('{}'{}) from storage into the cache failed: {}",
                   cache_.Name(), count, first, count > 1 ? ", ..." : "", s.ToString());
    });
  });
}

void RecordStore::FinishRead(const std::string& name, const ReadResult& result) {
  auto node = reads_.extract(name);
  if (node.empty()) return;
  for (auto& cb : node.mapped().callbacks) cb(result);
}

void RecordStore::MarkWritten(std::string_view name) {
  auto it = reads_.find(std::string(name));
  if (it != reads_.end()) it->second.superseded = true;
}

void RecordStore::Set(std::string_view name, RecordValue value, DoneCallback cached,
                      DoneCallback durable) {
  const bool excluded = ExcludedFromStorage(name);
  if (!excluded && queue_.Full(name)) {
    Status full =
        Status::ResourceExhausted("storage write queue is full (" +
                                  std::to_string(queue_.stats().waiting) + " records waiting)");
    loop_.Post([cached = std::move(cached), durable = std::move(durable), full] {
      cached(full);
      if (durable) durable(full);
    });
    return;
  }
  MarkWritten(name);
  std::string key(name);
  // Shared because the cache write and its completion both need it, and arguments are
  // evaluated before WithDeadline starts the write.
  auto shared = std::make_shared<RecordValue>(std::move(value));
  WithDeadline<Status>(
      loop_, options_.cache_timeout, [&] { return "cache write of '" + key + "'"; },
      [&](DoneCallback done) { cache_.Set(key, *shared, std::move(done)); },
      [this, key, shared, cached = std::move(cached), durable = std::move(durable),
       excluded](Status s) mutable {
        if (!s.ok()) ++stats_.cache_errors;
        if (!s.ok() || excluded) {
          cached(s);
          if (durable) durable(s);
          return;
        }
        queue_.EnqueueSet(key, std::move(*shared), std::move(durable));
        cached(s);
      });
}

void RecordStore::Delete(std::string_view name, DoneCallback done) {
  MarkWritten(name);
  std::string key(name);
  DoneCallback both = FanIn(2, std::move(done));  // the cache delete and the storage delete
  if (ExcludedFromStorage(key)) {
    loop_.Post([both] { both(Status()); });
  } else {
    queue_.EnqueueDelete(key, both);
  }
  WithDeadline<Status>(
      loop_, options_.cache_timeout, [&] { return "cache delete of '" + key + "'"; },
      [&](DoneCallback d) { cache_.Delete(key, std::move(d)); },
      [this, both](Status s) {
        if (!s.ok()) ++stats_.cache_errors;
        both(s);
      });
}

void RecordStore::Evict(std::string_view name, DoneCallback done) {
  MarkWritten(name);
  std::string key(name);
  WithDeadline<Status>(
      loop_, options_.cache_timeout, [&] { return "cache delete of '" + key + "'"; },
      [&](DoneCallback d) { cache_.Delete(key, std::move(d)); }, std::move(done));
}

// Tells the authority once storage holds change `seq`, then `then`.
DoneCallback RecordStore::Persisted(std::string_view name, uint64_t seq, DoneCallback then) {
  return [this, name = std::string(name), seq, then = std::move(then)](Status s) {
    if (s.ok()) authority_->Persisted(name, seq);
    if (then) then(s);
  };
}

bool RecordStore::StorageFull(std::string_view name) const {
  return !ExcludedFromStorage(name) && queue_.Full(name);
}

void RecordStore::Persist(std::string_view name, RecordValue value, uint64_t seq,
                          DoneCallback durable) {
  MarkWritten(name);
  if (!ExcludedFromStorage(name)) {
    return queue_.EnqueueSet(name, std::move(value), Persisted(name, seq, std::move(durable)), seq);
  }
  if (durable) loop_.Post([durable = std::move(durable)] { durable(Status()); });
}

void RecordStore::PersistDelete(std::string_view name, uint64_t seq, DoneCallback done) {
  MarkWritten(name);
  if (!ExcludedFromStorage(name)) {
    return queue_.EnqueueDelete(name, Persisted(name, seq, std::move(done)), seq);
  }
  loop_.Post([done = std::move(done)] { done(Status()); });
}

void RecordStore::Drain(std::chrono::milliseconds timeout, DoneCallback done) {
  queue_.Drain(timeout, std::move(done));
}

RecordStoreStats RecordStore::stats() const {
  RecordStoreStats s = stats_;
  s.storage_writes = queue_.stats();
  return s;
}

}  // namespace strata

#include "server/shard_set.h"

#include <future>

#include <spdlog/spdlog.h>

#include "common/fan_in.h"
#include "server/message_routes.h"

namespace strata {
namespace {

void LogStats(const RecordStoreStats& st) {
  spdlog::debug(
      "shard stats: reads {} (cache hits {}, storage hits {}, misses {}), storage writes {} "
      "(coalesced {}, retries {}, failed {})",
      st.reads, st.cache_hits, st.storage_hits, st.misses, st.storage_writes.written,
      st.storage_writes.coalesced, st.storage_writes.retries, st.storage_writes.failed);
}

}  // namespace

ShardSet::ShardSet(size_t count, const ServerOptions& options, CacheConnector& cache,
                   StorageConnector& storage) {
  std::vector<ShardServices> services;
  for (size_t i = 0; i < count; ++i) {
    shards_.push_back(std::make_unique<Shard>(
        i, options, cache, storage, [this](Topic topic, std::function<void(ListenerRegistry&)> fn) {
          EveryRegistry(topic, std::move(fn));
        }));
    services.push_back(shards_.back()->services());
  }
  router_ = std::make_unique<ShardRouter>(std::move(services), &RouteOf);
  for (auto& shard : shards_) shard->sessions.router = router_.get();
}

ShardSet::~ShardSet() { StopLoops(); }

void ShardSet::StartLoops() {
  for (auto& shard : shards_) shard->loop->Start();
}

void ShardSet::StopLoops() {
  for (auto& shard : shards_) shard->loop->Stop();
}

std::vector<EventLoop*> ShardSet::loops() const {
  std::vector<EventLoop*> loops;
  for (const auto& shard : shards_) loops.push_back(shard->loop.get());
  return loops;
}

void ShardSet::EveryRegistry(Topic topic, std::function<void(ListenerRegistry&)> fn) {
  for (size_t i = 0; i < shards_.size(); ++i) {
    ListenerRegistry* registry = &shards_[i]->listeners(topic);
    router_->RunOnShard(i, [registry, fn] { fn(*registry); });
  }
}

Status ShardSet::Drain(Millis timeout) {
  std::vector<std::future<Status>> waits;
  for (auto& shard : shards_) {
    auto promise = std::make_shared<std::promise<Status>>();
    waits.push_back(promise->get_future());
    RecordStore* store = shard->store.get();
    shard->loop->Post([store, promise, timeout] {
      store->Drain(timeout, [promise](Status s) { promise->set_value(s); });
    });
  }
  Status drained;
  for (auto& w : waits) {
    Status s = w.get();
    if (!s.ok() && drained.ok()) drained = s;
  }
  for (auto& shard : shards_) LogStats(shard->store->stats());
  return drained;
}

permission::RecordLookup ShardSet::RecordLookup() {
  return [this](const std::string& name,
                std::function<void(Result<std::optional<std::string>>)> done) {
    const size_t owner = router_->ShardOf(name);
    RecordStore* store = shards_[owner]->store.get();
    router_->RunOnShard(owner, [store, name, done = std::move(done)] {
      store->Get(name, [done](Result<std::optional<RecordValue>> got) {
        if (!got.ok()) return done(got.status());
        done(*got ? std::optional<std::string>((*got)->json) : std::nullopt);
      });
    });
  };
}

void ShardSet::GatherMetrics(std::function<void(std::vector<LoopMetrics>)> done) {
  PartCallback<LoopMetrics> part = FanInValues<LoopMetrics>(
      shards_.size(), [done = std::move(done)](Result<std::vector<LoopMetrics>> loops) {
        done(std::move(loops).value());  // no part fails
      });
  for (size_t i = 0; i < shards_.size(); ++i) {
    Shard* shard = shards_[i].get();
    router_->RunOnShard(i, [shard, part, i] { part(i, shard->Metrics()); });
  }
}

}  // namespace strata

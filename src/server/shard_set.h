#pragma once
// ShardSet: the event loops of the process, each with its Shard, and the ShardRouter over them.
// The server builds it once the connectors are ready, and asks it for what spans all shards:
// draining the storage queues, gathering metrics, loading a record for a permission rule.
//
// Thread-safety: construction, StartLoops and StopLoops from the controlling thread; Drain blocks
// and must not run on a loop; RecordLookup and GatherMetrics from any thread.

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "config/options.h"
#include "permission/permission_checker.h"
#include "server/shard.h"
#include "server/shard_router.h"
#include "strata/cache_connector.h"
#include "strata/storage_connector.h"

namespace strata {

class ShardSet {
 public:
  // `count` shards over the connectors (which outlive the set). The loops are not started yet.
  ShardSet(size_t count, const ServerOptions& options, CacheConnector& cache,
           StorageConnector& storage);
  ~ShardSet();
  ShardSet(const ShardSet&) = delete;
  ShardSet& operator=(const ShardSet&) = delete;

  void StartLoops();
  // Stops every loop and joins its thread; work not yet run is dropped.
  void StopLoops();

  size_t size() const { return shards_.size(); }
  Shard& shard(size_t i) { return *shards_[i]; }
  ShardRouter& router() { return *router_; }
  std::vector<EventLoop*> loops() const;

  // Writes every queued storage write, waiting at most `timeout` per shard; the first failure.
  Status Drain(Millis timeout);
  // Loads a record from the shard that owns it, for permission rules.
  permission::RecordLookup RecordLookup();
  // Each loop's numbers, gathered on that loop; `done` runs on the last loop to answer.
  void GatherMetrics(std::function<void(std::vector<LoopMetrics>)> done);

 private:
  // ListenFront's access to the registries of every shard.
  void EveryRegistry(Topic topic, std::function<void(ListenerRegistry&)> fn);

  std::vector<std::unique_ptr<Shard>> shards_;
  std::unique_ptr<ShardRouter> router_;
};

}  // namespace strata

#pragma once
// ClusterLink: what the server sees of the cluster (clusterNode: {name: redis}). Join connects
// this node; AttachShard connects each loop's record and event handlers to it, so that versions
// are decided in Redis and changes and events travel between nodes (cluster_records.h,
// cluster_events.h). Without hiredis at build time, Join refuses with a message saying so.
//
// Thread-safety: Join, AttachShard, Start and destruction from the controlling thread, AttachShard
// and Start before the loops start; destroy after the loops stopped and before the handlers are
// destroyed.

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "config/options.h"
#include "event/event_handler.h"
#include "presence/presence_handler.h"
#include "record/record_handler.h"
#include "rpc/rpc_handler.h"
#include "strata/executor.h"
#include "strata/status.h"
#include "strata/storage_connector.h"

namespace strata {

class ClusterLink {
 public:
  // Which loop owns a record or event name (the shard router's hash).
  using ShardOf = std::function<size_t(std::string_view name)>;

  virtual ~ClusterLink() = default;
  static Result<std::unique_ptr<ClusterLink>> Join(const ServerOptions& options, ShardOf shard_of);
  // What this build can cluster over, for `strata info`: "redis", or why nothing.
  static std::string_view Support();

  // One loop's handlers, as the cluster connects them.
  struct ShardParts {
    Executor* loop = nullptr;
    RecordHandler* records = nullptr;
    EventHandler* events = nullptr;
    RpcHandler* rpc = nullptr;
    PresenceHandler* presence = nullptr;  // shard 0 only
    StorageConnector* storage = nullptr;  // serves cache misses; the sweeper writes to it
  };
  // Every shard, in any order, then Start: bus messages reach the shards only after Start.
  virtual void AttachShard(size_t index, const ShardParts& parts) = 0;
  virtual void Start() = 0;
  // Empty while the node reaches its Redis; otherwise why not (for the health check).
  virtual std::string Unhealthy() const = 0;
  // Lines for /metrics (Prometheus text), each ending in '\n'.
  virtual std::string MetricsText() const = 0;
};

}  // namespace strata

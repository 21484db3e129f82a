#pragma once
// Shard: everything one event loop owns. Each loop runs the connections the transport accepted
// onto it and owns a shard of the names (hash of the name): that shard's RecordStore and one
// handler per service (route.h). Presence is about users, not names: only shard 0 has it.
//
// Thread-safety: built and destroyed by the server while no work runs; everything else on the
// shard's loop.

#include <memory>

#include "config/options.h"
#include "event/event_handler.h"
#include "listen/listen_front.h"
#include "listen/listener_registry.h"
#include "presence/presence_handler.h"
#include "record/record_handler.h"
#include "record/record_store.h"
#include "rpc/rpc_handler.h"
#include "server/metrics.h"
#include "server/session.h"
#include "server/shard_router.h"
#include "strata/cache_connector.h"
#include "transport/event_loop.h"

namespace strata {

struct Shard {
  // Builds shard `index` on a new (not yet started) loop. `every_registry` reaches the listener
  // registries of all shards (ListenFront).
  Shard(size_t index, const ServerOptions& options, CacheConnector& cache,
        StorageConnector& storage, ListenFront::EveryRegistry every_registry);
  Shard(const Shard&) = delete;
  Shard& operator=(const Shard&) = delete;

  // The handlers, as the router addresses them.
  ShardServices services();
  ListenerRegistry& listeners(Topic topic) {
    return topic == Topic::kRecord ? *record_listeners : *event_listeners;
  }
  // This loop's numbers for /metrics. REQUIRES: on the loop.
  LoopMetrics Metrics() const;

  // Declared first, destroyed last: everything below posts to it.
  std::unique_ptr<EventLoop> loop;
  std::unique_ptr<RecordStore> store;
  std::unique_ptr<RecordHandler> records;
  std::unique_ptr<EventHandler> events;
  std::unique_ptr<RpcHandler> rpc;
  std::unique_ptr<PresenceHandler> presence;  // shard 0 only
  // Listening on RECORD and EVENT: every shard knows every pattern (declared after the handlers
  // whose subscriptions they observe, so they go first).
  std::unique_ptr<ListenerRegistry> record_listeners;
  std::unique_ptr<ListenerRegistry> event_listeners;
  std::unique_ptr<ListenFront> listen_front;  // patterns of this loop's own connections
  SessionContext sessions;                    // what this loop's sessions share
};

}  // namespace strata

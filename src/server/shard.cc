#include "server/shard.h"

namespace strata {

Shard::Shard(size_t index, const ServerOptions& options, CacheConnector& cache,
             StorageConnector& storage, ListenFront::EveryRegistry every_registry)
    : loop(std::make_unique<EventLoop>()) {
  store = std::make_unique<RecordStore>(options.record.store, cache, storage, *loop);
  records = std::make_unique<RecordHandler>(
      RecordHandlerOptions{options.record.storage_hot_path_prefixes}, *store);
  events = std::make_unique<EventHandler>();
  rpc = std::make_unique<RpcHandler>(options.rpc, *loop);
  if (index == 0) presence = std::make_unique<PresenceHandler>();
  record_listeners = std::make_unique<ListenerRegistry>(Topic::kRecord, options.listen, *loop,
                                                        records->mutable_subscriptions());
  event_listeners = std::make_unique<ListenerRegistry>(Topic::kEvent, options.listen, *loop,
                                                       events->mutable_subscriptions());
  listen_front = std::make_unique<ListenFront>(std::move(every_registry));
  sessions.shard = index;
  sessions.loop = loop.get();
}

ShardServices Shard::services() {
  ShardServices s;
  s.loop = loop.get();
  auto set = [&s](Service service, TopicHandler* handler) {
    s.handlers[static_cast<size_t>(service)] = handler;
  };
  set(Service::kRecords, records.get());
  set(Service::kEvents, events.get());
  set(Service::kRpcs, rpc.get());
  set(Service::kPresence, presence.get());
  set(Service::kRecordListeners, record_listeners.get());
  set(Service::kEventListeners, event_listeners.get());
  set(Service::kListenPatterns, listen_front.get());
  return s;
}

LoopMetrics Shard::Metrics() const {
  return LoopMetrics{store->stats(), sessions.open_sessions,
                     records->subscriptions().subscription_count(), records->active_transitions()};
}

}  // namespace strata

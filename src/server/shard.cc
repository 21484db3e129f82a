#include "server/shard.h"

namespace strata {
namespace {

RecordStoreOptions StoreOptions(const RecordConfig& c) {
  RecordStoreOptions o;
  o.cache_timeout = c.cache_retrieval_timeout;
  o.storage_timeout = c.storage_retrieval_timeout;
  o.storage_exclusion_prefixes = c.storage_exclusion_prefixes;
  o.write_behind.limit = c.storage_queue_limit;
  o.write_behind.batch_size = c.storage_batch_size;
  o.write_behind.retry_initial = c.storage_retry_interval;
  o.write_behind.retry_max = c.storage_retry_max;
  return o;
}

}  // namespace

Shard::Shard(size_t index, const ServerOptions& options, CacheConnector& cache,
             StorageConnector& storage, ListenFront::EveryRegistry every_registry)
    : loop(std::make_unique<EventLoop>()) {
  const RpcOptions rpc_options{options.rpc.ack_timeout, options.rpc.response_timeout,
                               options.rpc.provide_requestor_name,
                               options.rpc.provide_requestor_data};
  // listen.rematchInterval and listen.matchCooldown are accepted but unused: strata re-matches
  // whenever a new pattern arrives (see listener_registry.h).
  const ListenOptions listen_options{options.listen.response_timeout,
                                     options.listen.shuffle_providers};
  store = std::make_unique<RecordStore>(StoreOptions(options.record), cache, storage, *loop);
  records = std::make_unique<RecordHandler>(
      RecordHandlerOptions{options.record.storage_hot_path_prefixes}, *store);
  events = std::make_unique<EventHandler>();
  rpc = std::make_unique<RpcHandler>(rpc_options, *loop);
  if (index == 0) presence = std::make_unique<PresenceHandler>();
  record_listeners = std::make_unique<ListenerRegistry>(Topic::kRecord, listen_options, *loop,
                                                        records->mutable_subscriptions());
  event_listeners = std::make_unique<ListenerRegistry>(Topic::kEvent, listen_options, *loop,
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
                     records->subscriptions().subscription_count(),
                     records->active_transitions()};
}

}  // namespace strata

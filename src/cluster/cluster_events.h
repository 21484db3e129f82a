#pragma once
// ClusterEvents: events across the nodes of a cluster, for the event names one loop owns. An EMIT
// is delivered to local subscribers at once and published on `strata:e:<name>`; a node follows
// that channel while it has local subscribers of the name and delivers what other nodes publish
// (its own messages come back and are skipped). At most once, in order per emitting node, as
// deepstream's own cluster does: events are not state, and a lost one is not re-sent.
//
// Thread-safety: one per loop; everything on that loop (bus messages are posted to it).

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>

#include "cluster/cluster_node.h"
#include "event/event_handler.h"
#include "pubsub/subscription_registry.h"

namespace strata::cluster {

class ClusterEvents final : public EventRelay, public SubscriptionObserver {
 public:
  ClusterEvents(ClusterNode& node, SubscriptionRegistry& subscriptions);
  ~ClusterEvents() override;
  ClusterEvents(const ClusterEvents&) = delete;
  ClusterEvents& operator=(const ClusterEvents&) = delete;

  void Publish(const std::string& name, const std::optional<std::string>& data) override;
  // From the bus, on this loop.
  void OnMessage(const std::string& name, std::string_view payload);

  void OnSubscribed(const std::string& name, const std::shared_ptr<Client>&, bool first) override;
  void OnLastUnsubscribed(const std::string& name) override;

  uint64_t delivered() const { return delivered_.load(); }  // from any thread

 private:
  ClusterNode& node_;
  SubscriptionRegistry& subscriptions_;
  std::atomic<uint64_t> delivered_{0};  // events from other nodes handed to local subscribers
};

}  // namespace strata::cluster

#pragma once
// EventHandler: the EVENT topic (publish/subscribe, PROTOCOL.md 2.10) for the event names one
// event loop owns. RouteOf says how EVENT messages get here: a bulk subscribe/unsubscribe is
// acked at once and split by owner, anything else goes to the owner of its name. An EMIT goes,
// exactly as received, to every subscriber but the sender.
// Thread-safety: not thread-safe; call on the owning loop only.

#include <memory>
#include <optional>
#include <string>

#include "pubsub/client.h"
#include "pubsub/route.h"
#include "pubsub/subscription_registry.h"
#include "pubsub/topic_handler.h"
#include "strata/message.h"

namespace strata {

// Where an EMIT goes beyond this node: the cluster (src/cluster); none on a single node.
class EventRelay {
 public:
  virtual ~EventRelay() = default;
  virtual void Publish(const std::string& name, const std::optional<std::string>& data) = 0;
};

class EventHandler final : public TopicHandler {
 public:
  // In a cluster, where EMITs also go. REQUIRES: before the first message.
  void SetRelay(EventRelay* relay) { relay_ = relay; }

  // How an EVENT message (listening aside) reaches the loops that own its names.
  static Route RouteOf(const Message& msg);

  // REQUIRES: msg.topic == EVENT; every name in it belongs to this loop.
  void Handle(const std::shared_ptr<Client>& client, Message msg) override;
  // The client disconnected.
  void RemoveClient(uint64_t client_id) override { subscriptions_.RemoveClient(client_id); }
  const SubscriptionRegistry& subscriptions() const { return subscriptions_; }
  // For the listener registry, which observes it (src/listen).
  SubscriptionRegistry& mutable_subscriptions() { return subscriptions_; }

 private:
  EventRelay* relay_ = nullptr;
  SubscriptionRegistry subscriptions_;
};

}  // namespace strata

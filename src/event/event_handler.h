#pragma once
// EventHandler: the EVENT topic (publish/subscribe, PROTOCOL.md 2.10) for the event names one
// event loop owns. The server sends the bulk subscribe/unsubscribe acks itself, then routes each
// name here. An EMIT goes, exactly as received, to every subscriber but the sender.
// Thread-safety: not thread-safe; call on the owning loop only.

#include <memory>

#include "protocol/client.h"
#include "pubsub/subscription_registry.h"
#include "strata/message.h"

namespace strata {

class EventHandler {
 public:
  // REQUIRES: msg.topic == EVENT; every name in it belongs to this loop.
  void Handle(const std::shared_ptr<Client>& client, const Message& msg);
  // The client disconnected.
  void RemoveClient(uint64_t client_id) { subscriptions_.RemoveClient(client_id); }
  const SubscriptionRegistry& subscriptions() const { return subscriptions_; }
  // For the listener registry, which observes it (src/listen).
  SubscriptionRegistry& mutable_subscriptions() { return subscriptions_; }

 private:
  SubscriptionRegistry subscriptions_;
};

}  // namespace strata

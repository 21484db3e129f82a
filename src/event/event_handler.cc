#include "event/event_handler.h"

#include <spdlog/spdlog.h>

#include "pubsub/replies.h"

namespace strata {
namespace ea = event_action;

Route EventHandler::RouteOf(const Message& msg) {
  const bool bulk = msg.action == ea::kSubscribe || msg.action == ea::kUnsubscribe;
  return replies::BulkOrOwner(Service::kEvents, msg, bulk);
}

void EventHandler::Handle(const std::shared_ptr<Client>& client, Message msg) {
  switch (msg.action) {
    case ea::kSubscribe:
      for (const std::string& name : msg.names) {
        if (subscriptions_.Subscribe(name, client)) continue;
        client->Send(replies::AlreadySubscribed(Topic::kEvent, name, ea::kSubscribe));
      }
      return;
    case ea::kUnsubscribe:
      for (const std::string& name : msg.names) subscriptions_.Unsubscribe(name, client->id());
      return;
    case ea::kEmit:
      // deepstream re-encodes the received message: extra fields pass through unchanged.
      if (!msg.name) return;
      if (relay_) relay_->Publish(*msg.name, msg.data);
      subscriptions_.Send(*msg.name, Broadcast(msg), client->id());
      return;
    default:
      // Listening goes to the listener registry (src/listen); unknown actions are ignored as
      // deepstream does (PROTOCOL.md 2.13).
      spdlog::debug("event: ignoring action {} from connection {}", msg.action, client->id());
  }
}

}  // namespace strata

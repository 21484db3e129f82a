#include "event/event_handler.h"

#include <spdlog/spdlog.h>

namespace strata {
namespace ea = event_action;

void EventHandler::Handle(const std::shared_ptr<Client>& client, const Message& msg) {
  switch (msg.action) {
    case ea::kSubscribe:
      for (const std::string& name : msg.names) {
        if (subscriptions_.Subscribe(name, client)) continue;
        Message dup;
        dup.topic = Topic::kEvent;
        dup.action = ea::kMultipleSubscriptions;
        dup.name = name;
        dup.original_action = ea::kSubscribe;
        client->Send(dup);
      }
      return;
    case ea::kUnsubscribe:
      for (const std::string& name : msg.names) subscriptions_.Unsubscribe(name, client->id());
      return;
    case ea::kEmit:
      // deepstream re-encodes the received message: extra fields pass through unchanged.
      if (msg.name) subscriptions_.Send(*msg.name, Broadcast(msg), client->id());
      return;
    default:
      // Listening goes to the listener registry (server.cc); unknown actions are ignored as
      // deepstream does (PROTOCOL.md 2.13).
      spdlog::debug("event: ignoring action {} from connection {}", msg.action, client->id());
  }
}

}  // namespace strata

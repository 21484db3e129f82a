#pragma once
// ListenFront: LISTEN and UNLISTEN (PROTOCOL.md 2.9.4) for the connections of one loop. It keeps
// the patterns each of them listens to, so both are answered at once, on the connection's own
// loop, without asking the other loops: LISTEN is acked (echoed with isAck), or answered
// MULTIPLE_SUBSCRIPTIONS when the connection already listens to that pattern (deepstream 7.0.2
// means to send this but crashes building it) or INVALID_LISTEN_REGEX when the pattern does not
// compile; UNLISTEN is acked, or not answered at all for a pattern not listened to (as
// deepstream). Accepted changes then go to every shard's ListenerRegistry, posted from this one
// loop, so LISTEN, UNLISTEN and the disconnect cleanup keep their order on every shard.
//
// RouteOf tells listening messages from the rest of RECORD and EVENT: LISTEN/UNLISTEN come here,
// LISTEN_ACCEPT/LISTEN_REJECT go to the registry of the shard that owns their subscription.
//
// Thread-safety: not thread-safe; one per loop, called on that loop.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>

#include "listen/listener_registry.h"
#include "pubsub/route.h"
#include "pubsub/topic_handler.h"

namespace strata {

class ListenFront final : public TopicHandler {
 public:
  // Runs `fn` with each shard's registry of `topic` (RECORD or EVENT), on that shard's loop, in
  // the order of the calls made from this loop.
  using EveryRegistry = std::function<void(Topic topic, std::function<void(ListenerRegistry&)> fn)>;

  // The route of a listening message with a name or a subscription; nullopt for anything else
  // (nameless listening messages are the topic's own business, as deepstream answers them).
  static std::optional<Route> RouteOf(const Message& msg);

  explicit ListenFront(EveryRegistry every_registry);

  // LISTEN or UNLISTEN with a name.
  void Handle(const std::shared_ptr<Client>& client, Message msg) override;
  // The client disconnected: its patterns are forgotten here (the registries forget theirs
  // through their own RemoveClient).
  void RemoveClient(uint64_t client_id) override { patterns_.erase(client_id); }

 private:
  void Listen(const std::shared_ptr<Client>& client, const Message& msg);
  void Unlisten(const std::shared_ptr<Client>& client, const Message& msg);

  const EveryRegistry every_registry_;
  // The patterns each connection of this loop listens to, per topic.
  std::unordered_map<uint64_t, std::set<std::pair<Topic, std::string>>> patterns_;
};

}  // namespace strata

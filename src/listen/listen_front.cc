#include "listen/listen_front.h"

#include <spdlog/spdlog.h>

#include "listen/listen_pattern.h"
#include "pubsub/replies.h"

namespace strata {
namespace {

namespace ra = record_action;
namespace ea = event_action;

// The action numbers of RECORD and EVENT differ: picks the one of `topic`.
int32_t ActionOf(Topic topic, int32_t record, int32_t event) {
  return topic == Topic::kRecord ? record : event;
}

bool IsListening(const Message& msg) {
  if (msg.topic == Topic::kRecord) {
    return msg.action >= ra::kListen && msg.action <= ra::kListenReject;
  }
  return msg.topic == Topic::kEvent && msg.action >= ea::kListen && msg.action <= ea::kListenReject;
}

Message InvalidRegex(const Message& msg) {
  Message invalid;
  invalid.topic = msg.topic;
  invalid.action = ActionOf(msg.topic, ra::kInvalidListenRegex, ea::kInvalidListenRegex);
  invalid.name = msg.name;
  return invalid;
}

}  // namespace

std::optional<Route> ListenFront::RouteOf(const Message& msg) {
  if (!IsListening(msg) || (!msg.name && !msg.subscription)) return std::nullopt;
  const bool pattern_change = msg.action == ActionOf(msg.topic, ra::kListen, ea::kListen) ||
                              msg.action == ActionOf(msg.topic, ra::kUnlisten, ea::kUnlisten);
  if (pattern_change) {
    return Route{.service = Service::kListenPatterns,
                 .delivery = msg.name ? Delivery::kHomeShard : Delivery::kNone};
  }
  return Route{
      .service = msg.topic == Topic::kRecord ? Service::kRecordListeners : Service::kEventListeners,
      .delivery = msg.subscription ? Delivery::kSubscriptionOwner : Delivery::kNone};
}

ListenFront::ListenFront(EveryRegistry every_registry)
    : every_registry_(std::move(every_registry)) {}

void ListenFront::Handle(const std::shared_ptr<Client>& client, Message msg) {
  if (msg.action == ActionOf(msg.topic, ra::kListen, ea::kListen)) return Listen(client, msg);
  Unlisten(client, msg);
}

void ListenFront::Listen(const std::shared_ptr<Client>& client, const Message& msg) {
  auto& patterns = patterns_[client->id()];
  if (patterns.contains({msg.topic, *msg.name})) {
    return client->Send(replies::AlreadySubscribed(msg.topic, *msg.name, msg.action));
  }
  Result<std::shared_ptr<const ListenPattern>> pattern = ListenPattern::Compile(*msg.name);
  if (!pattern.ok()) {
    spdlog::debug("connection {}: invalid listen pattern '{}': {}", client->id(), *msg.name,
                  pattern.status().message());
    return client->Send(InvalidRegex(msg));
  }
  patterns.insert({msg.topic, *msg.name});
  client->Send(replies::Echo(msg));
  every_registry_(msg.topic, [client, compiled = *pattern](ListenerRegistry& registry) {
    registry.Listen(client, compiled);
  });
}

void ListenFront::Unlisten(const std::shared_ptr<Client>& client, const Message& msg) {
  auto it = patterns_.find(client->id());
  if (it == patterns_.end() || it->second.erase({msg.topic, *msg.name}) == 0) return;
  if (it->second.empty()) patterns_.erase(it);
  client->Send(replies::Echo(msg));
  every_registry_(msg.topic, [id = client->id(), pattern = *msg.name](ListenerRegistry& registry) {
    registry.Unlisten(id, pattern);
  });
}

}  // namespace strata

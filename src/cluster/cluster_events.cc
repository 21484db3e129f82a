#include "cluster/cluster_events.h"

#include <spdlog/spdlog.h>

namespace strata::cluster {
namespace {

// "<node> -" for an event without data, "<node> +<data>" with.
std::string Encode(const std::string& node, const std::optional<std::string>& data) {
  return data ? node + " +" + *data : node + " -";
}

std::string Channel(const std::string& name) { return std::string(kEventChannel) + name; }

}  // namespace

ClusterEvents::ClusterEvents(ClusterNode& node, SubscriptionRegistry& subscriptions)
    : node_(node), subscriptions_(subscriptions) {
  subscriptions_.AddObserver(this);
}

ClusterEvents::~ClusterEvents() { subscriptions_.RemoveObserver(this); }

void ClusterEvents::Publish(const std::string& name, const std::optional<std::string>& data) {
  node_.Call({"PUBLISH", Channel(name), Encode(node_.id(), data)}, [name](Result<RedisValue> r) {
    if (r.ok() && r->type != RedisValue::Type::kError) return;
    spdlog::warn("cluster: event '{}' was not published to other nodes: {}", name,
                 r.ok() ? r->text : r.status().ToString());
  });
}

void ClusterEvents::OnMessage(const std::string& name, std::string_view payload) {
  size_t space = payload.find(' ');
  if (space == std::string_view::npos || space + 1 >= payload.size()) {
    spdlog::error("cluster: malformed event message on '{}'", name);
    return;
  }
  if (payload.substr(0, space) == node_.id()) return;  // delivered locally when emitted
  Message msg;
  msg.topic = Topic::kEvent;
  msg.action = event_action::kEmit;
  msg.name = name;
  if (payload[space + 1] == '+') msg.data = std::string(payload.substr(space + 2));
  ++delivered_;
  subscriptions_.Send(name, Broadcast(std::move(msg)), 0);
}

void ClusterEvents::OnSubscribed(const std::string& name, const std::shared_ptr<Client>&,
                                 bool first) {
  if (first) node_.Subscribe(Channel(name), [] {});
}

void ClusterEvents::OnLastUnsubscribed(const std::string& name) {
  node_.Unsubscribe(Channel(name));
}

}  // namespace strata::cluster

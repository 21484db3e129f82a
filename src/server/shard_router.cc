#include "server/shard_router.h"

#include <algorithm>
#include <utility>

#include "common/fan_in.h"

namespace strata {
namespace {

// A disconnected client leaves the services in this order on every shard: subscriptions before
// listen patterns, so that a provider that also subscribes is not offered its own names again on
// its way out.
constexpr Service kCleanupOrder[] = {Service::kRecords, Service::kEvents, Service::kRecordListeners,
                                     Service::kEventListeners, Service::kRpcs};

Message Part(const Message& msg, std::vector<std::string> names) {
  Message part;
  part.topic = msg.topic;
  part.action = msg.action;
  part.correlation_id = msg.correlation_id;
  part.names = std::move(names);
  return part;
}

}  // namespace

ShardRouter::ShardRouter(std::vector<ShardServices> shards, RouteOf route_of)
    : shards_(std::move(shards)), route_of_(std::move(route_of)) {}

size_t ShardRouter::ShardOf(std::string_view name) const {
  return std::hash<std::string_view>{}(name) % shards_.size();
}

void ShardRouter::RunOnShard(size_t shard, std::function<void()> fn) {
  Executor& loop = *shards_[shard].loop;
  if (loop.RunningInThisThread()) return fn();
  loop.Post(std::move(fn));
}

TopicHandler* ShardRouter::HandlerOf(size_t shard, Service service) const {
  return shards_[shard].handlers[static_cast<size_t>(service)];
}

void ShardRouter::Dispatch(const std::shared_ptr<Client>& client, Message msg) {
  Route route = route_of_(msg);
  if (route.reply) client->Send(*route.reply);
  switch (route.delivery) {
    case Delivery::kNone:
      return;
    case Delivery::kOwner: {
      STRATA_CHECK(msg.name && "a route sent a nameless message to its owner");
      const size_t owner = ShardOf(*msg.name);  // before msg is moved into the call
      return RunOnOwner(owner, route.service, client, std::move(msg));
    }
    case Delivery::kSubscriptionOwner: {
      STRATA_CHECK(msg.subscription && "a route sent a message without subscription to its owner");
      const size_t owner = ShardOf(*msg.subscription);
      return RunOnOwner(owner, route.service, client, std::move(msg));
    }
    case Delivery::kSplit:
      return SplitByShard(route.service, client, std::move(msg));
    case Delivery::kSplitJoined:
      return SplitJoined(std::move(route), client, std::move(msg));
    case Delivery::kFirstShard:
      return RunOnOwner(0, route.service, client, std::move(msg));
    case Delivery::kHomeShard:
      return HandlerOf(client->home_shard(), route.service)->Handle(client, std::move(msg));
  }
}

void ShardRouter::RunOnOwner(size_t shard, Service service, const std::shared_ptr<Client>& client,
                             Message msg) {
  TopicHandler* handler = HandlerOf(shard, service);
  RunOnShard(shard, [handler, client, msg = std::move(msg)]() mutable {
    handler->Handle(client, std::move(msg));
  });
}

std::vector<std::vector<std::string>> ShardRouter::Parts(std::vector<std::string> names) const {
  std::vector<std::vector<std::string>> parts(shards_.size());
  for (std::string& name : names) parts[ShardOf(name)].push_back(std::move(name));
  return parts;
}

void ShardRouter::SplitByShard(Service service, const std::shared_ptr<Client>& client,
                               Message msg) {
  std::vector<std::vector<std::string>> parts = Parts(std::move(msg.names));
  for (size_t i = 0; i < parts.size(); ++i) {
    if (!parts[i].empty()) RunOnOwner(i, service, client, Part(msg, std::move(parts[i])));
  }
}

void ShardRouter::SplitJoined(Route route, const std::shared_ptr<Client>& client, Message msg) {
  std::vector<std::vector<std::string>> parts = Parts(msg.names);
  const size_t owners =
      std::count_if(parts.begin(), parts.end(), [](auto& p) { return !p.empty(); });
  DoneCallback finish =
      FanIn(owners, [client, reply = std::move(route.joined_reply)](const Status& first_error) {
        client->Send(reply(first_error));
      });
  for (size_t i = 0; i < parts.size(); ++i) {
    if (parts[i].empty()) continue;
    TopicHandler* handler = HandlerOf(i, route.service);
    RunOnShard(i, [handler, client, part = Part(msg, std::move(parts[i])), finish]() mutable {
      handler->HandleJoined(client, std::move(part), finish);
    });
  }
}

void ShardRouter::Login(const std::shared_ptr<Client>& client) {
  TopicHandler* presence = HandlerOf(0, Service::kPresence);
  RunOnShard(0, [presence, client] { presence->Login(client); });
}

void ShardRouter::Disconnect(const std::shared_ptr<Client>& client, bool logged_in) {
  const uint64_t id = client->id();
  HandlerOf(client->home_shard(), Service::kListenPatterns)->RemoveClient(id);
  TopicHandler* presence = HandlerOf(0, Service::kPresence);
  if (logged_in) RunOnShard(0, [presence, id] { presence->RemoveClient(id); });
  for (size_t i = 0; i < shards_.size(); ++i) {
    RunOnShard(i, [this, i, id] {
      for (Service service : kCleanupOrder) HandlerOf(i, service)->RemoveClient(id);
    });
  }
}

}  // namespace strata

#pragma once
// ShardRouter: the Router of one process. Every name (record, event, RPC) belongs to one shard
// by its hash, and each shard is one event loop with its own handler per service (route.h), so no
// state is shared between loops. A message's Route (stated by its topic) decides where it goes:
// to the owner of its name, split over the owners of its names (optionally joined for one reply),
// to shard 0 (presence), or to the sender's own shard (its listen patterns).
//
// A message bound for another loop is posted there; posts from one loop to another run in order,
// so one client's messages to one name stay in order. Routing never waits and takes no lock.
//
// Thread-safety: as Router; construct and destroy while no loop runs its work.

#include <array>
#include <cstddef>
#include <functional>
#include <memory>
#include <string_view>
#include <vector>

#include "pubsub/route.h"
#include "pubsub/topic_handler.h"
#include "server/router.h"
#include "strata/executor.h"

namespace strata {

// What the router needs of one shard.
struct ShardServices {
  Executor* loop = nullptr;
  // The handler of each service, by Service. Every shard has one for every service but
  // kPresence, which only shard 0 has.
  std::array<TopicHandler*, kServiceCount> handlers{};
};

class ShardRouter final : public Router {
 public:
  // The route of a message (each topic's rules, composed by the server).
  using RouteOf = std::function<Route(const Message& msg)>;

  // REQUIRES: at least one shard, each with its handlers (see ShardServices); loops and
  // handlers outlive the router.
  ShardRouter(std::vector<ShardServices> shards, RouteOf route_of);

  size_t shard_count() const { return shards_.size(); }
  // The shard that owns `name`.
  size_t ShardOf(std::string_view name) const;
  // Runs fn on the shard's loop: at once when already there, else posted (FIFO per sender).
  void RunOnShard(size_t shard, std::function<void()> fn);
  // Gives each shard the names of msg it owns, as {topic, action, correlationId, names}; shards
  // owning none of them get nothing.
  void SplitByShard(Service service, const std::shared_ptr<Client>& client, Message msg);

  void Dispatch(const std::shared_ptr<Client>& client, Message msg) override;
  void Login(const std::shared_ptr<Client>& client) override;
  void Disconnect(const std::shared_ptr<Client>& client, bool logged_in) override;

 private:
  TopicHandler* HandlerOf(size_t shard, Service service) const;
  void RunOnOwner(size_t shard, Service service, const std::shared_ptr<Client>& client,
                  Message msg);
  // Names of msg per owning shard.
  std::vector<std::vector<std::string>> Parts(std::vector<std::string> names) const;
  // NOTIFY: every owner handles its part; the reply goes once all are done.
  void SplitJoined(Route route, const std::shared_ptr<Client>& client, Message msg);

  const std::vector<ShardServices> shards_;
  const RouteOf route_of_;
};

}  // namespace strata

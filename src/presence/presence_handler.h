#pragma once
// PresenceHandler: the PRESENCE topic (PROTOCOL.md 2.12): who is online, and JOIN/LEAVE
// announcements to the clients that asked for them. Presence is about users, not names a shard
// could own, so the server keeps exactly one handler and sends every presence message, login
// and logout to the loop that owns it (loop 0).
//
// A user is online while it has at least one logged-in connection: JOIN goes out on its first
// login, LEAVE after its last logout. As in deepstream 7.0.2, the anonymous id "open" is a user
// like any other, while the id "OPEN" (which deepstream meant to exempt) is never online.
//
// Thread-safety: not thread-safe; every call on the owning loop. Per client, the server must
// call Login, then Handle for its messages, then Logout, in that order.

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "presence/online_users.h"
#include "pubsub/client.h"
#include "pubsub/route.h"
#include "pubsub/subscription_registry.h"
#include "pubsub/topic_handler.h"
#include "strata/message.h"

namespace strata {

// Where a node's local joins and leaves go in a cluster (src/cluster): the cluster decides when a
// user joins or leaves cluster-wide and tells every node (ClusterJoined, ClusterLeft).
class PresenceRelay {
 public:
  virtual ~PresenceRelay() = default;
  // The user's first connection on this node (client `client_id`) / its last one left.
  virtual void Joined(const std::string& user, uint64_t client_id) = 0;
  virtual void Left(const std::string& user, uint64_t client_id) = 0;
};

class PresenceHandler final : public TopicHandler {
 public:
  // Every PRESENCE message goes to the one handler, on shard 0.
  static Route RouteOf(const Message& msg);

  // A client logged in (user_id() set). On the user's first connection: PRESENCE_JOIN_ALL to
  // the SUBSCRIBE_ALL subscribers, then PRESENCE_JOIN to the subscribers of that user; never to
  // the client itself. A second Login of the same client is ignored.
  void Login(const std::shared_ptr<Client>& client) override;
  // A logged-in client disconnected: its subscriptions go; on the user's last connection
  // PRESENCE_LEAVE_ALL, then PRESENCE_LEAVE, to the remaining subscribers.
  void Logout(const std::shared_ptr<Client>& client) { RemoveClient(client->id()); }
  void RemoveClient(uint64_t client_id) override;
  // REQUIRES: msg.topic == PRESENCE. SUBSCRIBE/UNSUBSCRIBE {names, correlationId} and
  // SUBSCRIBE_ALL/UNSUBSCRIBE_ALL are acked here; QUERY_ALL and QUERY are answered; other
  // actions are ignored, as deepstream does. Nothing happens for a client already closed.
  void Handle(const std::shared_ptr<Client>& client, Message msg) override;

  // Cluster mode: local joins and leaves go to `relay`; announcements and queries follow the
  // cluster-wide view it keeps up to date. REQUIRES: before the first login.
  void SetRelay(PresenceRelay* relay) { relay_ = relay; }
  // The user came online cluster-wide (`except`: the client that caused it, 0 = none here).
  void ClusterJoined(const std::string& user, uint64_t except);
  void ClusterLeft(const std::string& user, uint64_t except);
  // After messages may have been lost: `users` is everyone online cluster-wide; the differences
  // are announced.
  void ClusterResync(const std::vector<std::string>& users);

  // The users online on this node (a cluster's view is cluster_online()).
  const OnlineUsers& online() const { return online_; }
  size_t subscription_count() const {
    return users_.subscription_count() + everyone_.subscription_count();
  }

 private:
  // Subscribes, or answers MULTIPLE_SUBSCRIPTIONS when the client already was.
  void Subscribe(SubscriptionRegistry& registry, const std::string& name,
                 const std::shared_ptr<Client>& client, int32_t action);
  void QueryAll(const std::shared_ptr<Client>& client);
  // PRESENCE_<all_action> to the SUBSCRIBE_ALL subscribers, then <user_action> to the user's.
  void Announce(const std::string& user, int32_t all_action, int32_t user_action, uint64_t except);

  // What QUERY answers: this node's users, or the cluster's.
  const OnlineUsers& view() const { return relay_ ? cluster_online_ : online_; }

  PresenceRelay* relay_ = nullptr;
  OnlineUsers online_;
  OnlineUsers cluster_online_;  // cluster mode: each user counted once
  // Connection id -> the user id it was counted under (Logout must undo exactly what Login did).
  std::unordered_map<uint64_t, std::string> logins_;
  SubscriptionRegistry users_;     // SUBSCRIBE: one entry per subscribed user id
  SubscriptionRegistry everyone_;  // SUBSCRIBE_ALL, under the single name kEveryone
};

}  // namespace strata

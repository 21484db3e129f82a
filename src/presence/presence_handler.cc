#include "presence/presence_handler.h"

#include <unordered_set>

#include <spdlog/spdlog.h>

#include "presence/presence_messages.h"
#include "pubsub/replies.h"

namespace strata {
namespace pa = presence_action;
namespace pm = presence_messages;

namespace {

// deepstream's subscription name for "everyone", which its MULTIPLE_SUBSCRIPTIONS reply to a
// second SUBSCRIBE_ALL carries. Kept in a registry of its own, so a user of that name is no
// alias for everyone.
constexpr char kEveryone[] = "%_EVERYONE_%";

// deepstream 7 exempts this id from presence (it meant the anonymous user, which is "open").
bool Exempt(const std::string& user) { return user == "OPEN"; }

}  // namespace

void PresenceHandler::Login(const std::shared_ptr<Client>& client) {
  const std::string& user = client->user_id();
  if (Exempt(user) || !logins_.try_emplace(client->id(), user).second) return;
  if (!online_.Add(user)) return;
  if (relay_) return relay_->Joined(user, client->id());
  Announce(user, pa::kPresenceJoinAll, pa::kPresenceJoin, client->id());
}

Route PresenceHandler::RouteOf(const Message&) {
  return Route{.service = Service::kPresence, .delivery = Delivery::kFirstShard};
}

void PresenceHandler::RemoveClient(uint64_t client_id) {
  users_.RemoveClient(client_id);
  everyone_.RemoveClient(client_id);
  auto login = logins_.extract(client_id);
  if (login.empty()) return;
  const std::string& user = login.mapped();
  if (!online_.Remove(user)) return;
  if (relay_) return relay_->Left(user, client_id);
  Announce(user, pa::kPresenceLeaveAll, pa::kPresenceLeave, client_id);
}

void PresenceHandler::ClusterJoined(const std::string& user, uint64_t except) {
  if (cluster_online_.Contains(user)) return;
  cluster_online_.Add(user);
  Announce(user, pa::kPresenceJoinAll, pa::kPresenceJoin, except);
}

void PresenceHandler::ClusterLeft(const std::string& user, uint64_t except) {
  if (!cluster_online_.Remove(user)) return;
  Announce(user, pa::kPresenceLeaveAll, pa::kPresenceLeave, except);
}

void PresenceHandler::ClusterResync(const std::vector<std::string>& users) {
  const std::unordered_set<std::string> now(users.begin(), users.end());
  for (const std::string& user : cluster_online_.All()) {
    if (!now.contains(user)) ClusterLeft(user, 0);
  }
  for (const std::string& user : users) ClusterJoined(user, 0);
}

void PresenceHandler::Handle(const std::shared_ptr<Client>& client, Message msg) {
  // A closed client's Logout has run or is queued behind this message: a subscription made now
  // could outlive it, and nobody is left to read an answer.
  if (!client->connected()) return;
  switch (msg.action) {
    case pa::kSubscribeAll:
      Subscribe(everyone_, kEveryone, client, msg.action);
      return client->Send(pm::Ack(msg));
    case pa::kUnsubscribeAll:
      everyone_.Unsubscribe(kEveryone, client->id());
      return client->Send(pm::Ack(msg));
    case pa::kSubscribe:
      for (const std::string& user : msg.names) Subscribe(users_, user, client, msg.action);
      return client->Send(pm::Ack(msg));
    case pa::kUnsubscribe:
      for (const std::string& user : msg.names) users_.Unsubscribe(user, client->id());
      return client->Send(pm::Ack(msg));
    case pa::kQueryAll:
      return QueryAll(client);
    case pa::kQuery:
      return client->Send(pm::QueryResponse(msg, view()));
    default:
      spdlog::debug("presence: ignoring action {} from connection {}", msg.action, client->id());
  }
}

void PresenceHandler::Subscribe(SubscriptionRegistry& registry, const std::string& name,
                                const std::shared_ptr<Client>& client, int32_t action) {
  if (!registry.Subscribe(name, client))
    client->Send(replies::AlreadySubscribed(Topic::kPresence, name, action));
}

void PresenceHandler::QueryAll(const std::shared_ptr<Client>& client) {
  std::vector<std::string> users = view().All();
  std::erase(users, client->user_id());  // the requester's own id is left out (QUERY keeps it)
  client->Send(pm::QueryAllResponse(std::move(users)));
}

void PresenceHandler::Announce(const std::string& user, int32_t all_action, int32_t user_action,
                               uint64_t except) {
  everyone_.Send(kEveryone, Broadcast(pm::Announcement(all_action, user)), except);
  users_.Send(user, Broadcast(pm::Announcement(user_action, user)), except);
}

}  // namespace strata

#include "cluster/cluster_presence.h"

#include <charconv>

#include <spdlog/spdlog.h>

namespace strata::cluster {

ClusterPresence::ClusterPresence(ClusterNode& node, Executor& loop, PresenceHandler& handler)
    : node_(node), loop_(loop), handler_(handler) {}

void ClusterPresence::Joined(const std::string& user, uint64_t client_id) {
  Call("strata_presence_join", user, client_id);
}

void ClusterPresence::Left(const std::string& user, uint64_t client_id) {
  Call("strata_presence_leave", user, client_id);
}

void ClusterPresence::Call(std::string_view function, const std::string& user, uint64_t client_id) {
  const std::string origin = node_.id() + ":" + std::to_string(client_id);
  node_.Call({"FCALL", std::string(function), "0", node_.id(), user, origin},
             [function, user](Result<RedisValue> r) {
               if (r.ok() && r->type == RedisValue::Type::kInteger) return;
               // Presence is re-read after Redis is back (gap), so the view heals.
               spdlog::warn("cluster: {} of user '{}' failed: {}", function, user,
                            r.ok() ? r->text : r.status().ToString());
             });
}

// "J <node>:<client> <user>" or "L <node>:<client> <user>".
void ClusterPresence::OnMessage(std::string_view payload) {
  size_t first = payload.find(' ');
  size_t second = first == std::string_view::npos ? first : payload.find(' ', first + 1);
  size_t colon = payload.rfind(':', second);
  if (second == std::string_view::npos || colon == std::string_view::npos || colon < first) {
    spdlog::error("cluster: malformed presence message");
    return;
  }
  std::string user(payload.substr(second + 1));
  uint64_t except = 0;
  if (payload.substr(first + 1, colon - first - 1) == node_.id()) {
    std::from_chars(payload.data() + colon + 1, payload.data() + second, except);
  }
  if (payload[0] == 'J') {
    handler_.ClusterJoined(user, except);
  } else {
    handler_.ClusterLeft(user, except);
  }
}

void ClusterPresence::Resync() {
  node_.Call({"HKEYS", "strata:pres"}, [this](Result<RedisValue> r) {
    loop_.Post([this, r = std::move(r)] {
      if (!r.ok() || r->type != RedisValue::Type::kArray) {
        spdlog::warn("cluster: reading who is online failed; retrying");
        return loop_.PostAfter(std::chrono::milliseconds(200), [this] { Resync(); });
      }
      std::vector<std::string> users;
      for (const RedisValue& user : r->elements) users.push_back(user.text);
      handler_.ClusterResync(users);
    });
  });
}

void ClusterPresence::Replay() {
  for (const std::string& user : handler_.online().All()) Joined(user, 0);
  Resync();
}

}  // namespace strata::cluster

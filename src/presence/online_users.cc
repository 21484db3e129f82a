#include "presence/online_users.h"

namespace strata {

bool OnlineUsers::Add(const std::string& user) {
  auto [it, first] = users_.try_emplace(user);
  ++it->second.connections;
  if (!first) return false;
  it->second.arrival = next_arrival_++;
  by_arrival_.emplace(it->second.arrival, user);
  return true;
}

bool OnlineUsers::Remove(const std::string& user) {
  auto it = users_.find(user);
  if (it == users_.end() || --it->second.connections > 0) return false;
  by_arrival_.erase(it->second.arrival);
  users_.erase(it);
  return true;
}

std::vector<std::string> OnlineUsers::All() const {
  std::vector<std::string> out;
  out.reserve(by_arrival_.size());
  for (const auto& [arrival, user] : by_arrival_) out.push_back(user);
  return out;
}

}  // namespace strata

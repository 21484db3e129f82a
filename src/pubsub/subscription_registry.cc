#include "pubsub/subscription_registry.h"

#include <algorithm>

namespace strata {
namespace {

// Removes the client from a subscriber list; true when it was there.
bool EraseClient(std::vector<std::shared_ptr<Client>>& clients, uint64_t client_id) {
  auto it = std::find_if(clients.begin(), clients.end(),
                         [client_id](const auto& c) { return c->id() == client_id; });
  if (it == clients.end()) return false;
  *it = std::move(clients.back());
  clients.pop_back();
  return true;
}

}  // namespace

bool SubscriptionRegistry::Subscribe(std::string_view name, const std::shared_ptr<Client>& client) {
  auto& names = by_client_[client->id()];
  if (!names.emplace(name).second) return false;
  auto [it, first] = by_name_.try_emplace(std::string(name));
  it->second.push_back(client);
  ++subscription_count_;
  for (SubscriptionObserver* o : observers_) o->OnSubscribed(it->first, client, first);
  return true;
}

bool SubscriptionRegistry::Unsubscribe(std::string_view name, uint64_t client_id) {
  auto client_it = by_client_.find(client_id);
  if (client_it == by_client_.end() || client_it->second.erase(std::string(name)) == 0) {
    return false;
  }
  if (client_it->second.empty()) by_client_.erase(client_it);
  auto name_it = by_name_.find(std::string(name));
  if (name_it != by_name_.end() && EraseClient(name_it->second, client_id)) {
    --subscription_count_;
    if (name_it->second.empty()) {
      auto node = by_name_.extract(name_it);
      for (SubscriptionObserver* o : observers_) o->OnLastUnsubscribed(node.key());
    }
  }
  return true;
}

void SubscriptionRegistry::RemoveClient(uint64_t client_id) {
  auto node = by_client_.extract(client_id);
  if (node.empty()) return;
  std::vector<std::string> emptied;
  for (const std::string& name : node.mapped()) {
    auto name_it = by_name_.find(name);
    if (name_it == by_name_.end()) continue;
    if (EraseClient(name_it->second, client_id)) --subscription_count_;
    if (name_it->second.empty()) {
      by_name_.erase(name_it);
      emptied.push_back(name);
    }
  }
  // Told once the registry is consistent again.
  for (SubscriptionObserver* o : observers_) {
    for (const std::string& name : emptied) o->OnLastUnsubscribed(name);
  }
}

void SubscriptionRegistry::RemoveName(std::string_view name) {
  auto node = by_name_.extract(std::string(name));
  if (node.empty()) return;
  for (const auto& client : node.mapped()) {
    auto client_it = by_client_.find(client->id());
    if (client_it == by_client_.end()) continue;
    client_it->second.erase(node.key());
    if (client_it->second.empty()) by_client_.erase(client_it);
    --subscription_count_;
  }
  for (SubscriptionObserver* o : observers_) o->OnLastUnsubscribed(node.key());
}

void SubscriptionRegistry::AddObserver(SubscriptionObserver* observer) {
  observers_.push_back(observer);
}

void SubscriptionRegistry::RemoveObserver(SubscriptionObserver* observer) {
  std::erase(observers_, observer);
}

bool SubscriptionRegistry::HasSubscribers(std::string_view name) const {
  return by_name_.contains(std::string(name));
}

void SubscriptionRegistry::Send(std::string_view name, const Broadcast& msg,
                                uint64_t except) const {
  auto it = by_name_.find(std::string(name));
  if (it == by_name_.end()) return;
  for (const auto& client : it->second) {
    if (client->id() != except) client->Send(msg);
  }
}

void SubscriptionRegistry::SendIf(std::string_view name, const Broadcast& msg,
                                  const std::function<bool(uint64_t client_id)>& wanted) const {
  auto it = by_name_.find(std::string(name));
  if (it == by_name_.end()) return;
  for (const auto& client : it->second) {
    if (wanted(client->id())) client->Send(msg);
  }
}

}  // namespace strata

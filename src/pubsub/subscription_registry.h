#pragma once
// SubscriptionRegistry: which clients subscribe to which names (records, events, presence
// users), for the names one event loop owns. Broadcasts go to every subscriber but the sender.
// Thread-safety: not thread-safe; one per loop.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "protocol/client.h"

namespace strata {

class SubscriptionRegistry {
 public:
  // False when the client already subscribes to `name`.
  bool Subscribe(std::string_view name, const std::shared_ptr<Client>& client);
  // False when it did not.
  bool Unsubscribe(std::string_view name, uint64_t client_id);
  // Removes every subscription of the client (it disconnected).
  void RemoveClient(uint64_t client_id);
  // Removes every subscriber of `name` (it was deleted).
  void RemoveName(std::string_view name);
  bool HasSubscribers(std::string_view name) const;
  // Sends to every subscriber of `name` except the client with id `except` (0 = nobody).
  void Send(std::string_view name, const Broadcast& msg, uint64_t except) const;
  size_t subscription_count() const { return subscription_count_; }

 private:
  std::unordered_map<std::string, std::vector<std::shared_ptr<Client>>> by_name_;
  std::unordered_map<uint64_t, std::unordered_set<std::string>> by_client_;
  size_t subscription_count_ = 0;
};

}  // namespace strata

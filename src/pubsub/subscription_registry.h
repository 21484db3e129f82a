#pragma once
// SubscriptionRegistry: which clients subscribe to which names (records, events, presence
// users), for the names one event loop owns. Broadcasts go to every subscriber but the sender.
// Thread-safety: not thread-safe; one per loop.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "pubsub/client.h"

namespace strata {

// Told when a name gains its first subscriber or loses its last one (listening, src/listen).
// Callbacks run on the registry's loop after the registry has changed; they may send to
// subscribers but must not subscribe or unsubscribe.
class SubscriptionObserver {
 public:
  virtual ~SubscriptionObserver() = default;
  // `first`: the name had no subscriber before this one.
  virtual void OnSubscribed(const std::string& name, const std::shared_ptr<Client>& client,
                            bool first) = 0;
  // The last subscriber left (unsubscribe, disconnect or delete).
  virtual void OnLastUnsubscribed(const std::string& name) = 0;
};

class SubscriptionRegistry {
 public:
  // Observers are told in the order added. REQUIRES: each outlives this registry or is removed.
  void AddObserver(SubscriptionObserver* observer);
  void RemoveObserver(SubscriptionObserver* observer);
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
  // Sends to every subscriber of `name` for which wanted(client id) is true.
  void SendIf(std::string_view name, const Broadcast& msg,
              const std::function<bool(uint64_t client_id)>& wanted) const;
  size_t subscription_count() const { return subscription_count_; }
  // Calls fn(name) for every name with subscribers. fn must not change the registry.
  template <typename Fn>
  void ForEachName(Fn&& fn) const {
    for (const auto& [name, clients] : by_name_) fn(name);
  }

 private:
  std::unordered_map<std::string, std::vector<std::shared_ptr<Client>>> by_name_;
  std::unordered_map<uint64_t, std::unordered_set<std::string>> by_client_;
  size_t subscription_count_ = 0;
  std::vector<SubscriptionObserver*> observers_;
};

}  // namespace strata

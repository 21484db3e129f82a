#pragma once
// ProviderRegistry: which clients provide which RPC names, for the names one event loop owns.
// Unlike SubscriptionRegistry (which only fans messages out) the RPC handler must pick one
// provider, so this one hands out the provider list of a name.
// Thread-safety: not thread-safe; one per loop.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "pubsub/client.h"

namespace strata {

class ProviderRegistry {
 public:
  using Providers = std::vector<std::shared_ptr<Client>>;

  // False when the client already provides `name`.
  bool Add(std::string_view name, const std::shared_ptr<Client>& client);
  // False when it did not provide it.
  bool Remove(std::string_view name, uint64_t client_id);
  // Removes every provision of the client (it disconnected); answers the names it provided.
  std::vector<std::string> RemoveClient(uint64_t client_id);
  // The providers of `name`, in no particular order; empty when there are none.
  const Providers& Of(std::string_view name) const;

 private:
  std::unordered_map<std::string, Providers> by_name_;
  std::unordered_map<uint64_t, std::unordered_set<std::string>> by_client_;
};

}  // namespace strata

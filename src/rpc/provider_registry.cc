#include "rpc/provider_registry.h"

#include <algorithm>

namespace strata {
namespace {

// Removes the client from a provider list (order is not kept); true when it was there.
bool EraseClient(ProviderRegistry::Providers& providers, uint64_t client_id) {
  auto it = std::find_if(providers.begin(), providers.end(),
                         [client_id](const auto& c) { return c->id() == client_id; });
  if (it == providers.end()) return false;
  *it = std::move(providers.back());
  providers.pop_back();
  return true;
}

}  // namespace

bool ProviderRegistry::Add(std::string_view name, const std::shared_ptr<Client>& client) {
  if (!by_client_[client->id()].emplace(name).second) return false;
  by_name_[std::string(name)].push_back(client);
  return true;
}

bool ProviderRegistry::Remove(std::string_view name, uint64_t client_id) {
  auto client_it = by_client_.find(client_id);
  if (client_it == by_client_.end() || client_it->second.erase(std::string(name)) == 0) {
    return false;
  }
  if (client_it->second.empty()) by_client_.erase(client_it);
  auto name_it = by_name_.find(std::string(name));
  if (name_it != by_name_.end() && EraseClient(name_it->second, client_id) &&
      name_it->second.empty()) {
    by_name_.erase(name_it);
  }
  return true;
}

std::vector<std::string> ProviderRegistry::RemoveClient(uint64_t client_id) {
  auto node = by_client_.extract(client_id);
  if (node.empty()) return {};
  std::vector<std::string> names;
  for (const std::string& name : node.mapped()) {
    names.push_back(name);
    auto name_it = by_name_.find(name);
    if (name_it == by_name_.end()) continue;
    EraseClient(name_it->second, client_id);
    if (name_it->second.empty()) by_name_.erase(name_it);
  }
  return names;
}

const ProviderRegistry::Providers& ProviderRegistry::Of(std::string_view name) const {
  static const Providers kNone;
  auto it = by_name_.find(std::string(name));
  return it == by_name_.end() ? kNone : it->second;
}

}  // namespace strata

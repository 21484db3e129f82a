#include "listen/listener_registry.h"

#include <algorithm>

#include <spdlog/spdlog.h>

namespace strata {
namespace {

// The listening actions differ in number between RECORD and EVENT only.
struct ListenActions {
  int32_t accept, found, removed, has_provider, has_no_provider, response_timeout;
};

ListenActions ActionsOf(Topic topic) {
  namespace ra = record_action;
  namespace ea = event_action;
  if (topic == Topic::kRecord) {
    return {ra::kListenAccept,
            ra::kSubscriptionForPatternFound,
            ra::kSubscriptionForPatternRemoved,
            ra::kSubscriptionHasProvider,
            ra::kSubscriptionHasNoProvider,
            ra::kListenResponseTimeout};
  }
  return {ea::kListenAccept,
          ea::kSubscriptionForPatternFound,
          ea::kSubscriptionForPatternRemoved,
          ea::kSubscriptionHasProvider,
          ea::kSubscriptionHasNoProvider,
          ea::kListenResponseTimeout};
}

}  // namespace

ListenerRegistry::ListenerRegistry(Topic topic, const ListenOptions& options, Executor& loop,
                                   SubscriptionRegistry& subscriptions)
    : topic_(topic),
      options_(options),
      loop_(loop),
      subscriptions_(subscriptions),
      random_(std::random_device{}()),
      self_(std::make_shared<ListenerRegistry*>(this)) {
  subscriptions_.AddObserver(this);
}

ListenerRegistry::~ListenerRegistry() { subscriptions_.RemoveObserver(this); }

void ListenerRegistry::Listen(const std::shared_ptr<Client>& provider,
                              std::shared_ptr<const ListenPattern> pattern) {
  if (!provider->connected()) return;  // its RemoveClient is on the way
  listeners_.push_back(Listener{provider, std::move(pattern)});
  const Listener added = listeners_.back();
  // Names already subscribed: join a search in progress, or start one for names nobody serves.
  std::vector<std::string> to_search;
  subscriptions_.ForEachName([&](const std::string& name) {
    if (!added.pattern->Matches(name)) return;
    auto it = names_.find(name);
    if (it == names_.end()) {
      to_search.push_back(name);
    } else if (!it->second.provider) {
      it->second.remaining.push_back(added);
    }
  });
  for (const std::string& name : to_search) StartSearch(name);
}

void ListenerRegistry::Unlisten(uint64_t provider_id, const std::string& pattern) {
  auto is_it = [&](const Listener& l) { return l.Is(provider_id, pattern); };
  std::erase_if(listeners_, is_it);
  Forget(is_it);
}

void ListenerRegistry::RemoveClient(uint64_t client_id) {
  auto of_client = [client_id](const Listener& l) { return l.provider->id() == client_id; };
  if (std::erase_if(listeners_, of_client) == 0) return;
  Forget(of_client);
}

template <typename Pred>
void ListenerRegistry::Forget(Pred pred) {
  std::vector<std::string> lost, skipped;
  for (auto& [name, state] : names_) {
    std::erase_if(state.remaining, pred);
    if (state.provider && pred(*state.provider)) lost.push_back(name);
    if (state.asked && pred(*state.asked)) skipped.push_back(name);
  }
  for (const std::string& name : skipped) AskNext(name);
  for (const std::string& name : lost) LoseProvider(name);
}

void ListenerRegistry::OnResponse(const std::shared_ptr<Client>& provider, const Message& msg) {
  if (!msg.subscription) return;
  const std::string& name = *msg.subscription;
  const bool accept = msg.action == ActionsOf(topic_).accept;
  auto it = names_.find(name);
  if (it != names_.end() && it->second.asked &&
      it->second.asked->provider->id() == provider->id()) {
    if (accept) return Accept(name, it->second);
    return AskNext(name);
  }
  const bool provides = it != names_.end() && it->second.provider &&
                        it->second.provider->provider->id() == provider->id();
  spdlog::debug("listen: ignoring a late answer for '{}' from connection {}", name, provider->id());
  if (!accept || provides) return;
  // It accepted something it is not asked about (any more): tell it to stop at once.
  const std::string pattern = msg.name.value_or("");
  provider->Send(Make(ActionsOf(topic_).removed, &pattern, name));
}

void ListenerRegistry::OnSubscribed(const std::string& name, const std::shared_ptr<Client>& client,
                                    bool first) {
  auto it = names_.find(name);
  if (it == names_.end()) {
    if (first) StartSearch(name);
    return;
  }
  if (it->second.provider && topic_ == Topic::kRecord) {
    client->Send(Make(ActionsOf(topic_).has_provider, nullptr, name));
  }
}

void ListenerRegistry::OnLastUnsubscribed(const std::string& name) {
  // Ends a search in progress too: a late accept is then answered as stale.
  auto node = names_.extract(name);
  if (node.empty() || !node.mapped().provider) return;
  const Listener& provider = *node.mapped().provider;
  provider.provider->Send(Make(ActionsOf(topic_).removed, &provider.pattern->text(), name));
}

bool ListenerRegistry::HasProvider(const std::string& name) const {
  auto it = names_.find(name);
  return it != names_.end() && it->second.provider.has_value();
}

void ListenerRegistry::StartSearch(const std::string& name) {
  std::vector<Listener> candidates;
  for (const Listener& l : listeners_) {
    if (l.provider->connected() && l.pattern->Matches(name)) candidates.push_back(l);
  }
  if (candidates.empty()) return;
  if (options_.shuffle_providers) std::shuffle(candidates.begin(), candidates.end(), random_);
  names_[name].remaining = std::move(candidates);
  AskNext(name);
}

void ListenerRegistry::AskNext(const std::string& name) {
  auto it = names_.find(name);
  if (it == names_.end()) return;
  NameState& state = it->second;
  state.asked.reset();
  std::erase_if(state.remaining, [](const Listener& l) { return !l.provider->connected(); });
  if (state.remaining.empty()) {
    // Nobody accepted: the name waits for a new pattern.
    if (!state.provider) names_.erase(it);
    return;
  }
  state.asked = std::move(state.remaining.front());
  state.remaining.erase(state.remaining.begin());
  state.attempt = ++next_attempt_;
  // Executor timers cannot be cancelled: the timer checks that its question is still current.
  std::weak_ptr<ListenerRegistry*> weak = self_;
  loop_.PostAfter(options_.response_timeout, [weak, name, attempt = state.attempt] {
    if (auto self = weak.lock()) (*self)->OnTimeout(name, attempt);
  });
  state.asked->provider->Send(Make(ActionsOf(topic_).found, &state.asked->pattern->text(), name));
}

void ListenerRegistry::OnTimeout(const std::string& name, uint64_t attempt) {
  auto it = names_.find(name);
  if (it == names_.end() || !it->second.asked || it->second.attempt != attempt) return;
  Message timeout = Make(ActionsOf(topic_).response_timeout, nullptr, name);
  it->second.asked->provider->Send(timeout);
  AskNext(name);
}

void ListenerRegistry::Accept(const std::string& name, NameState& state) {
  state.provider = std::move(state.asked);
  state.asked.reset();
  state.remaining.clear();
  SendHasProvider(name, true);
}

void ListenerRegistry::LoseProvider(const std::string& name) {
  names_.erase(name);  // a name with a provider has no search in progress
  SendHasProvider(name, false);
  if (subscriptions_.HasSubscribers(name)) StartSearch(name);
}

void ListenerRegistry::SendHasProvider(const std::string& name, bool has_provider) {
  if (topic_ != Topic::kRecord) return;  // event subscribers are never told
  const ListenActions actions = ActionsOf(topic_);
  Message msg;
  msg.topic = topic_;
  msg.action = has_provider ? actions.has_provider : actions.has_no_provider;
  msg.name = name;
  subscriptions_.Send(name, Broadcast(std::move(msg)), 0);
}

// FOUND/REMOVED: {name: pattern, subscription}; HAS_PROVIDER: {name}; RESPONSE_TIMEOUT:
// {subscription} (the fields deepstream 7.0.2 puts on each).
Message ListenerRegistry::Make(int32_t action, const std::string* pattern,
                               const std::string& name) const {
  Message msg;
  msg.topic = topic_;
  msg.action = action;
  if (action == ActionsOf(topic_).has_provider) {
    msg.name = name;
    return msg;
  }
  if (pattern) msg.name = *pattern;
  msg.subscription = name;
  return msg;
}

}  // namespace strata

#pragma once
// ListenerRegistry: listening (active providers, PROTOCOL.md 2.9.4) for one topic (RECORD or
// EVENT) on one shard. Every shard holds every provider's patterns; each shard decides the
// provider of the names it owns, so no state is shared between loops.
//
// When a name gets its first subscriber, or a new pattern matches a name that has subscribers
// and no provider, the matching providers (shuffled when ListenOptions::shuffle_providers) are
// asked one at a time with SUBSCRIPTION_FOR_PATTERN_FOUND {name: pattern, subscription: name}.
// LISTEN_ACCEPT makes the one asked the provider (RECORD subscribers then get
// SUBSCRIPTION_HAS_PROVIDER, and so does every later subscriber); LISTEN_REJECT, or no answer
// within response_timeout (the provider then gets LISTEN_RESPONSE_TIMEOUT {subscription}), asks
// the next one. When none accepts the name waits for a new pattern. When the last subscriber
// leaves, the provider gets SUBSCRIPTION_FOR_PATTERN_REMOVED. When the provider goes (UNLISTEN,
// disconnect), RECORD subscribers get SUBSCRIPTION_HAS_NO_PROVIDER and the search starts again.
//
// Where strata differs from deepstream 7.0.2, deliberately:
// - Only the provider being asked can answer. An answer for a name it is not being asked about
//   is ignored, except a LISTEN_ACCEPT, which is answered SUBSCRIPTION_FOR_PATTERN_REMOVED so
//   that the provider stops providing what nobody asked it for (deepstream makes any
//   connection that accepts in time the provider, and leaves a too-late one providing forever).
// - The last subscriber leaving ends a search in progress (deepstream lets it go on, and an
//   accept then leaves a provider nobody will ever tell to stop).
// - A provider that unlistens or disconnects while it is being asked is skipped at once, and
//   other searches keep their other providers (deepstream's filter for this is inverted).
// - No periodic re-match (listen.rematchInterval): a name is searched again whenever a pattern
//   that matches it arrives, which is the only event that can change the answer.
//
// Thread-safety: not thread-safe; call on the shard's loop only. Timers run on that loop too.

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include "config/options.h"
#include "listen/listen_pattern.h"
#include "pubsub/client.h"
#include "pubsub/subscription_registry.h"
#include "pubsub/topic_handler.h"
#include "strata/executor.h"
#include "strata/message.h"

namespace strata {

class ListenerRegistry final : public SubscriptionObserver, public TopicHandler {
 public:
  // REQUIRES: topic is RECORD or EVENT; `subscriptions` is that topic's registry on this shard
  // and outlives this object. Registers itself as its observer.
  ListenerRegistry(Topic topic, const ListenOptions& options, Executor& loop,
                   SubscriptionRegistry& subscriptions);
  ~ListenerRegistry() override;
  ListenerRegistry(const ListenerRegistry&) = delete;
  ListenerRegistry& operator=(const ListenerRegistry&) = delete;

  // LISTEN, already validated and acked. REQUIRES: the provider does not listen to it yet.
  void Listen(const std::shared_ptr<Client>& provider,
              std::shared_ptr<const ListenPattern> pattern);
  // UNLISTEN, already acked.
  void Unlisten(uint64_t provider_id, const std::string& pattern);
  // LISTEN_ACCEPT or LISTEN_REJECT. REQUIRES: msg.subscription names a name this shard owns.
  void OnResponse(const std::shared_ptr<Client>& provider, const Message& msg);
  // As a shard's handler: LISTEN_ACCEPT and LISTEN_REJECT (OnResponse).
  void Handle(const std::shared_ptr<Client>& client, Message msg) override {
    OnResponse(client, msg);
  }
  // The client disconnected: its patterns go. (Its subscriptions go through the observer.)
  void RemoveClient(uint64_t client_id) override;

  void OnSubscribed(const std::string& name, const std::shared_ptr<Client>& client,
                    bool first) override;
  void OnLastUnsubscribed(const std::string& name) override;

  size_t pattern_count() const { return listeners_.size(); }
  bool HasProvider(const std::string& name) const;

 private:
  // One LISTEN: a provider and one of its patterns.
  struct Listener {
    std::shared_ptr<Client> provider;
    std::shared_ptr<const ListenPattern> pattern;
    bool Is(uint64_t id, const std::string& text) const {
      return provider->id() == id && pattern->text() == text;
    }
  };
  // A name with subscribers on this shard that has a provider or is looking for one.
  struct NameState {
    std::optional<Listener> provider;  // set once one accepted
    std::optional<Listener> asked;     // the one asked now (while searching)
    std::vector<Listener> remaining;   // not asked yet (while searching)
    uint64_t attempt = 0;              // tells the current question's timer from older ones
  };

  void StartSearch(const std::string& name);
  // Asks the next remaining listener; forgets the search when none is left.
  void AskNext(const std::string& name);
  void OnTimeout(const std::string& name, uint64_t attempt);
  void Accept(const std::string& name, NameState& state);
  // The provider of `name` went away: tell subscribers, search again.
  void LoseProvider(const std::string& name);
  // Drops `pred` listeners from every search and provider role; used by Unlisten/RemoveClient.
  template <typename Pred>
  void Forget(Pred pred);
  // SUBSCRIPTION_HAS_(NO_)PROVIDER to every subscriber (RECORD only).
  void SendHasProvider(const std::string& name, bool has_provider);
  // A message about `name`; `pattern` (may be null) goes into the name field where it belongs.
  Message Make(int32_t action, const std::string* pattern, const std::string& name) const;

  const Topic topic_;
  const ListenOptions options_;
  Executor& loop_;
  SubscriptionRegistry& subscriptions_;
  std::vector<Listener> listeners_;  // in LISTEN order
  std::unordered_map<std::string, NameState> names_;
  std::minstd_rand random_;
  uint64_t next_attempt_ = 0;
  // Timers outlive neither their question (attempt check) nor this registry (weak reference).
  std::shared_ptr<ListenerRegistry*> self_;
};

}  // namespace strata

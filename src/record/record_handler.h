#pragma once
// RecordHandler: the RECORD topic for the record names one event loop owns. Each record message
// (or, for bulk messages, the part of its `names` this loop owns) arrives here as RecordRoutes
// says, after any immediate ack. Validation of client data happens here, before anything is
// queued, so bad input never reaches the data path.
//
// Thread-safety: not thread-safe; call on the owning loop only.

#include <memory>
#include <string>
#include <vector>

#include "pubsub/client.h"
#include "pubsub/subscription_registry.h"
#include "pubsub/topic_handler.h"
#include "record/record_store.h"
#include "record/record_transitions.h"
#include "strata/message.h"

namespace strata {

struct RecordHandlerOptions {
  std::vector<std::string> storage_hot_path_prefixes;  // record.storageHotPathPrefixes
};

class RecordHandler final : public TopicHandler {
 public:
  RecordHandler(const RecordHandlerOptions& options, RecordStore& store);
  // In a cluster, the authority that decides versions and tells subscribers (record_authority.h),
  // for this handler and its store. REQUIRES: before the first message.
  void SetAuthority(RecordAuthority* authority);
  RecordHandler(const RecordHandler&) = delete;
  RecordHandler& operator=(const RecordHandler&) = delete;

  // REQUIRES: msg.topic == RECORD; every name in it belongs to this loop. NOTIFY is separate.
  void Handle(const std::shared_ptr<Client>& client, Message msg) override;
  // NOTIFY (the only joined record message): Notify(msg.names, done).
  void HandleJoined(const std::shared_ptr<Client>& client, Message msg,
                    DoneCallback done) override {
    Notify(std::move(msg.names), std::move(done));
  }
  // NOTIFY for the names this loop owns; `done` runs once all are re-read (first error wins).
  void Notify(std::vector<std::string> names, DoneCallback done);
  // The client disconnected.
  void RemoveClient(uint64_t client_id) override;

  const SubscriptionRegistry& subscriptions() const { return subscriptions_; }
  // For the listener registry, which observes it (src/listen).
  SubscriptionRegistry& mutable_subscriptions() { return subscriptions_; }
  size_t active_transitions() const { return transitions_.active(); }

 private:
  void HandleWrite(const std::shared_ptr<Client>& client, Message msg);
  void HandleRead(const std::shared_ptr<Client>& client, Message msg);
  void HandleHead(const std::shared_ptr<Client>& client, Message msg);
  void HandleSubscribe(const std::shared_ptr<Client>& client, const Message& msg);
  void HandleSubscribeAndHead(const std::shared_ptr<Client>& client, const Message& msg);
  // INVALID_MESSAGE_DATA reason for a write, or OK.
  Status ValidateWrite(const Message& msg) const;
  bool OnHotPath(const std::string& name) const;

  RecordHandlerOptions options_;
  RecordStore& store_;
  SubscriptionRegistry subscriptions_;
  RecordTransitions transitions_;
};

}  // namespace strata

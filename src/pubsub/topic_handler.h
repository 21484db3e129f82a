#pragma once
// TopicHandler: one topic's state on one shard (the records, events, RPCs or listen providers
// whose names that shard owns; presence on shard 0; the listen patterns of the shard's own
// connections). A router hands it the messages, or the parts of bulk messages, it owns, and tells
// it when clients log in and go.
//
// Thread-safety: every call on the shard's loop.

#include <cstdint>
#include <memory>

#include "pubsub/client.h"
#include "strata/callback.h"
#include "strata/message.h"

namespace strata {

class TopicHandler {
 public:
  virtual ~TopicHandler() = default;
  // A message, or the part of a bulk message, whose names this shard owns.
  virtual void Handle(const std::shared_ptr<Client>& client, Message msg) = 0;
  // Delivery::kSplitJoined: as Handle, and `done` runs exactly once, on this loop, when this
  // shard's part is finished (not OK: the part failed).
  virtual void HandleJoined(const std::shared_ptr<Client>& client, Message msg, DoneCallback done) {
    Handle(client, std::move(msg));
    done(Status());
  }
  // The client logged in (user_id() is set); before any of its messages arrives.
  virtual void Login(const std::shared_ptr<Client>& client) {}
  // The client disconnected: forget it.
  virtual void RemoveClient(uint64_t client_id) = 0;
};

}  // namespace strata

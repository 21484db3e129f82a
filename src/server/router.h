#pragma once
// Router: where a logged-in client's messages go once they passed the permission gate, and who
// hears of its login and its end. The seam between connections and the topics' handlers: the
// ShardRouter (shard_router.h) serves the loops of one process; a cluster router implements the
// same calls across nodes.
//
// Thread-safety: Dispatch may be called from any loop (a socket's from its own loop, which
// kHomeShard deliveries require); Login and Disconnect on the client's home loop.

#include <memory>

#include "pubsub/client.h"
#include "strata/message.h"

namespace strata {

class Router {
 public:
  virtual ~Router() = default;
  // A logged-in client's message (CONNECTION and AUTH never get here).
  virtual void Dispatch(const std::shared_ptr<Client>& client, Message msg) = 0;
  // The client just logged in (user_id() is set); before any of its messages is dispatched.
  virtual void Login(const std::shared_ptr<Client>& client) = 0;
  // The client's connection is gone: everything it subscribed, provided or listened to goes.
  // `logged_in`: Login was called for it.
  virtual void Disconnect(const std::shared_ptr<Client>& client, bool logged_in) = 0;
};

}  // namespace strata

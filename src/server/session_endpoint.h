#pragma once
// SessionEndpoint: the transport's handler of one WebSocket endpoint (ws-binary, ws-json,
// ws-text). Each connection opened there becomes a Session with the endpoint's options, in the
// SessionContext of the shard whose loop the transport gave the connection; the transport then
// calls that session directly for the connection's life.
//
// Thread-safety: OnOpen runs on the connection's loop.

#include <memory>
#include <vector>

#include "server/session.h"
#include "strata/connection.h"

namespace strata {

class SessionEndpoint final : public ConnectionHandler {
 public:
  // REQUIRES: one context per loop the transport may use; they outlive the endpoint.
  SessionEndpoint(SessionOptions options, std::vector<SessionContext*> contexts);

  std::shared_ptr<ConnectionListener> OnOpen(const std::shared_ptr<Connection>& conn) override;

 private:
  SessionContext& ContextOf(Connection& conn) const;

  const SessionOptions options_;
  const std::vector<SessionContext*> contexts_;
};

}  // namespace strata

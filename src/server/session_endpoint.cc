#include "server/session_endpoint.h"

namespace strata {

SessionEndpoint::SessionEndpoint(SessionOptions options, std::vector<SessionContext*> contexts)
    : options_(options), contexts_(std::move(contexts)) {}

std::shared_ptr<ConnectionListener> SessionEndpoint::OnOpen(
    const std::shared_ptr<Connection>& conn) {
  auto session = std::make_shared<Session>(conn, options_, ContextOf(*conn));
  session->Start();
  return session;
}

// Once per connection: its session keeps the answer.
SessionContext& SessionEndpoint::ContextOf(Connection& conn) const {
  Executor* loop = &conn.executor();
  for (SessionContext* context : contexts_) {
    if (context->loop == loop) return *context;
  }
  STRATA_CHECK(false && "a connection on a loop the server does not own");
  return *contexts_.front();
}

}  // namespace strata

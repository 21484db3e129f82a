#pragma once
// ForwardingListener: a connection's listener for the transport tests, which record everything
// in one handler per endpoint: it forwards each message and the close, with the connection, to
// `handler.OnMessage(conn, payload, binary)` and `handler.OnClose(conn)`. Test-only.

#include <memory>
#include <string_view>
#include <utility>

#include "strata/connection.h"

namespace strata {

template <typename Handler>
class ForwardingListener final : public ConnectionListener {
 public:
  ForwardingListener(Handler& handler, std::shared_ptr<Connection> conn)
      : handler_(handler), conn_(std::move(conn)) {}
  void OnMessage(std::string_view payload, bool binary) override {
    handler_.OnMessage(conn_, payload, binary);
  }
  void OnClose() override { handler_.OnClose(conn_); }

 private:
  Handler& handler_;
  const std::shared_ptr<Connection> conn_;
};

}  // namespace strata

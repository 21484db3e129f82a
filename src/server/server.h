#pragma once
// Server: starts strata and stops it. The pieces it starts, in order:
//   1. DataPath: the cache and storage connectors, each waited for up to
//      dependencyInitializationTimeout;
//   2. ShardSet: one event loop per core (`threads`), each with its shard of the names, and the
//      ShardRouter over them;
//   3. the auth chain and the permission rules;
//   4. the Transport: one SessionEndpoint per WebSocket endpoint, the HTTP API and /metrics on
//      the same port.
// Stop is the reverse: stop accepting and close connections, drain queued storage writes, close
// the connectors, stop the loops. How a message travels once it is in: docs/architecture.md.
//
// Thread-safety: Start/Stop from one controlling thread (not a loop).

#include <cstdint>
#include <memory>

#include "config/options.h"
#include "strata/status.h"

namespace strata {

class Server final {
 public:
  explicit Server(ServerOptions options);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Starts everything; a failure names what failed (connector, port, ...).
  Status Start();
  // Graceful stop. Not OK when queued storage writes could not all be written.
  Status Stop();
  uint16_t port() const;
  // Connection events (lost, restored, errors) the connectors have reported since Start.
  uint64_t connector_events() const;

 private:
  struct Impl;

  Status StartShards();
  Status StartAccessControl();
  Status StartTransport();

  ServerOptions options_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace strata

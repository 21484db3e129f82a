#pragma once
// Server: wires strata together and runs it. One event loop per core; each loop owns the
// connections accepted onto it and a shard of the record names (hash of the name), with that
// shard's RecordStore and RecordHandler. A record message is handled on the loop that owns the
// record (directly when that is the connection's own loop, else posted), so record state needs
// no lock; replies go back through the thread-safe Connection::Send.
//
// Start order: connectors (each waited for up to dependencyInitializationTimeout), loops,
// shards, then the listening socket. Stop is the reverse: stop accepting and close connections,
// drain queued storage writes, close connectors, stop loops.
//
// Thread-safety: Start/Stop from one controlling thread; the handler methods run on loops.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "config/options.h"
#include "server/session.h"
#include "transport/transport.h"
#include "strata/connection.h"
#include "strata/storage_connector.h"
#include "strata/status.h"

namespace strata {

class EventLoop;
class PermissionGate;

class Server final : public MessageRouter {
 public:
  explicit Server(ServerOptions options);
  ~Server() override;
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Starts everything; a failure names what failed (connector, port, ...).
  Status Start();
  // Graceful stop. Not OK when queued storage writes could not all be written.
  Status Stop();
  uint16_t port() const;
  // Connection events (lost, restored, errors) the connectors have reported since Start.
  uint64_t connector_events() const;

  void Route(const std::shared_ptr<Session>& session, Message msg) override;

 private:
  struct Shard;
  struct Impl;
  class Endpoint;  // one per configured endpoint: its wire format and session options

  void Open(const std::shared_ptr<Connection>& conn, const SessionOptions& options);
  void Deliver(const std::shared_ptr<Connection>& conn, std::string_view payload, bool binary);
  void Closed(const std::shared_ptr<Connection>& conn);

  // The HTTP API of an `http` endpoint (http_api/api_endpoint.h).
  void StartApi(const EndpointConfig& endpoint);
  // GET /metrics: gathers each loop's numbers on that loop, then answers; the rest goes to the
  // HTTP API if there is one.
  bool HandleHttp(const HttpRequest& request, std::function<void(HttpResponse)> respond);
  void OnConnectorEvent(std::string_view connector, ConnectorEvent event, const Status& detail);
  Shard& ShardOfConnection(const Connection& conn);
  size_t ShardOf(std::string_view name) const;
  // Runs fn on the shard's loop: at once when already there, else posted (FIFO per sender).
  void RunOnShard(size_t shard, std::function<void()> fn);
  // A logged-in client's message (socket or HTTP API) to its handler.
  void Dispatch(const std::shared_ptr<Client>& client, Message msg);
  void RouteRecord(const std::shared_ptr<Client>& client, Message msg);
  void RouteByName(const std::shared_ptr<Client>& client, Message msg, bool bulk);
  // A socket client's message that passed the permission gate (if any).
  void RouteAllowed(const std::shared_ptr<Session>& session, Message msg);
  std::shared_ptr<PermissionGate> MakeGate(std::shared_ptr<Client> client, EventLoop* loop,
                                           std::function<void(Message)> dispatch);
  void RouteListen(const std::shared_ptr<Session>& session, Message msg);
  void Listen(const std::shared_ptr<Session>& session, Message msg);
  // Hands a message (or the part of a bulk message) to its topic's handler on that loop.
  void RunOnOwner(size_t shard, const std::shared_ptr<Client>& client, Message msg);
  void OnLogin(const std::shared_ptr<Session>& session) override;
  void SplitByShard(const std::shared_ptr<Client>& client, Message msg);
  void Notify(const std::shared_ptr<Client>& client, Message msg);

  ServerOptions options_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace strata

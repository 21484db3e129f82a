#include "server/server.h"

#include <atomic>
#include <future>
#include <mutex>
#include <set>
#include <thread>
#include <unordered_map>
#include <utility>

#include <spdlog/spdlog.h>

#include "auth/auth_chain.h"
#include "permission/permission_checker.h"
#include "event/event_handler.h"
#include "http_api/api_endpoint.h"
#include "listen/listen_pattern.h"
#include "listen/listener_registry.h"
#include "presence/presence_handler.h"
#include "rpc/rpc_handler.h"
#include "record/record_handler.h"
#include "record/record_messages.h"
#include "record/record_store.h"
#include "server/connector_registry.h"
#include "server/metrics.h"
#include "server/permission_gate.h"
#include "transport/event_loop.h"
#include "transport/transport.h"

namespace strata {
namespace ra = record_action;

struct Server::Shard {
  std::unique_ptr<EventLoop> loop;
  std::unique_ptr<RecordStore> store;
  std::unique_ptr<RecordHandler> records;
  std::unique_ptr<EventHandler> events;
  std::unique_ptr<RpcHandler> rpc;
  // Presence is about users, not names: only shard 0 has a handler.
  std::unique_ptr<PresenceHandler> presence;
  // Listening on RECORD and EVENT: every shard knows every pattern (declared after the
  // handlers whose subscriptions they observe, so they go first).
  std::unique_ptr<ListenerRegistry> record_listeners;
  std::unique_ptr<ListenerRegistry> event_listeners;
  // Sessions of the connections on this loop; touched only on this loop.
  std::unordered_map<uint64_t, std::shared_ptr<Session>> sessions;
  // With permissions: the gate of each session on this loop.
  std::unordered_map<uint64_t, std::shared_ptr<PermissionGate>> gates;
  // The patterns each connection on this loop listens to, so that LISTEN and UNLISTEN are
  // answered here, at once, without asking the other loops.
  std::unordered_map<uint64_t, std::set<std::pair<Topic, std::string>>> listening;

  ListenerRegistry& listeners(Topic topic) {
    return topic == Topic::kRecord ? *record_listeners : *event_listeners;
  }
};

// The transport's handler for one endpoint: connections opened there get its session options
// (wire format, unauthenticated-client timeout).
class Server::Endpoint final : public ConnectionHandler {
 public:
  Endpoint(Server& server, SessionOptions options) : server_(server), options_(options) {}
  std::shared_ptr<ConnectionListener> OnOpen(const std::shared_ptr<Connection>& conn) override {
    server_.Open(conn, options_);
    return std::make_shared<Listener>(conn, server_);
  }

 private:
  // Hands one connection's input to the server, which finds its session.
  class Listener final : public ConnectionListener {
   public:
    Listener(std::shared_ptr<Connection> conn, Server& server)
        : conn_(std::move(conn)), server_(server) {}
    void OnMessage(std::string_view payload, bool binary) override {
      server_.Deliver(conn_, payload, binary);
    }
    void OnClose() override { server_.Closed(conn_); }

   private:
    const std::shared_ptr<Connection> conn_;
    Server& server_;
  };

  Server& server_;
  const SessionOptions options_;
};

struct Server::Impl {
  ConnectorRegistry registry;
  DataPathConnectors connectors;
  std::vector<std::unique_ptr<Shard>> shards;
  std::unique_ptr<Transport> transport;
  std::vector<std::unique_ptr<Endpoint>> endpoints;
  // The `auth:` chain, for sockets and the HTTP API.
  std::unique_ptr<auth::AuthChain> auth;
  std::unique_ptr<http_api::ApiEndpoint> api;  // when an `http` endpoint is configured
  std::unique_ptr<permission::PermissionChecker> permissions;  // permission.type: config
  bool started = false;
  std::atomic<uint64_t> connector_events{0};  // lost/restored/error events from the connectors
};

namespace {

// Runs an asynchronous operation and waits for its completion for at most `timeout`.
Status AwaitDone(const std::function<void(DoneCallback)>& op, Millis timeout,
                 const std::string& what) {
  auto promise = std::make_shared<std::promise<Status>>();
  std::future<Status> future = promise->get_future();
  op([promise](Status s) { promise->set_value(s); });
  if (future.wait_for(timeout) != std::future_status::ready) {
    return Status::DeadlineExceeded(what + " did not finish within " +
                                    std::to_string(timeout.count()) + " ms");
  }
  return future.get();
}

RecordStoreOptions StoreOptions(const RecordConfig& c) {
  RecordStoreOptions o;
  o.cache_timeout = c.cache_retrieval_timeout;
  o.storage_timeout = c.storage_retrieval_timeout;
  o.storage_exclusion_prefixes = c.storage_exclusion_prefixes;
  o.write_behind.limit = c.storage_queue_limit;
  o.write_behind.batch_size = c.storage_batch_size;
  o.write_behind.retry_initial = c.storage_retry_interval;
  o.write_behind.retry_max = c.storage_retry_max;
  return o;
}

// The request echoed back with isAck (SUBSCRIBE*READ and NOTIFY acks carry the names).
Message Echo(const Message& request) {
  Message echo = request;
  echo.is_ack = true;
  return echo;
}

// The action numbers of RECORD and EVENT differ: picks the one of `topic`.
int32_t ActionOf(Topic topic, int32_t record, int32_t event) {
  return topic == Topic::kRecord ? record : event;
}

// LISTEN, UNLISTEN, LISTEN_ACCEPT or LISTEN_REJECT on RECORD or EVENT.
bool IsListening(const Message& msg) {
  namespace ea = event_action;
  if (msg.topic == Topic::kRecord) {
    return msg.action >= ra::kListen && msg.action <= ra::kListenReject;
  }
  return msg.topic == Topic::kEvent && msg.action >= ea::kListen && msg.action <= ea::kListenReject;
}

// {topic, action, correlationId, isAck}: the bulk subscription ack (names not echoed).
Message Ack(const Message& request) {
  Message ack;
  ack.topic = request.topic;
  ack.action = request.action;
  ack.correlation_id = request.correlation_id;
  ack.is_ack = true;
  return ack;
}

// The wire format of a WebSocket endpoint type.
std::optional<WireFormat> EndpointFormat(const std::string& type) {
  if (type == "ws-binary") return WireFormat::kBinary;
  if (type == "ws-json") return WireFormat::kJson;
  if (type == "ws-text") return WireFormat::kText;
  return std::nullopt;
}

}  // namespace

Server::Server(ServerOptions options) : options_(std::move(options)), impl_(new Impl) {
  RegisterBuiltinConnectors(impl_->registry);
}

Server::~Server() {
  if (impl_->started) Stop().IgnoreError();
}

Status Server::Start() {
  STRATA_ASSIGN_OR_RETURN(impl_->connectors,
                          CreateDataPathConnectors(impl_->registry, options_));
  impl_->started = true;  // from here on, Stop() undoes whatever part of Start() succeeded
  for (StorageConnector* c : {static_cast<StorageConnector*>(impl_->connectors.cache.get()),
                              impl_->connectors.storage.get()}) {
    c->SetEventListener([this, c](ConnectorEvent event, std::string_view, const Status& detail) {
      OnConnectorEvent(c->Name(), event, detail);
    });
    Status ready = AwaitDone([c](DoneCallback cb) { c->Start(std::move(cb)); },
                             options_.dependency_initialization_timeout,
                             std::string("connector '") + std::string(c->Name()) + "' start");
    if (!ready.ok()) {
      return Status(ready.code(), "connector '" + std::string(c->Name()) +
                                      "' is not ready: " + std::string(ready.message()));
    }
    spdlog::info("connector {} ready", c->Name());
  }

  unsigned threads = options_.threads ? options_.threads : std::thread::hardware_concurrency();
  threads = std::max(threads, 1u);
  RecordHandlerOptions handler_options{options_.record.storage_hot_path_prefixes};
  RpcOptions rpc_options{options_.rpc.ack_timeout, options_.rpc.response_timeout,
                         options_.rpc.provide_requestor_name, options_.rpc.provide_requestor_data};
  // listen.rematchInterval and listen.matchCooldown are accepted but unused: strata re-matches
  // whenever a new pattern arrives (see listener_registry.h).
  ListenOptions listen_options{options_.listen.response_timeout, options_.listen.shuffle_providers};
  for (unsigned i = 0; i < threads; ++i) {
    auto shard = std::make_unique<Shard>();
    shard->loop = std::make_unique<EventLoop>();
    shard->store = std::make_unique<RecordStore>(StoreOptions(options_.record),
                                                 *impl_->connectors.cache,
                                                 *impl_->connectors.storage, *shard->loop);
    shard->records = std::make_unique<RecordHandler>(handler_options, *shard->store);
    shard->events = std::make_unique<EventHandler>();
    shard->rpc = std::make_unique<RpcHandler>(rpc_options, *shard->loop);
    shard->record_listeners = std::make_unique<ListenerRegistry>(
        Topic::kRecord, listen_options, *shard->loop, shard->records->mutable_subscriptions());
    shard->event_listeners = std::make_unique<ListenerRegistry>(
        Topic::kEvent, listen_options, *shard->loop, shard->events->mutable_subscriptions());
    if (i == 0) shard->presence = std::make_unique<PresenceHandler>();
    shard->loop->Start();
    impl_->shards.push_back(std::move(shard));
  }

  STRATA_ASSIGN_OR_RETURN(impl_->auth, auth::AuthChain::Create(options_.auth));
  if (options_.permission.type == "config") {
    STRATA_ASSIGN_OR_RETURN(impl_->permissions,
                            permission::PermissionChecker::Create(options_.permission.options_json));
    spdlog::info("permissions: Valve rules from the config");
  }
  TransportOptions transport;
  transport.host = options_.http_server.host;
  transport.port = options_.http_server.port;
  transport.health_check_path = options_.http_server.health_check_path;
  transport.max_connections = options_.http_server.max_connections;
  if (const auto& ssl = options_.http_server.ssl) {
    transport.tls = TlsOptions{ssl->key, ssl->cert, ssl->ca};
  }
  for (const EndpointConfig& e : options_.connection_endpoints) {
    if (e.type == "http") {
      StartApi(e);
      continue;
    }
    std::optional<WireFormat> format = EndpointFormat(e.type);
    if (!format) continue;  // not served; the loader refuses those
    SessionOptions session;
    session.format = *format;
    session.auth = impl_->auth.get();
    session.max_auth_attempts = e.max_auth_attempts;
    session.log_invalid_auth_data = e.log_invalid_auth_data;
    session.unauthenticated_client_timeout = e.unauthenticated_client_timeout;
    session.heartbeat_interval = e.heartbeat_interval;
    impl_->endpoints.push_back(std::make_unique<Endpoint>(*this, session));
    EndpointBinding b;
    b.path = e.url_path;
    b.handler = impl_->endpoints.back().get();
    b.binary = session.format == WireFormat::kBinary;
    b.max_message_size = e.max_message_size;
    b.max_outgoing_queue_bytes = e.max_outgoing_queue_bytes;
    b.idle_timeout = e.heartbeat_interval * 2;
    transport.endpoints.push_back(b);
  }
  transport.http_handler = [this](const HttpRequest& request,
                                  std::function<void(HttpResponse)> respond) {
    return HandleHttp(request, std::move(respond));
  };
  std::vector<EventLoop*> loops;
  for (auto& s : impl_->shards) loops.push_back(s->loop.get());
  impl_->transport = std::make_unique<Transport>(transport, loops);
  if (Status listen = impl_->transport->Listen(); !listen.ok()) {
    if (listen.code() != StatusCode::kInvalidArgument) return listen;
    return Status::InvalidArgument("httpServer.options.ssl: " + std::string(listen.message()));
  }
  for (const auto& b : transport.endpoints) {
    spdlog::info("strata listening on {}://{}:{}{} ({} loops; cache {}, storage {})",
                 transport.tls ? "wss" : "ws", transport.host, impl_->transport->port(), b.path,
                 threads, impl_->connectors.cache->Name(), impl_->connectors.storage->Name());
  }
  return Status();
}

Status Server::Stop() {
  if (!impl_->started) return Status();
  impl_->started = false;
  if (impl_->transport) impl_->transport->Stop();
  // Logins still being decided finish (or are dropped) while the loops still run.
  impl_->api.reset();
  impl_->auth.reset();
  spdlog::info("connections closed; writing queued records to storage");
  Status drained;
  std::vector<std::future<Status>> waits;
  for (auto& shard : impl_->shards) {
    auto promise = std::make_shared<std::promise<Status>>();
    waits.push_back(promise->get_future());
    RecordStore* store = shard->store.get();
    Millis timeout = options_.record.shutdown_drain_timeout;
    shard->loop->Post([store, promise, timeout] {
      store->Drain(timeout, [promise](Status s) { promise->set_value(s); });
    });
  }
  for (auto& w : waits) {
    Status s = w.get();
    if (!s.ok() && drained.ok()) drained = s;
  }
  if (!drained.ok()) spdlog::error("storage drain incomplete: {}", drained.ToString());
  for (auto& shard : impl_->shards) {
    RecordStoreStats st = shard->store->stats();
    spdlog::debug("shard stats: reads {} (cache hits {}, storage hits {}, misses {}), storage "
                  "writes {} (coalesced {}, retries {}, failed {})",
                  st.reads, st.cache_hits, st.storage_hits, st.misses, st.storage_writes.written,
                  st.storage_writes.coalesced, st.storage_writes.retries,
                  st.storage_writes.failed);
  }
  for (StorageConnector* c : {static_cast<StorageConnector*>(impl_->connectors.cache.get()),
                              impl_->connectors.storage.get()}) {
    Status closed = AwaitDone([c](DoneCallback cb) { c->Close(std::move(cb)); }, Millis(10000),
                              std::string("closing connector '") + std::string(c->Name()) + "'");
    if (!closed.ok()) spdlog::error("{}", closed.ToString());
  }
  for (auto& shard : impl_->shards) shard->loop->Stop();
  impl_->transport.reset();
  impl_->shards.clear();
  return drained;
}

void Server::OnConnectorEvent(std::string_view connector, ConnectorEvent event,
                              const Status& detail) {
  uint64_t count = ++impl_->connector_events;
  switch (event) {
    case ConnectorEvent::kConnectionLost:
      spdlog::error("connector {}: connection lost ({}); operations fail until it is back "
                    "(event #{})", connector, detail.message(), count);
      return;
    case ConnectorEvent::kConnectionRestored:
      spdlog::warn("connector {}: connection restored (event #{})", connector, count);
      return;
    case ConnectorEvent::kError:
      spdlog::error("connector {}: {} (event #{})", connector, detail.ToString(), count);
      return;
  }
}

std::shared_ptr<PermissionGate> Server::MakeGate(std::shared_ptr<Client> client, EventLoop* loop,
                                                 std::function<void(Message)> dispatch) {
  // Rules that read records (oldData, patches, create, _()) load them from the owning shard.
  permission::RecordLookup lookup = [this](const std::string& name,
                                           std::function<void(Result<std::optional<std::string>>)> done) {
    const size_t shard = ShardOf(name);
    RecordStore* store = impl_->shards[shard]->store.get();
    RunOnShard(shard, [store, name, done = std::move(done)] {
      store->Get(name, [done](Result<std::optional<RecordValue>> got) {
        if (!got.ok()) return done(got.status());
        done(*got ? std::optional<std::string>((*got)->json) : std::nullopt);
      });
    });
  };
  return std::make_shared<PermissionGate>(*impl_->permissions, std::move(client), *loop,
                                          std::move(lookup), std::move(dispatch));
}

void Server::StartApi(const EndpointConfig& endpoint) {
  http_api::ApiOptions api;
  api.post_path = endpoint.post_path;
  api.get_path = endpoint.get_path;
  api.auth_path = endpoint.auth_path;
  api.allow_auth_data = endpoint.allow_auth_data;
  api.enable_auth_endpoint = endpoint.enable_auth_endpoint;
  api.request_timeout = endpoint.request_timeout;
  api.allow_all_origins = options_.http_server.allow_all_origins;
  api.origins = options_.http_server.origins;
  const auth::AuthChain* chain = impl_->auth.get();
  impl_->api = std::make_unique<http_api::ApiEndpoint>(
      api, *impl_->shards[0]->loop,
      [this](const std::shared_ptr<Client>& client, Message msg) {
        if (!impl_->permissions) return Dispatch(client, std::move(msg));
        MakeGate(client, impl_->shards[0]->loop.get(), [this, client](Message allowed) {
          Dispatch(client, std::move(allowed));
        })->Submit(std::move(msg));
      },
      [chain](const auth::LoginAttempt& attempt, std::function<void(auth::AuthOutcome)> done) {
        chain->Authenticate(attempt, std::move(done));
      });
  spdlog::info("HTTP API on POST {} (auth {})", api.post_path,
               api.enable_auth_endpoint ? api.auth_path : std::string("off"));
}

bool Server::HandleHttp(const HttpRequest& request, std::function<void(HttpResponse)> respond) {
  if (request.method != "GET" || request.target != "/metrics") {
    return impl_->api && impl_->api->Handle(request, std::move(respond));
  }
  struct Gather {
    std::mutex mu;
    ServerMetrics metrics;
    size_t remaining;
    std::function<void(HttpResponse)> respond;
  };
  auto gather = std::make_shared<Gather>();
  gather->metrics.loops.resize(impl_->shards.size());
  gather->metrics.connector_events = connector_events();
  gather->remaining = impl_->shards.size();
  gather->respond = std::move(respond);
  for (size_t i = 0; i < impl_->shards.size(); ++i) {
    Shard* shard = impl_->shards[i].get();
    RunOnShard(i, [shard, gather, i] {
      LoopMetrics m{shard->store->stats(), shard->sessions.size(),
                    shard->records->subscriptions().subscription_count(),
                    shard->records->active_transitions()};
      std::unique_lock lock(gather->mu);
      gather->metrics.loops[i] = m;
      if (--gather->remaining > 0) return;
      lock.unlock();
      gather->respond(HttpResponse{200, "text/plain; version=0.0.4", RenderMetrics(gather->metrics)});
    });
  }
  return true;
}

uint64_t Server::connector_events() const { return impl_->connector_events.load(); }

uint16_t Server::port() const { return impl_->transport ? impl_->transport->port() : 0; }

Server::Shard& Server::ShardOfConnection(const Connection& conn) {
  const Executor* loop = &const_cast<Connection&>(conn).executor();
  for (auto& shard : impl_->shards) {
    if (shard->loop.get() == loop) return *shard;
  }
  return *impl_->shards.front();  // unreachable: every connection lives on one of our loops
}

size_t Server::ShardOf(std::string_view name) const {
  return std::hash<std::string_view>{}(name) % impl_->shards.size();
}

void Server::RunOnShard(size_t shard, std::function<void()> fn) {
  EventLoop& loop = *impl_->shards[shard]->loop;
  if (loop.RunningInThisThread()) return fn();
  loop.Post(std::move(fn));
}

void Server::Open(const std::shared_ptr<Connection>& conn, const SessionOptions& options) {
  auto session = std::make_shared<Session>(conn, options, *this);
  ShardOfConnection(*conn).sessions[conn->id()] = session;
  session->Start();
}

void Server::Deliver(const std::shared_ptr<Connection>& conn, std::string_view payload,
                     bool binary) {
  auto& sessions = ShardOfConnection(*conn).sessions;
  auto it = sessions.find(conn->id());
  if (it != sessions.end()) it->second->OnFrame(payload, binary);
}

void Server::Closed(const std::shared_ptr<Connection>& conn) {
  Shard& home = ShardOfConnection(*conn);
  auto node = home.sessions.extract(conn->id());
  if (node.empty()) return;
  home.listening.erase(conn->id());
  home.gates.erase(conn->id());
  std::shared_ptr<Session> session = node.mapped();
  const bool logged_in = !session->user_id().empty();  // set at login, never cleared
  session->OnClosed();
  const uint64_t id = conn->id();
  if (logged_in) {
    PresenceHandler* presence = impl_->shards[0]->presence.get();
    RunOnShard(0, [presence, session] { presence->Logout(session); });
  }
  for (size_t i = 0; i < impl_->shards.size(); ++i) {
    Shard* shard = impl_->shards[i].get();
    RunOnShard(i, [shard, id] {
      // Subscriptions before patterns: a provider that also subscribes is not offered its own
      // names again on its way out.
      shard->records->RemoveClient(id);
      shard->events->RemoveClient(id);
      shard->record_listeners->RemoveClient(id);
      shard->event_listeners->RemoveClient(id);
      shard->rpc->RemoveClient(id);
    });
  }
}

void Server::Route(const std::shared_ptr<Session>& session, Message msg) {
  if (impl_->permissions) {
    Shard& home = ShardOfConnection(session->connection());
    std::shared_ptr<PermissionGate>& gate = home.gates[session->id()];
    if (!gate) {
      gate = MakeGate(session, home.loop.get(), [this, session](Message allowed) {
        RouteAllowed(session, std::move(allowed));
      });
    }
    return gate->Submit(std::move(msg));
  }
  RouteAllowed(session, std::move(msg));
}

void Server::RouteAllowed(const std::shared_ptr<Session>& session, Message msg) {
  if (IsListening(msg) && (msg.name || msg.subscription)) {
    return RouteListen(session, std::move(msg));
  }
  Dispatch(session, std::move(msg));
}

// Sockets and the HTTP API alike (the API sends no listening messages).
void Server::Dispatch(const std::shared_ptr<Client>& client, Message msg) {
  if (msg.topic == Topic::kRecord) return RouteRecord(client, std::move(msg));
  if (msg.topic == Topic::kEvent) {
    const bool bulk =
        msg.action == event_action::kSubscribe || msg.action == event_action::kUnsubscribe;
    return RouteByName(client, std::move(msg), bulk);
  }
  if (msg.topic == Topic::kRpc) {
    const bool bulk = msg.action == rpc_action::kProvide || msg.action == rpc_action::kUnprovide;
    return RouteByName(client, std::move(msg), bulk);
  }
  if (msg.topic == Topic::kPresence) {
    PresenceHandler* presence = impl_->shards[0]->presence.get();
    RunOnShard(0, [presence, client, msg = std::move(msg)] { presence->Handle(client, msg); });
  }
}

// LISTEN/UNLISTEN: answered on the connection's loop, then applied on every shard (posted
// from this loop, so they keep their order with each other and with the disconnect cleanup).
// LISTEN_ACCEPT/REJECT go to the shard owning the name they answer for.
void Server::RouteListen(const std::shared_ptr<Session>& session, Message msg) {
  const int32_t listen = ActionOf(msg.topic, ra::kListen, event_action::kListen);
  const int32_t unlisten = ActionOf(msg.topic, ra::kUnlisten, event_action::kUnlisten);
  if (msg.action != listen && msg.action != unlisten) {
    if (!msg.subscription) return;
    const size_t shard = ShardOf(*msg.subscription);
    Shard* owner = impl_->shards[shard].get();
    return RunOnShard(shard, [owner, session, msg = std::move(msg)] {
      owner->listeners(msg.topic).OnResponse(session, msg);
    });
  }
  if (!msg.name) return;
  if (msg.action == listen) return Listen(session, std::move(msg));
  auto& mine = ShardOfConnection(session->connection()).listening;
  auto it = mine.find(session->id());
  // deepstream answers an UNLISTEN of a pattern not listened to with nothing at all.
  if (it == mine.end() || it->second.erase({msg.topic, *msg.name}) == 0) return;
  if (it->second.empty()) mine.erase(it);
  session->Send(Echo(msg));
  for (size_t i = 0; i < impl_->shards.size(); ++i) {
    ListenerRegistry* listeners = &impl_->shards[i]->listeners(msg.topic);
    RunOnShard(i, [listeners, id = session->id(), pattern = *msg.name] {
      listeners->Unlisten(id, pattern);
    });
  }
}

void Server::Listen(const std::shared_ptr<Session>& session, Message msg) {
  auto& patterns = ShardOfConnection(session->connection()).listening[session->id()];
  if (patterns.contains({msg.topic, *msg.name})) {
    // deepstream 7.0.2 means to send this but crashes building it (PROTOCOL.md 2.9.4).
    Message dup;
    dup.topic = msg.topic;
    dup.action =
        ActionOf(msg.topic, ra::kMultipleSubscriptions, event_action::kMultipleSubscriptions);
    dup.original_action = msg.action;
    dup.name = msg.name;
    return session->Send(dup);
  }
  Result<std::shared_ptr<const ListenPattern>> pattern = ListenPattern::Compile(*msg.name);
  if (!pattern.ok()) {
    spdlog::debug("connection {}: invalid listen pattern '{}': {}", session->id(), *msg.name,
                  pattern.status().message());
    Message invalid;
    invalid.topic = msg.topic;
    invalid.action =
        ActionOf(msg.topic, ra::kInvalidListenRegex, event_action::kInvalidListenRegex);
    invalid.name = msg.name;
    return session->Send(invalid);
  }
  patterns.insert({msg.topic, *msg.name});
  session->Send(Echo(msg));
  for (size_t i = 0; i < impl_->shards.size(); ++i) {
    ListenerRegistry* listeners = &impl_->shards[i]->listeners(msg.topic);
    RunOnShard(i, [listeners, session, compiled = *pattern] {
      listeners->Listen(session, compiled);
    });
  }
}

void Server::OnLogin(const std::shared_ptr<Session>& session) {
  PresenceHandler* presence = impl_->shards[0]->presence.get();
  RunOnShard(0, [presence, session] { presence->Login(session); });
}

// Events and RPCs: a bulk (un)subscribe or (un)provide is acked at once and split by owner;
// every other message is about one name and goes to the loop that owns it.
void Server::RouteByName(const std::shared_ptr<Client>& client, Message msg, bool bulk) {
  if (bulk) {
    client->Send(Ack(msg));
    return SplitByShard(client, std::move(msg));
  }
  if (!msg.name) return;
  const size_t shard = ShardOf(*msg.name);  // before msg is moved into the call
  RunOnOwner(shard, client, std::move(msg));
}

void Server::RunOnOwner(size_t shard, const std::shared_ptr<Client>& client, Message msg) {
  Shard* owner = impl_->shards[shard].get();
  RunOnShard(shard, [owner, client, msg = std::move(msg)]() mutable {
    switch (msg.topic) {
      case Topic::kEvent: return owner->events->Handle(client, msg);
      case Topic::kRpc: return owner->rpc->Handle(client, msg);
      default: return owner->records->Handle(client, std::move(msg));
    }
  });
}

void Server::RouteRecord(const std::shared_ptr<Client>& client, Message msg) {
  switch (msg.action) {
    case ra::kSubscribeCreateAndRead:
    case ra::kSubscribeAndRead: {
      client->Send(Echo(msg));
      return SplitByShard(client, std::move(msg));
    }
    case ra::kSubscribe:
    case ra::kUnsubscribe:
    case ra::kSubscribeAndHead:
      client->Send(Ack(msg));
      return SplitByShard(client, std::move(msg));
    case ra::kNotify:
      return Notify(client, std::move(msg));
    default:
      break;
  }
  if (!msg.name) {
    // Every other record action is about one named record.
    if (msg.action < ra::kCacheRetrievalTimeout) {
      client->Send(record_messages::InvalidData(msg));
    }
    return;
  }
  const size_t shard = ShardOf(*msg.name);  // before msg is moved into the call
  RunOnOwner(shard, client, std::move(msg));
}

void Server::SplitByShard(const std::shared_ptr<Client>& client, Message msg) {
  std::vector<std::vector<std::string>> parts(impl_->shards.size());
  for (std::string& name : msg.names) parts[ShardOf(name)].push_back(std::move(name));
  for (size_t i = 0; i < parts.size(); ++i) {
    if (parts[i].empty()) continue;
    Message part;
    part.topic = msg.topic;
    part.action = msg.action;
    part.correlation_id = msg.correlation_id;
    part.names = std::move(parts[i]);
    RunOnOwner(i, client, std::move(part));
  }
}

// NOTIFY: every owning shard re-reads its names; the ack goes out once all are done.
void Server::Notify(const std::shared_ptr<Client>& client, Message msg) {
  struct Join {
    std::mutex mu;
    size_t remaining = 0;
    Status first_error;
  };
  std::vector<std::vector<std::string>> parts(impl_->shards.size());
  for (const std::string& name : msg.names) parts[ShardOf(name)].push_back(name);
  auto join = std::make_shared<Join>();
  for (const auto& p : parts) join->remaining += p.empty() ? 0 : 1;
  auto finish = [client, join, msg](Status s) {
    std::unique_lock lock(join->mu);
    if (!s.ok() && join->first_error.ok()) join->first_error = s;
    if (--join->remaining > 0) return;
    Status result = join->first_error;
    lock.unlock();
    if (result.ok()) return client->Send(Echo(msg));
    Message error = Ack(msg);
    error.action = ra::kRecordNotifyError;
    error.is_ack.reset();
    error.is_error = true;
    error.data = std::string(result.message());
    client->Send(error);
  };
  if (join->remaining == 0) return client->Send(Echo(msg));
  for (size_t i = 0; i < parts.size(); ++i) {
    if (parts[i].empty()) continue;
    RecordHandler* records = impl_->shards[i]->records.get();
    RunOnShard(i, [records, names = std::move(parts[i]), finish]() mutable {
      records->Notify(std::move(names), finish);
    });
  }
}

}  // namespace strata

#include "server/server.h"

#include <thread>
#include <utility>
#include <vector>

#include <spdlog/spdlog.h>

#include "auth/auth_chain.h"
#include "cluster/cluster_link.h"
#include "permission/permission_checker.h"
#include "server/component_options.h"
#include "server/connector_registry.h"
#include "server/data_path.h"
#include "server/http_service.h"
#include "server/session_endpoint.h"
#include "server/shard_set.h"
#include "transport/transport.h"

namespace strata {

struct Server::Impl {
  ConnectorRegistry registry;
  std::unique_ptr<DataPath> data;
  std::unique_ptr<ShardSet> shards;
  std::unique_ptr<ClusterLink> cluster;   // clusterNode: {name: redis}; goes before the shards
  std::unique_ptr<auth::AuthChain> auth;  // the `auth:` chain
  std::unique_ptr<permission::PermissionChecker> permissions;  // permission.type: config
  std::vector<std::unique_ptr<SessionEndpoint>> endpoints;
  std::unique_ptr<HttpService> http;  // /metrics, and the HTTP API of an `http` endpoint
  std::unique_ptr<Transport> transport;
  bool started = false;
};

Server::Server(ServerOptions options) : options_(std::move(options)), impl_(new Impl) {
  RegisterBuiltinConnectors(impl_->registry);
}

Server::~Server() {
  if (impl_->started) Stop().IgnoreError();
}

Status Server::Start() {
  STRATA_ASSIGN_OR_RETURN(impl_->data, DataPath::Create(impl_->registry, options_));
  impl_->started = true;  // from here on, Stop() undoes whatever part of Start() succeeded
  STRATA_RETURN_IF_ERROR(impl_->data->Start(options_.dependency_initialization_timeout));
  STRATA_RETURN_IF_ERROR(StartShards());
  STRATA_RETURN_IF_ERROR(StartAccessControl());
  return StartTransport();
}

Status Server::StartShards() {
  unsigned threads = options_.threads ? options_.threads : std::thread::hardware_concurrency();
  impl_->shards = std::make_unique<ShardSet>(std::max(threads, 1u), options_, impl_->data->cache(),
                                             impl_->data->storage());
  if (options_.cluster.enabled) {
    ShardRouter* router = &impl_->shards->router();
    STRATA_ASSIGN_OR_RETURN(impl_->cluster,
                            ClusterLink::Join(options_, [router](std::string_view name) {
                              return router->ShardOf(name);
                            }));
    for (size_t i = 0; i < impl_->shards->size(); ++i) {
      Shard& shard = impl_->shards->shard(i);
      impl_->cluster->AttachShard(i, ClusterLink::ShardParts{.loop = shard.loop.get(),
                                                             .records = shard.records.get(),
                                                             .events = shard.events.get(),
                                                             .rpc = shard.rpc.get(),
                                                             .presence = shard.presence.get(),
                                                             .storage = &impl_->data->storage()});
    }
    impl_->cluster->Start();
  }
  impl_->shards->StartLoops();
  return Status();
}

Status Server::StartAccessControl() {
  STRATA_ASSIGN_OR_RETURN(impl_->auth, auth::AuthChain::Create(options_.auth));
  if (options_.permission.type != "config") return Status();
  STRATA_ASSIGN_OR_RETURN(impl_->permissions,
                          permission::PermissionChecker::Create(options_.permission.options_json));
  spdlog::info("permissions: Valve rules from the config");
  for (size_t i = 0; i < impl_->shards->size(); ++i) {
    SessionContext& sessions = impl_->shards->shard(i).sessions;
    sessions.permissions = impl_->permissions.get();
    sessions.record_lookup = impl_->shards->RecordLookup();
  }
  return Status();
}

Status Server::StartTransport() {
  TransportOptions transport = TransportOptionsOf(options_.http_server);
  impl_->http = std::make_unique<HttpService>(*impl_->shards, *impl_->data, *impl_->auth,
                                              impl_->permissions.get());
  std::vector<SessionContext*> contexts;
  for (size_t i = 0; i < impl_->shards->size(); ++i) {
    contexts.push_back(&impl_->shards->shard(i).sessions);
  }
  for (const EndpointConfig& e : options_.connection_endpoints) {
    if (e.type == "http") impl_->http->EnableApi(ApiOptionsOf(e, options_.http_server));
    std::optional<WireFormat> format = EndpointFormat(e.type);
    if (!format) continue;  // http, or not served (the loader refuses those)
    impl_->endpoints.push_back(std::make_unique<SessionEndpoint>(
        SessionOptionsOf(e, *format, impl_->auth.get()), contexts));
    transport.endpoints.push_back(BindingOf(e, *format, impl_->endpoints.back().get()));
  }
  if (ClusterLink* cluster = impl_->cluster.get()) {
    transport.unhealthy = [cluster] { return cluster->Unhealthy(); };
    impl_->http->AddMetrics([cluster] { return cluster->MetricsText(); });
  }
  transport.http_handler = [http = impl_->http.get()](const HttpRequest& request,
                                                      std::function<void(HttpResponse)> respond) {
    return http->Handle(request, std::move(respond));
  };
  impl_->transport = std::make_unique<Transport>(transport, impl_->shards->loops());
  if (Status listen = impl_->transport->Listen(); !listen.ok()) {
    if (listen.code() != StatusCode::kInvalidArgument) return listen;
    return Status::InvalidArgument("httpServer.options.ssl: " + std::string(listen.message()));
  }
  for (const auto& b : transport.endpoints) {
    spdlog::info("strata listening on {}://{}:{}{} ({} loops; cache {}, storage {})",
                 transport.tls ? "wss" : "ws", transport.host, impl_->transport->port(), b.path,
                 impl_->shards->size(), impl_->data->cache().Name(), impl_->data->storage().Name());
  }
  return Status();
}

Status Server::Stop() {
  if (!impl_->started) return Status();
  impl_->started = false;
  if (impl_->transport) impl_->transport->Stop();
  // Logins still being decided finish (or are dropped) while the loops still run.
  impl_->http.reset();
  impl_->auth.reset();
  Status drained;
  if (impl_->shards) {
    spdlog::info("connections closed; writing queued records to storage");
    drained = impl_->shards->Drain(options_.record.shutdown_drain_timeout);
    if (!drained.ok()) spdlog::error("storage drain incomplete: {}", drained.ToString());
  }
  impl_->data->Close();
  if (impl_->shards) impl_->shards->StopLoops();
  impl_->transport.reset();
  impl_->endpoints.clear();
  impl_->cluster.reset();
  impl_->shards.reset();
  return drained;
}

uint64_t Server::connector_events() const { return impl_->data ? impl_->data->events() : 0; }

uint16_t Server::port() const { return impl_->transport ? impl_->transport->port() : 0; }

}  // namespace strata

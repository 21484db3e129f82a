#pragma once
// HttpService: what the server's port answers besides WebSocket upgrades and the health check:
// `GET /metrics` (each loop's numbers gathered on that loop, then summed; Prometheus text), and,
// when an `http` endpoint is configured, deepstream's HTTP API, whose messages pass the
// permission rules (when configured) and go to the router like a socket client's.
//
// Thread-safety: Handle may be called from any loop, as the transport does.

#include <functional>
#include <memory>

#include "auth/auth_chain.h"
#include "http_api/api_endpoint.h"
#include "permission/permission_checker.h"
#include "server/data_path.h"
#include "server/shard_set.h"
#include "transport/transport.h"

namespace strata {

class HttpService {
 public:
  // REQUIRES: everything given outlives the service; `permissions` may be null (no rules).
  HttpService(ShardSet& shards, const DataPath& data, const auth::AuthChain& auth,
              const permission::PermissionChecker* permissions);
  ~HttpService();

  // More /metrics lines (Prometheus text), asked from any thread at each scrape.
  void AddMetrics(std::function<std::string()> lines) { extra_metrics_ = std::move(lines); }
  // Serves the HTTP API (POST/GET paths and auth path of `options`).
  void EnableApi(const http_api::ApiOptions& options);
  // The transport's HttpHandler: false when the request is not one of ours (404).
  bool Handle(const HttpRequest& request, std::function<void(HttpResponse)> respond);

 private:
  void ServeMetrics(std::function<void(HttpResponse)> respond);
  // An HTTP API message, through the permission rules when there are any.
  void Dispatch(const std::shared_ptr<Client>& client, Message msg);

  ShardSet& shards_;
  const DataPath& data_;
  const auth::AuthChain& auth_;
  const permission::PermissionChecker* const permissions_;
  std::unique_ptr<http_api::ApiEndpoint> api_;
  std::function<std::string()> extra_metrics_;
};

}  // namespace strata

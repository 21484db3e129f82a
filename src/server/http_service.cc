#include "server/http_service.h"

#include <spdlog/spdlog.h>

#include "server/metrics.h"
#include "server/permission_gate.h"

namespace strata {

HttpService::HttpService(ShardSet& shards, const DataPath& data, const auth::AuthChain& auth,
                         const permission::PermissionChecker* permissions)
    : shards_(shards), data_(data), auth_(auth), permissions_(permissions) {}

HttpService::~HttpService() = default;

void HttpService::EnableApi(const http_api::ApiOptions& options) {
  const auth::AuthChain* chain = &auth_;
  api_ = std::make_unique<http_api::ApiEndpoint>(
      options, *shards_.shard(0).loop,
      [this](const std::shared_ptr<Client>& client, Message msg) {
        Dispatch(client, std::move(msg));
      },
      [chain](const auth::LoginAttempt& attempt, std::function<void(auth::AuthOutcome)> done) {
        chain->Authenticate(attempt, std::move(done));
      });
  spdlog::info("HTTP API on POST {} (auth {})", options.post_path,
               options.enable_auth_endpoint ? options.auth_path : std::string("off"));
}

void HttpService::Dispatch(const std::shared_ptr<Client>& client, Message msg) {
  Router& router = shards_.router();
  if (!permissions_) return router.Dispatch(client, std::move(msg));
  // One gate per message: an API client is short-lived and its messages are independent.
  auto gate = std::make_shared<PermissionGate>(
      *permissions_, client, *shards_.shard(0).loop, shards_.RecordLookup(),
      [&router, client](Message allowed) { router.Dispatch(client, std::move(allowed)); });
  gate->Submit(std::move(msg));
}

bool HttpService::Handle(const HttpRequest& request, std::function<void(HttpResponse)> respond) {
  if (request.method == "GET" && request.target == "/metrics") {
    ServeMetrics(std::move(respond));
    return true;
  }
  return api_ && api_->Handle(request, std::move(respond));
}

void HttpService::ServeMetrics(std::function<void(HttpResponse)> respond) {
  const uint64_t events = data_.events();
  shards_.GatherMetrics([events, extra = extra_metrics_,
                         respond = std::move(respond)](std::vector<LoopMetrics> loops) {
    ServerMetrics metrics{std::move(loops), events};
    std::string text = RenderMetrics(metrics);
    if (extra) text += extra();
    respond(HttpResponse{200, "text/plain; version=0.0.4", std::move(text)});
  });
}

}  // namespace strata

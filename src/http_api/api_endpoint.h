#pragma once
// ApiEndpoint: deepstream's HTTP API on the server's port (PROTOCOL.md 6).
//   POST <authPath>  auth data in, {"token"?, "clientData"?} out (401 when refused); a token
//                    comes from the auth handler (the http webhook), as in deepstream
//   POST <postPath>  {"body": [JIF...], "authData"?: {...}, "token"?: "..."}; a token is
//                    checked by the auth chain as the auth data {"token": ...}
//                    -> {"result": SUCCESS|PARTIAL_SUCCESS|FAILURE, "body": [result per message]}
//   GET  <getPath>   400, as deepstream (reading by GET is not implemented there either)
// Each JIF message is routed like a socket client's message, through its own short-lived
// Client, so every reply it gets belongs to it. Unlike deepstream, messages of one batch that
// name the same record run one after the other, in batch order (a read after a write sees the
// write); others run concurrently. Messages without a final reply within requestTimeout get
// HTTP_REQUEST_TIMEOUT. Responses carry CORS headers per allowAllOrigins / origins.
//
// Thread-safety: Handle may be called from any loop; replies may arrive on any loop.

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "auth/authenticator.h"
#include "http_api/jif.h"
#include "pubsub/client.h"
#include "strata/executor.h"
#include "strata/message.h"
#include "transport/transport.h"

namespace strata::http_api {

struct ApiOptions {
  std::string post_path = "/api";
  std::string get_path = "/api";
  std::string auth_path = "/api/auth";
  bool allow_auth_data = true;       // authData in POST bodies
  bool enable_auth_endpoint = true;  // POST authPath
  std::chrono::milliseconds request_timeout{20000};
  bool allow_all_origins = true;
  std::vector<std::string> origins;  // when !allow_all_origins
  size_t max_batch = 1000;           // strata: JIF messages per request
};

class ApiEndpoint {
 public:
  // A logged-in client's message, as from a socket.
  using Router = std::function<void(const std::shared_ptr<Client>& client, Message msg)>;
  // The `auth:` chain: the first handler that is not "not mine" decides.
  using Login = std::function<void(const auth::LoginAttempt& attempt,
                                   std::function<void(auth::AuthOutcome)> done)>;

  ApiEndpoint(ApiOptions options, Executor& timers, Router router, Login login);
  ~ApiEndpoint();
  ApiEndpoint(const ApiEndpoint&) = delete;
  ApiEndpoint& operator=(const ApiEndpoint&) = delete;

  // False when the request is not the API's; otherwise `respond` runs exactly once.
  bool Handle(const HttpRequest& request, std::function<void(HttpResponse)> respond);

 private:
  struct Batch;

  void HandleAuth(const HttpRequest& request, std::function<void(HttpResponse)> respond);
  void HandlePost(const HttpRequest& request, std::function<void(HttpResponse)> respond);
  void Run(std::shared_ptr<Batch> batch);
  void Start(const std::shared_ptr<Batch>& batch, size_t index);
  void Finish(const std::shared_ptr<Batch>& batch, size_t index, JifElement element);
  void Respond(const std::shared_ptr<Batch>& batch);
  HttpResponse Text(int status, std::string text, const HttpRequest& request) const;
  HttpResponse Json(std::string body, const HttpRequest& request) const;
  std::vector<std::pair<std::string, std::string>> CorsHeaders(const HttpRequest& request) const;

  const ApiOptions options_;
  Executor& timers_;
  const Router router_;
  const Login login_;
};

}  // namespace strata::http_api

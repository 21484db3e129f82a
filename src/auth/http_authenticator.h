#pragma once
// HttpAuthenticator: `auth: [{type: http, options: {endpointUrl, permittedStatusCodes,
// requestTimeout, promoteToHeader, retryStatusCodes, retryAttempts, retryInterval,
// reportInvalidParameters}}]`, the webhook of deepstream 7.0.2:
//   POST endpointUrl  {"connectionData": {"remoteAddress": "..."}, "authData": <auth data>}
// with each auth data field named in promoteToHeader also sent as a header.
//   - status in permittedStatusCodes: accepted; a text body is the user id, a JSON object body
//     gives id, clientData and serverData. (No id at all: rejected with an error for the client;
//     deepstream would log in a user without id.)
//   - status in retryStatusCodes, a connection error or a timeout: asked again after
//     retryInterval, at most retryAttempts more times, then rejected with clientData
//     {"error": "AUTH_RETRY_ATTEMPTS_EXCEEDED"}.
//   - any other status: rejected (a text body becomes clientData {"error": body}, a JSON object
//     body gives clientData), or not mine when reportInvalidParameters is false.
// Requests run on the authenticator's own loop thread, never on a connection's. Logins still
// waiting when the authenticator is destroyed (server stop) get no answer.
//
// Thread-safety: see Authenticator.

#include <chrono>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "auth/authenticator.h"
#include "strata/status.h"
#include "transport/http_client.h"

namespace strata {
class EventLoop;
}

namespace strata::auth {

struct HttpAuthOptions {
  HttpUrl endpoint;
  std::set<int> permitted_status_codes;
  std::chrono::milliseconds request_timeout{2000};
  std::vector<std::string> promote_to_header;
  std::set<int> retry_status_codes;
  int retry_attempts = 0;
  std::chrono::milliseconds retry_interval{5000};
  bool report_invalid_parameters = true;
};

class HttpAuthenticator final : public Authenticator {
 public:
  // kInvalidArgument naming the option: endpointUrl, permittedStatusCodes and requestTimeout are
  // required (as in deepstream); the retry options default to no retries.
  static Result<HttpAuthOptions> ParseOptions(std::string_view options_json);
  static Result<std::unique_ptr<HttpAuthenticator>> Create(std::string_view options_json);
  explicit HttpAuthenticator(HttpAuthOptions options);
  ~HttpAuthenticator() override;

  std::string_view Name() const override { return "http"; }
  void Authenticate(const LoginAttempt& attempt, std::function<void(AuthOutcome)> done) override;

 private:
  struct Attempt;
  void Send(std::shared_ptr<Attempt> attempt);
  void OnResponse(std::shared_ptr<Attempt> attempt, Result<HttpClientResponse> response);
  void Retry(std::shared_ptr<Attempt> attempt, const std::string& why);

  HttpAuthOptions options_;
  std::unique_ptr<EventLoop> loop_;
};

}  // namespace strata::auth

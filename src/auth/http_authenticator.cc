#include "auth/http_authenticator.h"

#include <rapidjson/document.h>
#include <spdlog/spdlog.h>

#include "common/json_text.h"
#include "transport/event_loop.h"

namespace strata::auth {
namespace {

// {"error": text} for the client.
std::string ErrorData(std::string_view text) { return "{\"error\":" + QuoteJson(text) + "}"; }

Result<std::set<int>> StatusCodes(const rapidjson::Value& options, const char* key, bool required) {
  auto it = options.FindMember(key);
  if (it == options.MemberEnd()) {
    if (required) return Status::InvalidArgument(std::string(key) + " is required");
    return std::set<int>{};
  }
  if (!it->value.IsArray())
    return Status::InvalidArgument(std::string(key) + " must be a list of status codes");
  std::set<int> codes;
  for (const auto& code : it->value.GetArray()) {
    if (!code.IsInt() || code.GetInt() < 100 || code.GetInt() > 599) {
      return Status::InvalidArgument(std::string(key) + " must be a list of status codes");
    }
    codes.insert(code.GetInt());
  }
  return codes;
}

Result<int> Millis(const rapidjson::Value& options, const char* key, bool required, int fallback) {
  auto it = options.FindMember(key);
  if (it == options.MemberEnd()) {
    if (required) return Status::InvalidArgument(std::string(key) + " is required");
    return fallback;
  }
  if (!it->value.IsInt() || it->value.GetInt() < 0) {
    return Status::InvalidArgument(std::string(key) + " must be a number of milliseconds");
  }
  return it->value.GetInt();
}

}  // namespace

struct HttpAuthenticator::Attempt {
  LoginAttempt login;
  std::function<void(AuthOutcome)> done;
  int retries = 0;
};

Result<HttpAuthOptions> HttpAuthenticator::ParseOptions(std::string_view options_json) {
  rapidjson::Document options;
  options.Parse(options_json.data(), options_json.size());
  if (options.HasParseError() || !options.IsObject()) {
    return Status::InvalidArgument("http auth options must be a map");
  }
  HttpAuthOptions parsed;
  auto url = options.FindMember("endpointUrl");
  if (url == options.MemberEnd() || !url->value.IsString()) {
    return Status::InvalidArgument("endpointUrl is required (the webhook's http:// URL)");
  }
  STRATA_ASSIGN_OR_RETURN(parsed.endpoint, ParseHttpUrl(url->value.GetString()));
  STRATA_ASSIGN_OR_RETURN(parsed.permitted_status_codes,
                          StatusCodes(options, "permittedStatusCodes", true));
  STRATA_ASSIGN_OR_RETURN(parsed.retry_status_codes,
                          StatusCodes(options, "retryStatusCodes", false));
  STRATA_ASSIGN_OR_RETURN(int timeout, Millis(options, "requestTimeout", true, 0));
  if (timeout < 1) return Status::InvalidArgument("requestTimeout must be at least 1 ms");
  parsed.request_timeout = std::chrono::milliseconds(timeout);
  STRATA_ASSIGN_OR_RETURN(int interval, Millis(options, "retryInterval", false, 5000));
  parsed.retry_interval = std::chrono::milliseconds(interval);
  STRATA_ASSIGN_OR_RETURN(parsed.retry_attempts, Millis(options, "retryAttempts", false, 0));
  if (auto it = options.FindMember("promoteToHeader"); it != options.MemberEnd()) {
    if (!it->value.IsArray())
      return Status::InvalidArgument("promoteToHeader must be a list of field names");
    for (const auto& name : it->value.GetArray()) {
      if (!name.IsString())
        return Status::InvalidArgument("promoteToHeader must be a list of field names");
      parsed.promote_to_header.emplace_back(name.GetString(), name.GetStringLength());
    }
  }
  if (auto it = options.FindMember("reportInvalidParameters"); it != options.MemberEnd()) {
    if (!it->value.IsBool())
      return Status::InvalidArgument("reportInvalidParameters must be true or false");
    parsed.report_invalid_parameters = it->value.GetBool();
  }
  return parsed;
}

Result<std::unique_ptr<HttpAuthenticator>> HttpAuthenticator::Create(
    std::string_view options_json) {
  STRATA_ASSIGN_OR_RETURN(HttpAuthOptions options, ParseOptions(options_json));
  return std::make_unique<HttpAuthenticator>(std::move(options));
}

HttpAuthenticator::HttpAuthenticator(HttpAuthOptions options)
    : options_(std::move(options)), loop_(std::make_unique<EventLoop>()) {
  loop_->Start();
}

HttpAuthenticator::~HttpAuthenticator() { loop_->Stop(); }

void HttpAuthenticator::Authenticate(const LoginAttempt& login,
                                     std::function<void(AuthOutcome)> done) {
  auto attempt = std::make_shared<Attempt>();
  attempt->login = login;
  attempt->done = std::move(done);
  loop_->Post([this, attempt] { Send(attempt); });
}

void HttpAuthenticator::Send(std::shared_ptr<Attempt> attempt) {
  HttpClientRequest request;
  request.url = options_.endpoint;
  request.timeout = options_.request_timeout;
  request.body =
      "{\"connectionData\":{\"remoteAddress\":" + QuoteJson(attempt->login.remote_address) +
      "},\"authData\":" + attempt->login.auth_data + "}";
  rapidjson::Document data;
  data.Parse(attempt->login.auth_data.c_str(), attempt->login.auth_data.size());
  if (!data.HasParseError() && data.IsObject()) {
    for (const std::string& field : options_.promote_to_header) {
      auto it = data.FindMember(field.c_str());
      if (it == data.MemberEnd() || it->value.IsNull() ||
          (it->value.IsBool() && !it->value.GetBool()))
        continue;
      std::string value = it->value.IsString()
                              ? std::string(it->value.GetString(), it->value.GetStringLength())
                              : ToJsonText(it->value);
      // A header value cannot hold line breaks; such a field is not promoted.
      if (value.find_first_of("\r\n") == std::string::npos)
        request.headers.emplace_back(field, value);
    }
  }
  SendHttpRequest(*loop_, std::move(request), [this, attempt](Result<HttpClientResponse> response) {
    OnResponse(attempt, std::move(response));
  });
}

void HttpAuthenticator::OnResponse(std::shared_ptr<Attempt> attempt,
                                   Result<HttpClientResponse> response) {
  if (!response.ok()) return Retry(attempt, std::string(response.status().message()));
  const int status = response->status;
  if (status >= 500)
    spdlog::warn("http auth: webhook answered {}: {}", status, response->body.substr(0, 200));
  if (options_.retry_status_codes.count(status)) {
    return Retry(attempt, "webhook answered " + std::to_string(status));
  }
  // A JSON object body is spread into the outcome; anything else is text.
  rapidjson::Document body;
  const bool json_object =
      response->content_type.find("json") != std::string::npos &&
      !body.Parse(response->body.c_str(), response->body.size()).HasParseError() && body.IsObject();
  auto member = [&](const char* key) -> std::optional<std::string> {
    if (!json_object) return std::nullopt;
    auto it = body.FindMember(key);
    if (it == body.MemberEnd()) return std::nullopt;
    return ToJsonText(it->value);
  };
  if (!options_.permitted_status_codes.count(status)) {
    if (!options_.report_invalid_parameters) return attempt->done(AuthOutcome::NotMine());
    if (!json_object) {
      return attempt->done(AuthOutcome::Rejected(
          response->body.empty() ? std::nullopt
                                 : std::optional<std::string>(ErrorData(response->body))));
    }
    return attempt->done(AuthOutcome::Rejected(member("clientData")));
  }
  AuthOutcome accepted;
  accepted.verdict = AuthOutcome::Verdict::kAccepted;
  if (!json_object) {
    accepted.id = response->body;
  } else if (auto it = body.FindMember("id"); it != body.MemberEnd() && it->value.IsString()) {
    accepted.id.assign(it->value.GetString(), it->value.GetStringLength());
    accepted.client_data = member("clientData");
    accepted.server_data = member("serverData");
    if (auto token = body.FindMember("token");
        token != body.MemberEnd() && token->value.IsString()) {
      accepted.token.emplace(token->value.GetString(), token->value.GetStringLength());
    }
  }
  if (accepted.id.empty()) {
    spdlog::warn("http auth: webhook accepted a login ({}) but gave no user id; rejected", status);
    return attempt->done(AuthOutcome::Rejected(ErrorData("auth webhook returned no user id")));
  }
  attempt->done(std::move(accepted));
}

void HttpAuthenticator::Retry(std::shared_ptr<Attempt> attempt, const std::string& why) {
  if (attempt->retries >= options_.retry_attempts) {
    spdlog::warn("http auth: giving up after {} attempt(s): {}", attempt->retries + 1, why);
    if (!options_.report_invalid_parameters) return attempt->done(AuthOutcome::NotMine());
    return attempt->done(AuthOutcome::Rejected(ErrorData("AUTH_RETRY_ATTEMPTS_EXCEEDED")));
  }
  ++attempt->retries;
  spdlog::info("http auth: {}; retry {} of {} in {} ms", why, attempt->retries,
               options_.retry_attempts, options_.retry_interval.count());
  loop_->PostAfter(options_.retry_interval, [this, attempt] { Send(attempt); });
}

}  // namespace strata::auth

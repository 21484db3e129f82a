#include "http_api/api_endpoint.h"

#include <atomic>
#include <deque>
#include <map>
#include <mutex>
#include <optional>

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>

#include "common/json_text.h"

namespace strata::http_api {
namespace {

using auth::AuthOutcome;

// Ids of the per-message clients: far above the transport's connection ids.
std::atomic<uint64_t> next_client_id{uint64_t{1} << 62};

// The Client one JIF message is sent as: its first final reply is the message's result.
class MessageClient final : public Client {
 public:
  MessageClient(std::string user_id, std::optional<std::string> server_data,
                std::function<void(JifElement)> on_result)
      : id_(next_client_id++),
        user_id_(std::move(user_id)),
        server_data_(std::move(server_data)),
        on_result_(std::move(on_result)) {}

  uint64_t id() const override { return id_; }
  const std::string& user_id() const override { return user_id_; }
  std::optional<std::string> server_data() const override { return server_data_; }
  bool connected() const override { return !done_.load(); }
  void Send(const Message& msg) override {
    std::optional<JifElement> result = JifResult(msg);
    if (!result || done_.exchange(true)) return;  // intermediate reply, or already answered
    on_result_(std::move(*result));
  }
  // An HTTP client subscribes to nothing, so no broadcast is its business.
  void Send(const Broadcast&) override {}

 private:
  const uint64_t id_;
  const std::string user_id_;
  const std::optional<std::string> server_data_;
  const std::function<void(JifElement)> on_result_;
  std::atomic<bool> done_{false};
};

bool IsJson(std::string_view content_type) {
  return content_type.substr(0, content_type.find(';')).find("application/json") !=
         std::string_view::npos;
}

// The records a message touches, for ordering within a batch ("" = none).
std::string OrderKey(const Message& m) {
  if (m.topic != Topic::kRecord) return "";
  if (m.name) return *m.name;
  std::string key;
  for (const std::string& n : m.names) key += n + '\x1f';
  return key;
}

}  // namespace

struct ApiEndpoint::Batch {
  HttpRequest request;
  std::function<void(HttpResponse)> respond;
  std::string user_id;
  std::optional<std::string> server_data;
  std::vector<JifRequest> messages;
  std::vector<std::string> keys;

  std::mutex mu;
  std::vector<std::optional<JifElement>> results;
  std::map<std::string, std::deque<size_t>> queued;  // per record: messages waiting their turn
  size_t remaining = 0;
  bool responded = false;
};

ApiEndpoint::ApiEndpoint(ApiOptions options, Executor& timers, Router router, Login login)
    : options_(std::move(options)),
      timers_(timers),
      router_(std::move(router)),
      login_(std::move(login)) {}

ApiEndpoint::~ApiEndpoint() = default;

bool ApiEndpoint::Handle(const HttpRequest& request, std::function<void(HttpResponse)> respond) {
  const std::string path = request.target.substr(0, request.target.find('?'));
  const bool auth = options_.enable_auth_endpoint && path == options_.auth_path;
  const bool post = path == options_.post_path;
  const bool get = path == options_.get_path;
  if (!auth && !post && !get) return false;
  if (request.method == "OPTIONS") {  // CORS preflight
    HttpResponse preflight = Text(200, "", request);
    preflight.headers.emplace_back("Access-Control-Allow-Methods", "GET, POST, OPTIONS");
    preflight.headers.emplace_back("Access-Control-Allow-Headers", "Content-Type");
    respond(std::move(preflight));
    return true;
  }
  if (request.method == "GET" && get) {
    respond(Text(
        400,
        "Reading records via HTTP GET is not yet implemented, please use a post request instead.",
        request));
    return true;
  }
  if (request.method != "POST") {
    respond(Text(405, "Method not allowed.", request));
    return true;
  }
  if (!IsJson(request.content_type)) {
    respond(Text(415,
                 "Invalid \"Content-Type\" header. Supported media types: \"application/json\"",
                 request));
    return true;
  }
  if (auth) {
    HandleAuth(request, std::move(respond));
  } else {
    HandlePost(request, std::move(respond));
  }
  return true;
}

void ApiEndpoint::HandleAuth(const HttpRequest& request,
                             std::function<void(HttpResponse)> respond) {
  rapidjson::Document data;
  if (data.Parse(request.body.c_str(), request.body.size()).HasParseError() || !data.IsObject()) {
    return respond(Text(
        400, "Failed to parse body of request: expected a JSON object of auth data.", request));
  }
  login_({request.body, request.remote_address},
         [this, request, respond = std::move(respond)](AuthOutcome outcome) {
           if (outcome.verdict != AuthOutcome::Verdict::kAccepted) {
             return respond(Text(401, "Invalid authentication data.", request));
           }
           std::string body;
           if (outcome.token) body += "\"token\":" + QuoteJson(*outcome.token);
           if (outcome.client_data)
             body +=
                 std::string(body.empty() ? "" : ",") + "\"clientData\":" + *outcome.client_data;
           respond(Json("{" + body + "}", request));
         });
}

void ApiEndpoint::HandlePost(const HttpRequest& request,
                             std::function<void(HttpResponse)> respond) {
  rapidjson::Document doc;
  if (doc.Parse(request.body.c_str(), request.body.size()).HasParseError()) {
    return respond(Text(400,
                        std::string("Failed to parse body of request: ") +
                            rapidjson::GetParseError_En(doc.GetParseError()),
                        request));
  }
  const rapidjson::Value* body = doc.IsObject() && doc.HasMember("body") ? &doc["body"] : nullptr;
  bool objects = body != nullptr && body->IsArray() && !body->Empty();
  for (size_t i = 0; objects && i < body->Size(); ++i) objects = (*body)[i].IsObject();
  if (!objects) {
    return respond(
        Text(400, "Invalid message: the \"body\" parameter must be a non-empty array of Objects.",
             request));
  }
  if (body->Size() > options_.max_batch) {
    return respond(Text(
        400, "Too many messages: at most " + std::to_string(options_.max_batch) + " per request.",
        request));
  }
  auto batch = std::make_shared<Batch>();
  batch->request = request;
  batch->respond = std::move(respond);
  static std::atomic<uint64_t> next_batch{1};
  const std::string prefix = "http-" + std::to_string(next_batch++) + "-";
  for (size_t i = 0; i < body->Size(); ++i) {
    Result<JifRequest> parsed = ParseJif((*body)[i], prefix + std::to_string(i));
    if (!parsed.ok()) {
      return batch->respond(Text(400,
                                 "Failed to parse JIF object at index " + std::to_string(i) + ": " +
                                     std::string(parsed.status().message()) + ".",
                                 request));
    }
    batch->keys.push_back(OrderKey(parsed->message));
    batch->messages.push_back(std::move(parsed).value());
  }
  // Who is asking: a token or auth data from the body, checked by the auth chain.
  std::string auth_data = "{}";
  if (auto token = doc.FindMember("token"); token != doc.MemberEnd()) {
    auth_data = "{\"token\":" + ToJsonText(token->value) + "}";
  } else if (auto data = doc.FindMember("authData"); data != doc.MemberEnd()) {
    if (!options_.allow_auth_data) {
      return batch->respond(
          Text(400, "Authentication data is not allowed in requests; use a token.", request));
    }
    if (!data->value.IsObject()) {
      return batch->respond(Text(400, "Invalid message: \"authData\" must be an object.", request));
    }
    auth_data = ToJsonText(data->value);
  }
  login_({auth_data, request.remote_address}, [this, batch](AuthOutcome outcome) {
    if (outcome.verdict != AuthOutcome::Verdict::kAccepted) {
      return batch->respond(Text(401, "Unsuccessful authentication attempt.", batch->request));
    }
    batch->user_id = outcome.id;
    batch->server_data = outcome.server_data;
    Run(batch);
  });
}

void ApiEndpoint::Run(std::shared_ptr<Batch> batch) {
  std::vector<size_t> first;
  {
    std::lock_guard lock(batch->mu);
    batch->results.resize(batch->messages.size());
    batch->remaining = batch->messages.size();
    for (size_t i = 0; i < batch->messages.size(); ++i) {
      const std::string& key = batch->keys[i];
      if (key.empty()) {
        first.push_back(i);
        continue;
      }
      auto& queue = batch->queued[key];
      if (queue.empty()) first.push_back(i);
      queue.push_back(i);  // the front is the one running
    }
  }
  timers_.PostAfter(options_.request_timeout, [this, batch] {
    {
      std::lock_guard lock(batch->mu);
      if (batch->responded) return;
      for (auto& result : batch->results) {
        if (!result) result = JifTimeout();
      }
    }
    Respond(batch);
  });
  for (size_t i : first) Start(batch, i);
}

void ApiEndpoint::Start(const std::shared_ptr<Batch>& batch, size_t index) {
  const JifRequest& request = batch->messages[index];
  auto client = std::make_shared<MessageClient>(
      batch->user_id, batch->server_data,
      [this, batch, index](JifElement element) { Finish(batch, index, std::move(element)); });
  router_(client, request.message);
  // An emit gets no reply: it succeeded unless it was refused on the way in (a permission
  // denial arrives during the routing call when its rule needs no record; Finish keeps the first).
  if (request.done_when_sent) Finish(batch, index, JifSuccess());
}

void ApiEndpoint::Finish(const std::shared_ptr<Batch>& batch, size_t index, JifElement element) {
  std::optional<size_t> next;
  bool complete = false;
  {
    std::lock_guard lock(batch->mu);
    if (batch->responded || batch->results[index]) return;
    batch->results[index] = std::move(element);
    complete = --batch->remaining == 0;
    const std::string& key = batch->keys[index];
    if (!key.empty()) {
      auto& queue = batch->queued[key];
      queue.pop_front();
      if (!queue.empty()) next = queue.front();
    }
  }
  if (next) Start(batch, *next);
  if (complete) Respond(batch);
}

void ApiEndpoint::Respond(const std::shared_ptr<Batch>& batch) {
  std::vector<JifElement> elements;
  std::function<void(HttpResponse)> respond;
  {
    std::lock_guard lock(batch->mu);
    if (batch->responded) return;
    batch->responded = true;
    for (auto& result : batch->results) elements.push_back(result.value_or(JifTimeout()));
    // The batch outlives the response (its timeout timer holds it); the HTTP connection behind
    // `respond` must not: it is released here.
    respond = std::move(batch->respond);
  }
  respond(Json(JifResponse(elements), batch->request));
}

std::vector<std::pair<std::string, std::string>> ApiEndpoint::CorsHeaders(
    const HttpRequest& request) const {
  if (options_.allow_all_origins) return {{"Access-Control-Allow-Origin", "*"}};
  for (const std::string& origin : options_.origins) {
    if (!request.origin.empty() && origin == request.origin) {
      return {{"Access-Control-Allow-Origin", origin}, {"Vary", "Origin"}};
    }
  }
  return {{"Vary", "Origin"}};
}

// deepstream ends its bodies with a blank line; clients that compare bodies see the same bytes.
HttpResponse ApiEndpoint::Text(int status, std::string text, const HttpRequest& request) const {
  return HttpResponse{status, "text/plain; charset=utf-8", text.empty() ? text : text + "\r\n\r\n",
                      CorsHeaders(request)};
}

HttpResponse ApiEndpoint::Json(std::string body, const HttpRequest& request) const {
  return HttpResponse{200, "application/json; charset=utf-8", body + "\r\n\r\n",
                      CorsHeaders(request)};
}

}  // namespace strata::http_api

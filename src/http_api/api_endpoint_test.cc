#include "http_api/api_endpoint.h"

#include <gtest/gtest.h>

#include "testing/manual_loop.h"

namespace strata::http_api {
namespace {

using auth::AuthOutcome;
namespace ra = record_action;

// A router that records what it is given and answers later, when the test says so (so ordering
// and timeouts can be observed), and an auth chain that accepts {} (as "open"), {"username": ...}
// and the token "good" (as "alice").
class ApiEndpointTest : public ::testing::Test {
 protected:
  struct Routed {
    std::shared_ptr<Client> client;
    Message msg;
  };

  ApiEndpointTest() { Make(ApiOptions{}); }

  void Make(ApiOptions options) {
    options.request_timeout = std::chrono::milliseconds(1000);
    api_ = std::make_unique<ApiEndpoint>(
        options, loop_,
        [this](const std::shared_ptr<Client>& c, Message m) {
          routed_.push_back({c, m});
        },
        [this](const auth::LoginAttempt& attempt, std::function<void(AuthOutcome)> done) {
          logins_.push_back(attempt.auth_data);
          AuthOutcome o;
          if (attempt.auth_data.find("\"username\"") != std::string::npos ||
              attempt.auth_data == R"({"token":"good"})" || attempt.auth_data == "{}") {
            o.verdict = AuthOutcome::Verdict::kAccepted;
            o.id = attempt.auth_data == "{}" ? "open" : "alice";
            o.client_data = R"({"c":1})";
          } else {
            o.verdict = AuthOutcome::Verdict::kRejected;
          }
          done(o);
        });
  }

  // POSTs and returns the response once it came (std::nullopt while pending).
  std::shared_ptr<std::optional<HttpResponse>> Post(
      const std::string& path, const std::string& body,
      const std::string& content_type = "application/json") {
    auto response = std::make_shared<std::optional<HttpResponse>>();
    HttpRequest request{"POST", path, body, content_type, "", "127.0.0.1:5"};
    EXPECT_TRUE(api_->Handle(request, [response](HttpResponse r) { *response = std::move(r); }));
    return response;
  }

  static Message Reply(Topic topic, int32_t action, std::string name) {
    Message m;
    m.topic = topic;
    m.action = action;
    m.name = std::move(name);
    return m;
  }

  strata::testing::ManualLoop loop_;
  std::unique_ptr<ApiEndpoint> api_;
  std::vector<Routed> routed_;
  std::vector<std::string> logins_;
};

TEST_F(ApiEndpointTest, BatchRunsThroughTheRouterAndCollectsResults) {
  auto response = Post("/api", R"({"authData":{"username":"alice"},"body":[
      {"topic":"record","action":"read","recordName":"a"},
      {"topic":"event","action":"emit","eventName":"e","data":1},
      {"topic":"rpc","action":"make","rpcName":"add","data":[1,2]}]})");
  ASSERT_EQ(routed_.size(), 3u);
  EXPECT_EQ(routed_[0].client->user_id(), "alice");
  EXPECT_EQ(routed_[1].msg.action, event_action::kEmit);
  EXPECT_FALSE(response->has_value());
  Message read = Reply(Topic::kRecord, ra::kReadResponse, "a");
  read.version = 3;
  read.data = R"({"x":1})";
  routed_[0].client->Send(read);
  routed_[2].client->Send(Reply(Topic::kRpc, rpc_action::kAccept, "add"));  // not final
  EXPECT_FALSE(response->has_value());
  Message answer = Reply(Topic::kRpc, rpc_action::kResponse, "add");
  answer.data = "3";
  routed_[2].client->Send(answer);
  routed_[2].client->Send(answer);  // a second reply changes nothing
  ASSERT_TRUE(response->has_value());
  EXPECT_EQ((*response)->status, 200);
  EXPECT_EQ(
      (*response)->body,
      R"({"result":"SUCCESS","body":[{"version":3,"data":{"x":1},"success":true},{"success":true},)"
      R"({"data":3,"success":true}]})"
      "\r\n\r\n");
  EXPECT_EQ((*response)->headers.at(0),
            (std::pair<std::string, std::string>{"Access-Control-Allow-Origin", "*"}));
  EXPECT_FALSE(routed_[0].client->connected());  // answered: handlers may drop it
}

TEST_F(ApiEndpointTest, MessagesOnTheSameRecordRunInBatchOrder) {
  auto response = Post("/api", R"({"body":[
      {"topic":"record","action":"write","recordName":"r","data":{"v":1}},
      {"topic":"record","action":"read","recordName":"r"},
      {"topic":"record","action":"head","recordName":"other"}]})");
  // The read of r waits for the write of r; "other" runs at once.
  ASSERT_EQ(routed_.size(), 2u);
  EXPECT_EQ(routed_[0].msg.action, ra::kCreateAndUpdate);
  EXPECT_EQ(routed_[1].msg.action, ra::kHead);
  routed_[0].client->Send(Reply(Topic::kRecord, ra::kWriteAcknowledgement, "r"));
  ASSERT_EQ(routed_.size(), 3u);
  EXPECT_EQ(routed_[2].msg.action, ra::kRead);
  EXPECT_EQ(routed_[2].client->user_id(), "open");
  EXPECT_EQ(logins_, (std::vector<std::string>{"{}"}));  // no auth data: the chain gets {}
}

TEST_F(ApiEndpointTest, UnansweredMessagesTimeOut) {
  auto response = Post("/api", R"({"token":"good","body":[
      {"topic":"record","action":"head","recordName":"a"},
      {"topic":"record","action":"head","recordName":"b"}]})");
  Message head = Reply(Topic::kRecord, ra::kHeadResponse, "a");
  head.version = 1;
  routed_[0].client->Send(head);
  loop_.Advance(std::chrono::milliseconds(999));
  EXPECT_FALSE(response->has_value());
  loop_.Advance(std::chrono::milliseconds(1));
  ASSERT_TRUE(response->has_value());
  EXPECT_EQ((*response)->body,
            R"({"result":"PARTIAL_SUCCESS","body":[{"version":1,"success":true},)"
            R"({"success":false,"error":"HTTP_REQUEST_TIMEOUT"}]})"
            "\r\n\r\n");
  routed_[1].client->Send(head);  // too late: nothing happens
  EXPECT_EQ(logins_, (std::vector<std::string>{R"({"token":"good"})"}));
}

TEST_F(ApiEndpointTest, RequestErrors) {
  auto status = [&](const std::string& body, const std::string& type = "application/json") {
    auto r = Post("/api", body, type);
    return r->has_value() ? std::to_string((*r)->status) + " " + (*r)->body
                          : std::string("pending");
  };
  EXPECT_EQ(
      status("{}", "text/plain"),
      "415 Invalid \"Content-Type\" header. Supported media types: \"application/json\"\r\n\r\n");
  EXPECT_EQ(status("{nope"),
            "400 Failed to parse body of request: Missing a name for object member.\r\n\r\n");
  EXPECT_EQ(
      status(R"({"body":[]})"),
      "400 Invalid message: the \"body\" parameter must be a non-empty array of Objects.\r\n\r\n");
  EXPECT_EQ(
      status(R"({"body":[1]})"),
      "400 Invalid message: the \"body\" parameter must be a non-empty array of Objects.\r\n\r\n");
  EXPECT_EQ(
      status("null"),
      "400 Invalid message: the \"body\" parameter must be a non-empty array of Objects.\r\n\r\n");
  EXPECT_EQ(status(R"({"body":[{"topic":"event","action":"emit","eventName":"e"},{"topic":"x"}]})"),
            "400 Failed to parse JIF object at index 1: property 'action' is required.\r\n\r\n");
  EXPECT_EQ(status(R"({"token":"bad","body":[{"topic":"event","action":"emit","eventName":"e"}]})"),
            "401 Unsuccessful authentication attempt.\r\n\r\n");
  EXPECT_EQ(
      status(R"({"authData":"alice","body":[{"topic":"event","action":"emit","eventName":"e"}]})"),
      "400 Invalid message: \"authData\" must be an object.\r\n\r\n");
  EXPECT_TRUE(routed_.empty());  // nothing bad reached the server

  std::optional<HttpResponse> get;
  EXPECT_TRUE(api_->Handle({"GET", "/api", "", "", "", ""}, [&](HttpResponse r) { get = r; }));
  EXPECT_EQ(get->status, 400);
  EXPECT_FALSE(api_->Handle({"GET", "/metrics", "", "", "", ""}, [](HttpResponse) {}));
}

TEST_F(ApiEndpointTest, AuthEndpointAndTooBigBatches) {
  auto ok = Post("/api/auth", R"({"username":"alice"})");
  EXPECT_EQ((*ok)->status, 200);
  EXPECT_EQ((*ok)->body, R"({"clientData":{"c":1}})"
                         "\r\n\r\n");
  auto refused = Post("/api/auth", R"({"password":"x"})");
  EXPECT_EQ((*refused)->status, 401);
  EXPECT_EQ((*refused)->body, "Invalid authentication data.\r\n\r\n");
  EXPECT_EQ((*Post("/api/auth", "[]"))->status, 400);

  ApiOptions options;
  options.max_batch = 2;
  options.allow_all_origins = false;
  options.origins = {"https://app.example"};
  Make(options);
  std::string three =
      R"({"body":[{"topic":"presence","action":"query"},{"topic":"presence","action":"query"},)"
      R"({"topic":"presence","action":"query"}]})";
  auto big = Post("/api", three);
  EXPECT_EQ((*big)->status, 400);
  EXPECT_EQ((*big)->body, "Too many messages: at most 2 per request.\r\n\r\n");
  EXPECT_EQ((*big)->headers,
            (std::vector<std::pair<std::string, std::string>>{{"Vary", "Origin"}}));
}

}  // namespace
}  // namespace strata::http_api

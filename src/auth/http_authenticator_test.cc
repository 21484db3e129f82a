#include "auth/http_authenticator.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <future>
#include <mutex>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace strata::auth {
namespace {

// A real HTTP server on 127.0.0.1 that answers each request with the next scripted reply and
// keeps what it was sent. A reply with delay_ms sleeps first (a hung webhook).
class Webhook {
 public:
  struct Reply {
    int status = 200;
    std::string content_type = "application/json";
    std::string body;
    int delay_ms = 0;
  };

  explicit Webhook(std::vector<Reply> replies) : replies_(std::move(replies)) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    listen(fd_, 16);
    socklen_t len = sizeof addr;
    getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { Serve(); });
  }
  ~Webhook() {
    stopping_ = true;
    shutdown(fd_, SHUT_RDWR);
    close(fd_);
    thread_.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/login"; }
  std::vector<std::string> requests() {
    std::lock_guard lock(mu_);
    return requests_;
  }

 private:
  void Serve() {
    for (size_t i = 0; !stopping_; ++i) {
      int client = accept(fd_, nullptr, nullptr);
      if (client < 0) return;
      std::string request;
      char buf[4096];
      // Headers, then Content-Length bytes of body.
      for (;;) {
        size_t head_end = request.find("\r\n\r\n");
        if (head_end != std::string::npos) {
          size_t cl = request.find("Content-Length: ");
          size_t length = cl == std::string::npos ? 0 : std::stoul(request.substr(cl + 16));
          if (request.size() >= head_end + 4 + length) break;
        }
        ssize_t n = read(client, buf, sizeof buf);
        if (n <= 0) break;
        request.append(buf, static_cast<size_t>(n));
      }
      {
        std::lock_guard lock(mu_);
        requests_.push_back(request);
      }
      Reply reply = i < replies_.size() ? replies_[i] : replies_.back();
      if (reply.delay_ms) std::this_thread::sleep_for(std::chrono::milliseconds(reply.delay_ms));
      std::string response = "HTTP/1.1 " + std::to_string(reply.status) +
                             " X\r\nContent-Type: " + reply.content_type +
                             "\r\nContent-Length: " + std::to_string(reply.body.size()) +
                             "\r\nConnection: close\r\n\r\n" + reply.body;
      (void)!write(client, response.data(), response.size());
      close(client);
    }
  }

  std::vector<Reply> replies_;
  int fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stopping_{false};
  std::mutex mu_;
  std::vector<std::string> requests_;
  std::thread thread_;
};

AuthOutcome Login(Authenticator& auth, const std::string& data) {
  std::promise<AuthOutcome> result;
  auth.Authenticate({data, "127.0.0.1:4242"},
                    [&](AuthOutcome o) { result.set_value(std::move(o)); });
  return result.get_future().get();
}

std::unique_ptr<HttpAuthenticator> Make(const std::string& url, const std::string& extra = "") {
  auto made = HttpAuthenticator::Create(R"({"endpointUrl":")" + url +
                                        R"(","permittedStatusCodes":[200],"requestTimeout":300)" +
                                        extra + "}");
  EXPECT_TRUE(made.ok()) << made.status().ToString();
  return made.ok() ? std::move(made).value() : nullptr;
}

using V = AuthOutcome::Verdict;

TEST(HttpAuthenticatorTest, ObjectBodyGivesIdAndData) {
  Webhook hook(
      {{200, "application/json",
        R"({"id":"alice","clientData":{"theme":"dark"},"serverData":{"role":"admin"},"token":"tk"})"}});
  auto auth = Make(hook.url(), R"(,"promoteToHeader":["token"])");
  AuthOutcome o = Login(*auth, R"({"username":"alice","token":"t0k"})");
  EXPECT_EQ(o.verdict, V::kAccepted);
  EXPECT_EQ(o.id, "alice");
  EXPECT_EQ(o.client_data, R"({"theme":"dark"})");
  EXPECT_EQ(o.server_data, R"({"role":"admin"})");
  EXPECT_EQ(o.token, "tk");
  std::string request = hook.requests().at(0);
  EXPECT_EQ(request.rfind("POST /login HTTP/1.1\r\n", 0), 0u) << request;
  EXPECT_NE(request.find("\r\ntoken: t0k\r\n"), std::string::npos) << request;
  EXPECT_NE(
      request.find(
          R"({"connectionData":{"remoteAddress":"127.0.0.1:4242"},"authData":{"username":"alice","token":"t0k"}})"),
      std::string::npos)
      << request;
}

TEST(HttpAuthenticatorTest, TextBodyIsTheUserId) {
  Webhook hook({{200, "text/plain", "bob"}});
  auto auth = Make(hook.url());
  AuthOutcome o = Login(*auth, "{}");
  EXPECT_EQ(o.verdict, V::kAccepted);
  EXPECT_EQ(o.id, "bob");
  EXPECT_FALSE(o.client_data);
}

TEST(HttpAuthenticatorTest, AcceptedWithoutIdIsRejected) {
  Webhook hook({{200, "application/json", R"({"clientData":{}})"}});
  auto auth = Make(hook.url());
  AuthOutcome o = Login(*auth, "{}");
  EXPECT_EQ(o.verdict, V::kRejected);
  EXPECT_EQ(o.client_data, R"({"error":"auth webhook returned no user id"})");
}

TEST(HttpAuthenticatorTest, OtherStatusRejectsWithTheBody) {
  Webhook hook({{401, "text/plain", "bad password"},
                {403, "application/json", R"({"clientData":{"why":"banned"}})"},
                {401, "text/plain", ""}});
  auto auth = Make(hook.url());
  AuthOutcome text = Login(*auth, "{}");
  EXPECT_EQ(text.verdict, V::kRejected);
  EXPECT_EQ(text.client_data, R"({"error":"bad password"})");
  AuthOutcome object = Login(*auth, "{}");
  EXPECT_EQ(object.client_data, R"({"why":"banned"})");
  EXPECT_FALSE(Login(*auth, "{}").client_data);

  Webhook quiet_hook({{401, "text/plain", "no"}});
  auto quiet = Make(quiet_hook.url(), R"(,"reportInvalidParameters":false)");
  EXPECT_EQ(Login(*quiet, "{}").verdict, V::kNotMine);
}

TEST(HttpAuthenticatorTest, RetriesThenSucceeds) {
  Webhook hook({{504, "text/plain", "gateway"},
                {504, "text/plain", "gateway"},
                {200, "text/plain", "carol"}});
  auto auth = Make(hook.url(), R"(,"retryStatusCodes":[504],"retryAttempts":3,"retryInterval":10)");
  AuthOutcome o = Login(*auth, "{}");
  EXPECT_EQ(o.verdict, V::kAccepted);
  EXPECT_EQ(o.id, "carol");
  EXPECT_EQ(hook.requests().size(), 3u);
}

TEST(HttpAuthenticatorTest, RetriesAreBounded) {
  Webhook hook({{504, "text/plain", ""}});
  auto auth = Make(hook.url(), R"(,"retryStatusCodes":[504],"retryAttempts":2,"retryInterval":10)");
  AuthOutcome o = Login(*auth, "{}");
  EXPECT_EQ(o.verdict, V::kRejected);
  EXPECT_EQ(o.client_data, R"({"error":"AUTH_RETRY_ATTEMPTS_EXCEEDED"})");
  EXPECT_EQ(hook.requests().size(), 3u);  // the first request and 2 retries
}

TEST(HttpAuthenticatorTest, HungWebhookTimesOut) {
  Webhook hook({{200, "text/plain", "late", 3000}});  // 10x the requestTimeout
  auto auth = Make(hook.url());
  AuthOutcome o = Login(*auth, "{}");
  EXPECT_EQ(o.verdict, V::kRejected);
  EXPECT_EQ(o.client_data, R"({"error":"AUTH_RETRY_ATTEMPTS_EXCEEDED"})");
}

TEST(HttpAuthenticatorTest, NoServerListening) {
  uint16_t port;
  {
    Webhook gone({{200, "text/plain", "x"}});
    port = static_cast<uint16_t>(std::stoi(gone.url().substr(17)));
  }
  auto auth = Make("http://127.0.0.1:" + std::to_string(port) + "/x");
  EXPECT_EQ(Login(*auth, "{}").verdict, V::kRejected);
}

TEST(HttpAuthenticatorTest, BadOptions) {
  auto error = [](const std::string& options) {
    auto parsed = HttpAuthenticator::ParseOptions(options);
    return parsed.ok() ? std::string() : std::string(parsed.status().message());
  };
  EXPECT_EQ(error("{}"), "endpointUrl is required (the webhook's http:// URL)");
  EXPECT_EQ(
      error(R"({"endpointUrl":"https://x/y","permittedStatusCodes":[200],"requestTimeout":1})"),
      "https URLs are not supported yet: https://x/y");
  EXPECT_EQ(error(R"({"endpointUrl":"ftp://x","permittedStatusCodes":[200],"requestTimeout":1})"),
            "expected an http:// URL, got 'ftp://x'");
  EXPECT_EQ(
      error(R"({"endpointUrl":"http://x:99999/","permittedStatusCodes":[200],"requestTimeout":1})"),
      "bad port in URL 'http://x:99999/'");
  EXPECT_EQ(error(R"({"endpointUrl":"http://x","requestTimeout":1})"),
            "permittedStatusCodes is required");
  EXPECT_EQ(
      error(R"({"endpointUrl":"http://x","permittedStatusCodes":["200"],"requestTimeout":1})"),
      "permittedStatusCodes must be a list of status codes");
  EXPECT_EQ(error(R"({"endpointUrl":"http://x","permittedStatusCodes":[200]})"),
            "requestTimeout is required");
  EXPECT_EQ(
      error(
          R"({"endpointUrl":"http://x","permittedStatusCodes":[200],"requestTimeout":1,"promoteToHeader":"token"})"),
      "promoteToHeader must be a list of field names");
  auto ok = HttpAuthenticator::ParseOptions(
      R"({"endpointUrl":"http://h:81","permittedStatusCodes":[200],"requestTimeout":5})");
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->endpoint.host, "h");
  EXPECT_EQ(ok->endpoint.port, 81);
  EXPECT_EQ(ok->endpoint.target, "/");
  EXPECT_EQ(ok->retry_attempts, 0);
}

}  // namespace
}  // namespace strata::auth

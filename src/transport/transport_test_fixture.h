#pragma once
// The fixture of the Transport tests (transport_test.cc, transport_close_test.cc): a Transport
// with two loops and endpoints of every kind, a handler that records every callback, and a Beast
// WebSocket/HTTP client. Waits are bounded by a generous guard (a hang fails instead of
// blocking); nothing asserts on timing. Test-only: Beast is fine here.

#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <gtest/gtest.h>

#include "transport/event_loop.h"
#include "transport/forwarding_listener.h"
#include "transport/transport.h"

namespace strata::transport_testing {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using asio::ip::tcp;
using boost::system::error_code;

constexpr auto kGuard = std::chrono::seconds(20);

struct Received {
  uint64_t connection_id;
  std::string payload;
  bool binary;
};

// Records every callback (each connection's listener forwards here); echoes each message back.
// Thread-safe.
class RecordingHandler : public ConnectionHandler {
 public:
  std::shared_ptr<ConnectionListener> OnOpen(const std::shared_ptr<Connection>& conn) override {
    EXPECT_TRUE(conn->executor().RunningInThisThread());
    std::lock_guard<std::mutex> lock(mutex_);
    opened_.push_back(conn);
    ++open_count_[conn->id()];
    changed_.notify_all();
    return std::make_shared<ForwardingListener<RecordingHandler>>(*this, conn);
  }
  void OnMessage(const std::shared_ptr<Connection>& conn, std::string_view payload, bool binary) {
    EXPECT_TRUE(conn->executor().RunningInThisThread());
    {
      std::lock_guard<std::mutex> lock(mutex_);
      EXPECT_EQ(open_count_[conn->id()], 1);
      EXPECT_EQ(close_count_[conn->id()], 0);
      messages_.push_back({conn->id(), std::string(payload), binary});
      changed_.notify_all();
    }
    conn->Send(std::make_shared<const std::string>(payload));
  }
  void OnClose(const std::shared_ptr<Connection>& conn) {
    EXPECT_TRUE(conn->executor().RunningInThisThread());
    std::lock_guard<std::mutex> lock(mutex_);
    ++close_count_[conn->id()];
    changed_.notify_all();
  }

  // Waits (bounded by kGuard) until pred() holds; pred runs under the lock.
  bool WaitUntil(const std::function<bool()>& pred) {
    std::unique_lock<std::mutex> lock(mutex_);
    return changed_.wait_for(lock, kGuard, pred);
  }
  std::shared_ptr<Connection> WaitForOpen(size_t index) {
    std::shared_ptr<Connection> conn;
    WaitUntil([&] { return opened_.size() > index; });
    std::lock_guard<std::mutex> lock(mutex_);
    if (opened_.size() > index) conn = opened_[index];
    return conn;
  }
  bool WaitForClose(uint64_t id) {
    return WaitUntil([&] { return close_count_[id] >= 1; });
  }
  size_t open_connections() {
    std::lock_guard<std::mutex> lock(mutex_);
    return opened_.size();
  }
  std::vector<Received> messages() {
    std::lock_guard<std::mutex> lock(mutex_);
    return messages_;
  }
  // Every opened connection got exactly one OnOpen and one OnClose.
  void ExpectOpenAndCloseOnceEach() {
    std::lock_guard<std::mutex> lock(mutex_);
    for (const auto& conn : opened_) {
      EXPECT_EQ(open_count_[conn->id()], 1) << conn->id();
      EXPECT_EQ(close_count_[conn->id()], 1) << conn->id();
    }
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<std::shared_ptr<Connection>> opened_;
  std::map<uint64_t, int> open_count_;
  std::map<uint64_t, int> close_count_;
  std::vector<Received> messages_;
};

// Refuses every connection: OnOpen returns no listener. Thread-safe.
class RefusingHandler : public ConnectionHandler {
 public:
  std::shared_ptr<ConnectionListener> OnOpen(const std::shared_ptr<Connection>& conn) override {
    std::lock_guard<std::mutex> lock(mutex_);
    refused_.push_back(conn);
    return nullptr;
  }
  std::vector<std::shared_ptr<Connection>> refused() {
    std::lock_guard<std::mutex> lock(mutex_);
    return refused_;
  }

 private:
  std::mutex mutex_;
  std::vector<std::shared_ptr<Connection>> refused_;
};

using WsClient = websocket::stream<tcp::socket>;

class TransportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (auto& loop : loops_) loop.Start();
    TransportOptions options;
    options.host = "127.0.0.1";
    options.port = 0;
    options.endpoints.push_back(Endpoint("/deepstream"));
    EndpointBinding small = Endpoint("/small");
    small.max_message_size = 1024;
    options.endpoints.push_back(small);
    EndpointBinding idle = Endpoint("/idle");
    idle.idle_timeout = std::chrono::milliseconds(200);
    options.endpoints.push_back(idle);
    EndpointBinding slow = Endpoint("/slow");
    slow.max_outgoing_queue_bytes = 1 << 20;
    options.endpoints.push_back(slow);
    EndpointBinding text = Endpoint("/text");
    text.binary = false;
    options.endpoints.push_back(text);
    EndpointBinding refused = Endpoint("/refused");
    refused.handler = &refusing_;
    options.endpoints.push_back(refused);
    // Answers GET /answer from another thread, as a handler gathering data from other loops does.
    options.http_handler = [](const HttpRequest& request,
                              std::function<void(HttpResponse)> respond) {
      if (request.method != "GET" || request.target != "/answer") return false;
      std::thread([respond = std::move(respond)] {
        respond(HttpResponse{200, "text/plain", "forty-two"});
      }).detach();
      return true;
    };
    std::vector<EventLoop*> loops = {&loops_[0], &loops_[1]};
    transport_ = std::make_unique<Transport>(options, loops);
    ASSERT_TRUE(transport_->Listen().ok());
    ASSERT_NE(transport_->port(), 0);
  }

  void TearDown() override {
    transport_->Stop();
    handler_.ExpectOpenAndCloseOnceEach();
    transport_.reset();
    for (auto& loop : loops_) loop.Stop();
  }

  EndpointBinding Endpoint(std::string path) {
    EndpointBinding binding;
    binding.path = std::move(path);
    binding.handler = &handler_;
    binding.idle_timeout = std::chrono::milliseconds(0);
    return binding;
  }

  tcp::endpoint ServerEndpoint() const {
    return tcp::endpoint(asio::ip::make_address("127.0.0.1"), transport_->port());
  }

  // Connects and upgrades; returns null and sets *ec when the handshake fails.
  std::unique_ptr<WsClient> Connect(const std::string& path, error_code* ec,
                                    const std::string& forwarded_for = "") {
    auto ws = std::make_unique<WsClient>(client_io_);
    ws->next_layer().connect(ServerEndpoint(), *ec);
    if (*ec) return nullptr;
    if (!forwarded_for.empty()) {
      ws->set_option(websocket::stream_base::decorator([forwarded_for](websocket::request_type& r) {
        r.set("X-Forwarded-For", forwarded_for);
      }));
    }
    ws->handshake("127.0.0.1", path, *ec);
    if (*ec) return nullptr;
    ws->auto_fragment(false);
    return ws;
  }

  std::unique_ptr<WsClient> MustConnect(const std::string& path) {
    error_code ec;
    auto ws = Connect(path, &ec);
    EXPECT_FALSE(ec) << path << ": " << ec.message();
    return ws;
  }

  // Reads until the server closes; returns the error (websocket::error::closed normally).
  static error_code ReadUntilClosed(WsClient& ws) {
    beast::flat_buffer buffer;
    error_code ec;
    while (!ec) {
      buffer.clear();
      ws.read(buffer, ec);
    }
    return ec;
  }

  http::response<http::string_body> HttpGet(tcp::socket& socket, const std::string& target) {
    http::request<http::empty_body> request(http::verb::get, target, 11);
    request.set(http::field::host, "127.0.0.1");
    http::write(socket, request);
    http::response<http::string_body> response;
    http::read(socket, http_buffer_, response);
    return response;
  }

  EventLoop loops_[2];
  RecordingHandler handler_;
  RefusingHandler refusing_;
  std::unique_ptr<Transport> transport_;
  asio::io_context client_io_;
  beast::flat_buffer http_buffer_;
};

}  // namespace strata::transport_testing

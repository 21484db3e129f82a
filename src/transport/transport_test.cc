// End-to-end tests of Transport + EventLoop over 127.0.0.1 with a Beast WebSocket/HTTP client.
// Waits are bounded by a generous guard (a hang fails instead of blocking); nothing asserts on
// timing.

#include "transport/transport.h"

#include <gtest/gtest.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "transport/event_loop.h"

namespace strata {
namespace {

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
    return std::make_shared<Listener>(*this, conn);
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
  class Listener : public ConnectionListener {
   public:
    Listener(RecordingHandler& handler, std::shared_ptr<Connection> conn)
        : handler_(handler), conn_(std::move(conn)) {}
    void OnMessage(std::string_view payload, bool binary) override {
      handler_.OnMessage(conn_, payload, binary);
    }
    void OnClose() override { handler_.OnClose(conn_); }

   private:
    RecordingHandler& handler_;
    const std::shared_ptr<Connection> conn_;
  };

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

TEST_F(TransportTest, BinaryEchoRoundTrip) {
  auto ws = MustConnect("/deepstream");
  ASSERT_TRUE(ws);
  const std::string payload("hello\0world\xff", 12);
  ws->binary(true);
  ws->write(asio::buffer(payload));
  beast::flat_buffer buffer;
  ws->read(buffer);
  EXPECT_TRUE(ws->got_binary());
  EXPECT_EQ(beast::buffers_to_string(buffer.data()), payload);
  auto messages = handler_.messages();
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_TRUE(messages[0].binary);

  auto conn = handler_.WaitForOpen(0);
  ws->close(websocket::close_code::normal);  // completes after the server's reply
  EXPECT_TRUE(handler_.WaitForClose(conn->id()));
}

TEST_F(TransportTest, TextFrameArrivesAsText) {
  auto ws = MustConnect("/deepstream");
  ASSERT_TRUE(ws);
  ws->text(true);
  ws->write(asio::buffer(std::string("{\"a\":1}")));
  beast::flat_buffer buffer;
  ws->read(buffer);
  EXPECT_TRUE(ws->got_binary());  // the endpoint answers in binary frames
  auto messages = handler_.messages();
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_FALSE(messages[0].binary);
  EXPECT_EQ(messages[0].payload, "{\"a\":1}");
}

TEST_F(TransportTest, TextEndpointSendsTextFrames) {
  auto ws = MustConnect("/text");
  ASSERT_TRUE(ws);
  ws->write(asio::buffer(std::string("abc")));
  beast::flat_buffer buffer;
  ws->read(buffer);
  EXPECT_TRUE(ws->got_text());
  EXPECT_EQ(beast::buffers_to_string(buffer.data()), "abc");
}

TEST_F(TransportTest, ClientMessagesAreDeliveredInOrder) {
  auto ws = MustConnect("/deepstream");
  ASSERT_TRUE(ws);
  ws->binary(true);
  for (int i = 0; i < 200; ++i) ws->write(asio::buffer("c" + std::to_string(i)));
  for (int i = 0; i < 200; ++i) {
    beast::flat_buffer buffer;
    ws->read(buffer);
    ASSERT_EQ(beast::buffers_to_string(buffer.data()), "c" + std::to_string(i));
  }
}

TEST_F(TransportTest, UpgradeNeedsExactPath) {
  for (const char* path : {"/deepstream?x=1", "/deepstream/", "/other", "/"}) {
    SCOPED_TRACE(path);
    error_code ec;
    auto ws = Connect(path, &ec);
    EXPECT_TRUE(ec);
    EXPECT_FALSE(ws);
  }
  EXPECT_EQ(handler_.open_connections(), 0u);
  EXPECT_TRUE(MustConnect("/deepstream"));
}

TEST_F(TransportTest, HealthCheckAndNotFound) {
  tcp::socket socket(client_io_);
  socket.connect(ServerEndpoint());
  auto health = HttpGet(socket, "/health-check");
  EXPECT_EQ(health.result(), http::status::ok);
  EXPECT_EQ(health[http::field::content_type], "application/json");
  EXPECT_EQ(health.body(), "");
  // Same connection (HTTP/1.1 keep-alive).
  auto missing = HttpGet(socket, "/nothing-here");
  EXPECT_EQ(missing.result(), http::status::not_found);
  EXPECT_EQ(missing.body(), "Not found");
  // A plain GET on a WebSocket path is not an upgrade.
  auto plain = HttpGet(socket, "/deepstream");
  EXPECT_EQ(plain.result(), http::status::not_found);
}

TEST_F(TransportTest, HttpHandlerAnswersItsOwnRequestsFromAnyThread) {
  tcp::socket socket(client_io_);
  socket.connect(ServerEndpoint());
  auto answer = HttpGet(socket, "/answer");
  EXPECT_EQ(answer.result(), http::status::ok);
  EXPECT_EQ(answer[http::field::content_type], "text/plain");
  EXPECT_EQ(answer.body(), "forty-two");
  // Requests the handler declines still get 404, on the same kept-alive connection.
  EXPECT_EQ(HttpGet(socket, "/other").result(), http::status::not_found);
}

TEST_F(TransportTest, OversizedMessageClosesWith1009) {
  auto ws = MustConnect("/small");
  ASSERT_TRUE(ws);
  auto conn = handler_.WaitForOpen(0);
  ws->binary(true);
  ws->write(asio::buffer(std::string(1024, 'k')));  // exactly the limit: fine
  beast::flat_buffer buffer;
  ws->read(buffer);
  EXPECT_EQ(buffer.size(), 1024u);
  ws->write(asio::buffer(std::string(2000, 'x')));
  EXPECT_EQ(ReadUntilClosed(*ws), websocket::error::closed);
  EXPECT_EQ(ws->reason().code, websocket::close_code::too_big);
  EXPECT_TRUE(handler_.WaitForClose(conn->id()));
  EXPECT_EQ(handler_.messages().size(), 1u);
}

TEST_F(TransportTest, ThousandServerMessagesFromAnotherThreadArriveInOrder) {
  auto ws = MustConnect("/deepstream");
  ASSERT_TRUE(ws);
  auto conn = handler_.WaitForOpen(0);
  ASSERT_TRUE(conn);
  std::thread sender([conn] {
    for (int i = 0; i < 1000; ++i) {
      EXPECT_EQ(conn->Send(std::make_shared<const std::string>("m" + std::to_string(i))),
                SendStatus::kSuccess);
    }
  });
  for (int i = 0; i < 1000; ++i) {
    beast::flat_buffer buffer;
    ws->read(buffer);
    ASSERT_EQ(beast::buffers_to_string(buffer.data()), "m" + std::to_string(i));
  }
  sender.join();
}

// A sender that keeps the queue busy while the connection writes: many batches, some written
// in later loop turns (a busy connection yields its loop), all in order.
TEST_F(TransportTest, StreamFedWhileWritingArrivesInOrder) {
  auto ws = MustConnect("/deepstream");
  ASSERT_TRUE(ws);
  auto conn = handler_.WaitForOpen(0);
  ASSERT_TRUE(conn);
  constexpr int kCount = 100000;
  std::thread sender([conn] {
    for (int i = 0; i < kCount; ++i) {
      EXPECT_NE(conn->Send(std::make_shared<const std::string>("s" + std::to_string(i))),
                SendStatus::kDropped);
    }
  });
  beast::flat_buffer buffer;
  for (int i = 0; i < kCount; ++i) {
    buffer.clear();
    ws->read(buffer);
    ASSERT_EQ(beast::buffers_to_string(buffer.data()), "s" + std::to_string(i));
  }
  sender.join();
}

TEST_F(TransportTest, SharedFrameGoesToManyConnections) {
  auto a = MustConnect("/deepstream");
  auto b = MustConnect("/deepstream");
  ASSERT_TRUE(a && b);
  auto frame = std::make_shared<const std::string>(std::string(70000, 'b'));  // 64-bit length
  handler_.WaitForOpen(0)->Send(frame);
  handler_.WaitForOpen(1)->Send(frame);
  for (auto* ws : {a.get(), b.get()}) {
    beast::flat_buffer buffer;
    ws->read(buffer);
    EXPECT_EQ(beast::buffers_to_string(buffer.data()), *frame);
  }
}

TEST_F(TransportTest, ServerCloseWithoutCode) {
  auto ws = MustConnect("/deepstream");
  ASSERT_TRUE(ws);
  auto conn = handler_.WaitForOpen(0);
  conn->Send(std::make_shared<const std::string>("last words"));
  conn->Close();
  conn->Close();  // idempotent
  EXPECT_EQ(conn->Send(std::make_shared<const std::string>("too late")), SendStatus::kDropped);
  beast::flat_buffer buffer;
  ws->read(buffer);
  EXPECT_EQ(beast::buffers_to_string(buffer.data()), "last words");
  EXPECT_EQ(ReadUntilClosed(*ws), websocket::error::closed);
  EXPECT_EQ(ws->reason().code, websocket::close_code::none);  // the peer sees 1005
  EXPECT_TRUE(handler_.WaitForClose(conn->id()));
}

TEST_F(TransportTest, ServerCloseWithCode) {
  auto ws = MustConnect("/deepstream");
  ASSERT_TRUE(ws);
  auto conn = handler_.WaitForOpen(0);
  conn->Close(4000);
  EXPECT_EQ(ReadUntilClosed(*ws), websocket::error::closed);
  EXPECT_EQ(ws->reason().code, 4000);
  EXPECT_TRUE(handler_.WaitForClose(conn->id()));
}

// No listener from OnOpen: the server closes the connection at once, with a close frame without
// code, and no message reaches anyone.
TEST_F(TransportTest, ConnectionWithoutListenerIsClosed) {
  auto ws = MustConnect("/refused");
  ASSERT_TRUE(ws);
  error_code write_ec;  // not checked: the server may already have closed
  ws->write(asio::buffer(std::string("ignored")), write_ec);
  EXPECT_EQ(ReadUntilClosed(*ws), websocket::error::closed);
  EXPECT_EQ(ws->reason().code, websocket::close_code::none);
  auto refused = refusing_.refused();
  ASSERT_EQ(refused.size(), 1u);
  EXPECT_EQ(refused[0]->Send(std::make_shared<const std::string>("x")), SendStatus::kDropped);
  EXPECT_EQ(handler_.open_connections(), 0u);
  EXPECT_TRUE(handler_.messages().empty());
}

TEST_F(TransportTest, ClientDisconnectWithoutCloseFrame) {
  auto ws = MustConnect("/deepstream");
  ASSERT_TRUE(ws);
  auto conn = handler_.WaitForOpen(0);
  ws->next_layer().close();
  EXPECT_TRUE(handler_.WaitForClose(conn->id()));
  EXPECT_EQ(conn->Send(std::make_shared<const std::string>("x")), SendStatus::kDropped);
}

TEST_F(TransportTest, PingIsAnsweredWithPong) {
  auto ws = MustConnect("/deepstream");
  ASSERT_TRUE(ws);
  std::string pong;
  ws->control_callback([&](websocket::frame_type kind, beast::string_view payload) {
    if (kind == websocket::frame_type::pong) pong = std::string(payload);
  });
  ws->ping("abc");
  ws->write(asio::buffer(std::string("after ping")));
  beast::flat_buffer buffer;
  ws->read(buffer);  // the pong was queued before the echo, so it has been seen
  EXPECT_EQ(pong, "abc");
  EXPECT_EQ(beast::buffers_to_string(buffer.data()), "after ping");
}

TEST_F(TransportTest, StopClosesLiveConnections) {
  auto a = MustConnect("/deepstream");
  auto b = MustConnect("/text");
  ASSERT_TRUE(a && b);
  auto conn_a = handler_.WaitForOpen(0);
  auto conn_b = handler_.WaitForOpen(1);
  transport_->Stop();  // returns after both OnClose calls: no waiting here
  handler_.ExpectOpenAndCloseOnceEach();
  EXPECT_TRUE(ReadUntilClosed(*a));
  EXPECT_TRUE(ReadUntilClosed(*b));
  EXPECT_EQ(conn_a->Send(std::make_shared<const std::string>("x")), SendStatus::kDropped);
  error_code ec;
  EXPECT_FALSE(Connect("/deepstream", &ec));
  EXPECT_TRUE(ec);
}

TEST_F(TransportTest, IdleConnectionIsClosed) {
  auto ws = MustConnect("/idle");
  ASSERT_TRUE(ws);
  auto conn = handler_.WaitForOpen(0);
  EXPECT_EQ(ReadUntilClosed(*ws), websocket::error::closed);
  EXPECT_EQ(ws->reason().code, websocket::close_code::none);
  EXPECT_TRUE(handler_.WaitForClose(conn->id()));
}

TEST_F(TransportTest, SlowConsumerIsDropped) {
  auto ws = MustConnect("/slow");  // never reads
  ASSERT_TRUE(ws);
  auto conn = handler_.WaitForOpen(0);
  auto frame = std::make_shared<const std::string>(std::string(64 * 1024, 's'));
  bool saw_backpressure = false;
  SendStatus status = SendStatus::kSuccess;
  for (int i = 0; i < 100000 && status != SendStatus::kDropped; ++i) {
    status = conn->Send(frame);
    saw_backpressure |= status == SendStatus::kBackpressure;
  }
  EXPECT_EQ(status, SendStatus::kDropped);
  EXPECT_TRUE(saw_backpressure);
  EXPECT_TRUE(handler_.WaitForClose(conn->id()));
}

// 20 MB queued while the client does not read fill the server's socket: the rest waits for
// writability and must still arrive whole and in order, wherever a short write cut the output
// (inside copied small frames or inside big frames sent from the shared payload).
TEST_F(TransportTest, BackloggedOutputArrivesIntactOnceTheClientReads) {
  auto ws = MustConnect("/deepstream");
  ASSERT_TRUE(ws);
  auto conn = handler_.WaitForOpen(0);
  std::vector<SharedFrame> frames;
  for (int i = 0; i < 300; ++i) {
    const size_t size = i % 3 == 0 ? 200000 : i % 3 == 1 ? 5000 : 100;
    std::string payload = std::to_string(i) + ":";
    payload.resize(size, static_cast<char>('a' + i % 26));
    frames.push_back(std::make_shared<const std::string>(std::move(payload)));
    ASSERT_NE(conn->Send(frames.back()), SendStatus::kDropped);
  }
  for (const SharedFrame& frame : frames) {
    beast::flat_buffer buffer;
    ws->read(buffer);
    ASSERT_EQ(beast::buffers_to_string(buffer.data()), *frame);
  }
}

TEST_F(TransportTest, RemoteAddress) {
  auto plain = MustConnect("/deepstream");
  error_code ec;
  auto forwarded = Connect("/deepstream", &ec, " 10.1.2.3, 192.168.0.1");
  ASSERT_FALSE(ec);
  auto first = handler_.WaitForOpen(0);
  auto second = handler_.WaitForOpen(1);
  const std::string local =
      "127.0.0.1:" + std::to_string(plain->next_layer().local_endpoint().port());
  EXPECT_EQ(first->remote_address(), local);
  EXPECT_EQ(second->remote_address(), "10.1.2.3");
  EXPECT_LT(first->id(), second->id());
  EXPECT_NE(&first->executor(), &second->executor());  // round-robin over the two loops
}

TEST_F(TransportTest, ListenOnBusyPortFails) {
  TransportOptions options;
  options.host = "127.0.0.1";
  options.port = transport_->port();
  Transport second(options, {&loops_[0]});
  Status status = second.Listen();
  EXPECT_EQ(status.code(), StatusCode::kUnavailable);
  EXPECT_EQ(status.message(), "cannot listen on 127.0.0.1:" + std::to_string(options.port) +
                                  ": Address already in use");
}

TEST(EventLoopTest, PostRunsInOrderOnTheLoopThread) {
  EventLoop loop;
  loop.Start();
  EXPECT_FALSE(loop.RunningInThisThread());
  std::mutex mutex;
  std::condition_variable done;
  std::vector<int> order;
  bool on_loop = true;
  for (int i = 0; i < 100; ++i) {
    loop.Post([&, i] {
      std::lock_guard<std::mutex> lock(mutex);
      on_loop &= loop.RunningInThisThread();
      order.push_back(i);
      done.notify_all();
    });
  }
  loop.PostAfter(std::chrono::milliseconds(1), [&] {
    std::lock_guard<std::mutex> lock(mutex);
    order.push_back(-1);
    done.notify_all();
  });
  std::unique_lock<std::mutex> lock(mutex);
  ASSERT_TRUE(done.wait_for(lock, kGuard, [&] { return order.size() == 101; }));
  EXPECT_TRUE(on_loop);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(order[i], i);
  EXPECT_EQ(order[100], -1);
  lock.unlock();
  loop.Stop();
  loop.Stop();  // idempotent
}

}  // namespace
}  // namespace strata

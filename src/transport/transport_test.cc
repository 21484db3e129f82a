// Transport: WebSocket messages both ways, HTTP requests, listening (see transport_test_fixture.h).

#include "transport/transport_test_fixture.h"

namespace strata::transport_testing {
namespace {

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

}  // namespace
}  // namespace strata::transport_testing

// Transport: how connections end: close frames from either side, no listener, lost clients,
// Transport::Stop, idle and slow clients (see transport_test_fixture.h).

#include "transport/transport_test_fixture.h"

namespace strata::transport_testing {
namespace {

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

}  // namespace
}  // namespace strata::transport_testing

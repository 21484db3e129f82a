// OutputQueue without a socket: the cap, the flush scheduling, the layout of a batch and the
// partial writes, checked against the bytes a client would read.

#include "transport/output_queue.h"

#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "transport/ws_frame.h"

namespace strata {
namespace {

SharedFrame Frame(std::string payload) {
  return std::make_shared<const std::string>(std::move(payload));
}

// The bytes of a binary data frame, as the client reads them.
std::string Wire(const std::string& payload) { return EncodeWsFrame(WsOpcode::kBinary, payload); }

OutputQueue::Options Gather(size_t max_bytes = 1 << 20) {
  return {.binary = true, .max_bytes = max_bytes, .layout = OutputQueue::Layout::kGather};
}

// What is left of the batch, in order.
std::string Unsent(const OutputQueue& queue) {
  std::string bytes;
  for (const iovec& iov : queue.unsent())
    bytes.append(static_cast<char*>(iov.iov_base), iov.iov_len);
  return bytes;
}

// The socket takes the whole batch.
void SendAll(OutputQueue& queue) { queue.ConsumeSent(Unsent(queue).size()); }

TEST(OutputQueueTest, CapAndBackpressure) {
  OutputQueue queue(Gather(100));
  OutputQueue::PushResult first = queue.PushData(Frame(std::string(40, 'a')));
  EXPECT_EQ(first.status, SendStatus::kSuccess);
  EXPECT_TRUE(first.schedule_flush);
  OutputQueue::PushResult second = queue.PushData(Frame(std::string(20, 'b')));
  EXPECT_EQ(second.status, SendStatus::kBackpressure);  // 60 > half the cap
  EXPECT_FALSE(second.schedule_flush);
  EXPECT_EQ(queue.PushData(Frame(std::string(40, 'c'))).status, SendStatus::kBackpressure);  // 100
  OutputQueue::PushResult over = queue.PushData(Frame("d"));
  EXPECT_EQ(over.status, SendStatus::kDropped);
  EXPECT_TRUE(over.overflowed);
  EXPECT_TRUE(queue.closed());
  OutputQueue::PushResult after = queue.PushData(Frame("e"));
  EXPECT_EQ(after.status, SendStatus::kDropped);
  EXPECT_FALSE(after.overflowed);  // only the frame that crossed the cap reports it
}

TEST(OutputQueueTest, BytesBeingWrittenCountAgainstTheCap) {
  OutputQueue queue(Gather(100));
  queue.PushData(Frame(std::string(60, 'a')));
  ASSERT_TRUE(queue.TakeBatch());
  EXPECT_TRUE(queue.PushData(Frame(std::string(41, 'b'))).overflowed);
}

TEST(OutputQueueTest, WrittenBytesAreCreditedAgainstTheCap) {
  OutputQueue queue(Gather(100));
  queue.PushData(Frame(std::string(60, 'a')));
  ASSERT_TRUE(queue.TakeBatch());
  SendAll(queue);
  queue.BatchWritten();
  EXPECT_EQ(queue.PushData(Frame(std::string(60, 'b'))).status, SendStatus::kBackpressure);
}

TEST(OutputQueueTest, NullFrameIsDropped) {
  OutputQueue queue(Gather());
  OutputQueue::PushResult result = queue.PushData(nullptr);
  EXPECT_EQ(result.status, SendStatus::kDropped);
  EXPECT_FALSE(result.schedule_flush);
  EXPECT_FALSE(queue.closed());
}

TEST(OutputQueueTest, NothingIsQueuedAfterTheCloseFrame) {
  OutputQueue queue(Gather());
  OutputQueue::PushResult close = queue.PushClose(std::nullopt);
  EXPECT_EQ(close.status, SendStatus::kSuccess);
  EXPECT_TRUE(close.schedule_flush);
  EXPECT_TRUE(queue.closed());
  OutputQueue::PushResult data = queue.PushData(Frame("late"));
  EXPECT_EQ(data.status, SendStatus::kDropped);
  EXPECT_FALSE(data.overflowed);
  EXPECT_EQ(queue.PushClose(1000).status, SendStatus::kDropped);  // one close frame only
  ASSERT_TRUE(queue.TakeBatch());
  EXPECT_EQ(Unsent(queue), EncodeWsCloseFrame(std::nullopt));
}

TEST(OutputQueueTest, ControlFramesAreQueuedUntilTheCloseFrame) {
  OutputQueue queue(Gather());
  const std::string pong = EncodeWsFrame(WsOpcode::kPong, "abc");
  EXPECT_EQ(queue.PushControl(pong).status, SendStatus::kSuccess);
  queue.PushClose(1000);
  EXPECT_EQ(queue.PushControl(pong).status, SendStatus::kDropped);
  ASSERT_TRUE(queue.TakeBatch());
  EXPECT_EQ(Unsent(queue), pong + EncodeWsCloseFrame(1000));
}

TEST(OutputQueueTest, FramesQueuedTogetherLeaveInOneBatch) {
  OutputQueue queue(Gather());
  EXPECT_TRUE(queue.PushData(Frame("a")).schedule_flush);
  EXPECT_FALSE(queue.PushData(Frame("bb")).schedule_flush);
  EXPECT_FALSE(queue.PushControl(EncodeWsFrame(WsOpcode::kPong, "")).schedule_flush);
  EXPECT_FALSE(queue.PushData(Frame("ccc")).schedule_flush);
  ASSERT_TRUE(queue.TakeBatch());
  EXPECT_EQ(queue.unsent().size(), 1u);  // all copied: one iovec
  EXPECT_EQ(Unsent(queue),
            Wire("a") + Wire("bb") + EncodeWsFrame(WsOpcode::kPong, "") + Wire("ccc"));
  SendAll(queue);
  OutputQueue::Written written = queue.BatchWritten();
  EXPECT_FALSE(written.next_batch);
  EXPECT_FALSE(written.close_frame);
  EXPECT_FALSE(queue.has_batch());
  EXPECT_TRUE(queue.PushData(Frame("d")).schedule_flush);  // idle again
}

TEST(OutputQueueTest, FramesQueuedDuringAWriteFormTheNextBatch) {
  OutputQueue queue(Gather());
  queue.PushData(Frame("first"));
  ASSERT_TRUE(queue.TakeBatch());
  EXPECT_FALSE(queue.PushData(Frame("second")).schedule_flush);  // the batch's end takes it
  EXPECT_FALSE(queue.PushData(Frame("third")).schedule_flush);
  EXPECT_EQ(Unsent(queue), Wire("first"));
  SendAll(queue);
  ASSERT_TRUE(queue.BatchWritten().next_batch);
  EXPECT_EQ(Unsent(queue), Wire("second") + Wire("third"));
  SendAll(queue);
  EXPECT_FALSE(queue.BatchWritten().next_batch);
}

TEST(OutputQueueTest, EmptyQueueGivesNoBatch) {
  OutputQueue queue(Gather());
  EXPECT_FALSE(queue.TakeBatch());
  EXPECT_FALSE(queue.has_batch());
}

TEST(OutputQueueTest, SmallPayloadsAreCopiedBigOnesSentFromTheFrame) {
  OutputQueue queue(Gather());
  SharedFrame small(Frame(std::string(100, 's')));
  SharedFrame limit(Frame(std::string(OutputQueue::kCopyLimit, 'l')));
  SharedFrame big(Frame(std::string(OutputQueue::kCopyLimit + 1, 'b')));
  for (const SharedFrame& frame : {small, limit, big, small}) queue.PushData(frame);
  ASSERT_TRUE(queue.TakeBatch());
  ASSERT_EQ(queue.unsent().size(), 3u);  // [small, limit, big's header], big, [small]
  EXPECT_EQ(queue.unsent()[1].iov_base, big->data());
  EXPECT_EQ(queue.unsent()[1].iov_len, big->size());
  EXPECT_EQ(Unsent(queue), Wire(*small) + Wire(*limit) + Wire(*big) + Wire(*small));
}

// A batch of three iovecs: copied bytes, a big payload sent from its frame, copied bytes.
class PartialWriteTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const SharedFrame& frame : {small_, big_, small_}) queue_.PushData(frame);
    ASSERT_TRUE(queue_.TakeBatch());
    ASSERT_EQ(queue_.unsent().size(), 3u);
    first_iov_ = queue_.unsent()[0].iov_len;
    expected_ = Wire(*small_) + Wire(*big_) + Wire(*small_);
  }

  OutputQueue queue_{Gather()};
  SharedFrame small_ = Frame(std::string(100, 's'));
  SharedFrame big_ = Frame(std::string(10000, 'b'));
  size_t first_iov_ = 0;
  std::string expected_;
};

TEST_F(PartialWriteTest, InsideAnIovec) {
  queue_.ConsumeSent(7);
  ASSERT_EQ(queue_.unsent().size(), 3u);
  EXPECT_EQ(queue_.unsent()[0].iov_len, first_iov_ - 7);
  EXPECT_EQ(Unsent(queue_), expected_.substr(7));
  queue_.ConsumeSent(first_iov_ - 7 + 300);  // the rest of the first, into the big payload
  ASSERT_EQ(queue_.unsent().size(), 2u);
  EXPECT_EQ(queue_.unsent()[0].iov_base, big_->data() + 300);
  EXPECT_EQ(Unsent(queue_), expected_.substr(first_iov_ + 300));
}

TEST_F(PartialWriteTest, AcrossIovecs) {
  const size_t cut = first_iov_ + big_->size() + 5;  // past the big payload, into the last iovec
  queue_.ConsumeSent(cut);
  ASSERT_EQ(queue_.unsent().size(), 1u);
  EXPECT_EQ(Unsent(queue_), expected_.substr(cut));
  queue_.ConsumeSent(expected_.size() - cut);
  EXPECT_TRUE(queue_.unsent().empty());
}

TEST_F(PartialWriteTest, EndingOnAnIovecBoundary) {
  queue_.ConsumeSent(first_iov_);
  ASSERT_EQ(queue_.unsent().size(), 2u);
  EXPECT_EQ(queue_.unsent()[0].iov_base, big_->data());
  EXPECT_EQ(Unsent(queue_), expected_.substr(first_iov_));
}

TEST(OutputQueueTest, CloseFrameEndsTheBatch) {
  OutputQueue queue(Gather());
  queue.PushData(Frame("last words"));
  queue.PushClose(4000);
  ASSERT_TRUE(queue.TakeBatch());
  EXPECT_EQ(Unsent(queue), Wire("last words") + EncodeWsCloseFrame(4000));
  SendAll(queue);
  OutputQueue::Written written = queue.BatchWritten();
  EXPECT_TRUE(written.close_frame);
  EXPECT_FALSE(written.next_batch);
}

TEST(OutputQueueTest, TextEndpointSendsTextFrames) {
  OutputQueue queue({.binary = false, .max_bytes = 1 << 20});
  queue.PushData(Frame("{}"));
  ASSERT_TRUE(queue.TakeBatch());
  EXPECT_EQ(Unsent(queue), EncodeWsFrame(WsOpcode::kText, "{}"));
}

TEST(OutputQueueTest, SingleBufferLayoutCopiesEverything) {
  OutputQueue queue(
      {.binary = true, .max_bytes = 1 << 20, .layout = OutputQueue::Layout::kSingleBuffer});
  const std::string big(100000, 'b');
  const std::string pong = EncodeWsFrame(WsOpcode::kPong, "p");
  queue.PushData(Frame("small"));
  queue.PushData(Frame(big));
  queue.PushControl(pong);
  queue.PushClose(std::nullopt);
  ASSERT_TRUE(queue.TakeBatch());
  EXPECT_EQ(queue.single_buffer(), Wire("small") + Wire(big) + pong + EncodeWsCloseFrame({}));
}

TEST(OutputQueueTest, StagingBufferIsReleasedAfterABigBurst) {
  OutputQueue queue(Gather());
  for (int i = 0; i < 100; ++i) queue.PushData(Frame(std::string(3000, 'x')));  // all copied
  ASSERT_TRUE(queue.TakeBatch());
  EXPECT_GT(queue.staging_capacity(), OutputQueue::kStagingKeep);
  SendAll(queue);
  queue.BatchWritten();
  EXPECT_LE(queue.staging_capacity(), OutputQueue::kStagingKeep);
}

TEST(OutputQueueTest, StagingBufferIsKeptAfterASmallBatch) {
  OutputQueue queue(Gather());
  for (int i = 0; i < 10; ++i) queue.PushData(Frame(std::string(1000, 'x')));
  ASSERT_TRUE(queue.TakeBatch());
  const size_t capacity = queue.staging_capacity();
  SendAll(queue);
  queue.BatchWritten();
  EXPECT_EQ(queue.staging_capacity(), capacity);
}

TEST(OutputQueueTest, AbandonDropsWhatIsPendingButKeepsTheBatch) {
  OutputQueue queue(Gather());
  queue.PushData(Frame("in flight"));
  ASSERT_TRUE(queue.TakeBatch());
  queue.PushData(Frame("pending"));
  queue.Abandon();
  EXPECT_TRUE(queue.closed());
  EXPECT_EQ(queue.PushData(Frame("late")).status, SendStatus::kDropped);
  EXPECT_TRUE(queue.has_batch());  // a write in flight may still point into it
  EXPECT_EQ(Unsent(queue), Wire("in flight"));
}

}  // namespace
}  // namespace strata

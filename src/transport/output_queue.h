#pragma once
// OutputQueue: the outgoing side of one WebSocket connection, without the socket. It holds the
// frames queued for the client (data messages, pongs, the close frame) under the byte cap of the
// endpoint, and the batch being written: everything queued until the write began, laid out for one
// gather write (sendmsg) or, over TLS, copied into one buffer. The connection makes the socket
// calls; it asks the queue what to write and tells it what was written.
//
// Flow: the first push into an idle queue tells its caller to schedule a flush. The flush takes
// everything queued as one batch (TakeBatch) and writes it; pushes meanwhile only queue. When the
// batch is out, BatchWritten credits its bytes against the cap and takes whatever gathered
// meanwhile as the next batch, until nothing is left and the queue is idle again.
//
// Thread-safety: the Push* methods, Abandon and closed() may be called from any thread; they share
// one mutex per queue, never a global one. The batch (TakeBatch, the layout accessors, ConsumeSent,
// BatchWritten) belongs to the connection's loop.

#include <sys/uio.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "strata/connection.h"

namespace strata {

class OutputQueue {
 public:
  // How a batch is laid out for the socket.
  enum class Layout {
    // Plain sockets: frame headers and payloads up to kCopyLimit are copied into one staging
    // buffer, so that a batch of small messages is one iovec and the kernel walks few segments;
    // bigger payloads are not copied and go out from the shared frame as their own iovec.
    kGather,
    // TLS: the whole batch is copied into one buffer. Asio's TLS stream writes one record per
    // buffer, and encryption copies anyway.
    kSingleBuffer,
  };
  // kGather: payloads up to this size are copied into the staging buffer.
  static constexpr size_t kCopyLimit = 4 * 1024;
  // The staging buffer is released after a batch when it grew beyond this: one burst must not pin
  // a big buffer for the life of an idle connection.
  static constexpr size_t kStagingKeep = 256 * 1024;

  struct Options {
    bool binary = true;    // data frames are binary (else text)
    size_t max_bytes = 0;  // data payload bytes queued or being written; more is a slow consumer
    Layout layout = Layout::kGather;
  };

  struct PushResult {
    SendStatus status = SendStatus::kDropped;
    bool schedule_flush = false;  // the queue was idle: the caller schedules one flush
    bool overflowed = false;      // the frame would have exceeded the cap: dropped, queue closed
  };

  // What the end of a batch leads to.
  struct Written {
    bool close_frame = false;  // the batch ended with the close frame (nothing ever follows it)
    bool next_batch = false;   // a new batch was taken: write it
  };

  explicit OutputQueue(Options options) : options_(options) {}
  OutputQueue(const OutputQueue&) = delete;
  OutputQueue& operator=(const OutputQueue&) = delete;

  // Any thread.
  // One data message; its frame header is added when the batch is laid out. kBackpressure when
  // the data queued or being written is above half the cap. kDropped for a null frame, when the
  // queue is closed, or when the frame would exceed the cap (which closes the queue: overflowed).
  PushResult PushData(SharedFrame frame);
  // The close frame, behind everything queued; closes the queue. kDropped when already closed.
  PushResult PushClose(std::optional<uint16_t> code);
  // An encoded control frame (a pong). kDropped when the queue is closed: nothing may follow a
  // close frame.
  PushResult PushControl(std::string frame);
  // No more frames are accepted: a close frame is queued, the cap was exceeded, or Abandon.
  bool closed() const { return closed_.load(std::memory_order_relaxed); }
  // The connection is gone: closes the queue and drops what is pending. The batch stays until
  // the connection is destroyed (a write in flight may still point into it).
  void Abandon();

  // The connection's loop.
  // Takes everything queued as the batch and lays it out. Returns false, marking the queue idle,
  // when nothing is queued: the next push schedules a flush again.
  // REQUIRES: !has_batch().
  bool TakeBatch();
  // A batch was taken and BatchWritten has not been called for it.
  bool has_batch() const { return !batch_.empty(); }
  // kSingleBuffer: the whole batch.
  std::string_view single_buffer() const { return staging_; }
  // kGather: what is left of the batch to send, as sendmsg takes it.
  std::span<const iovec> unsent() const {
    return std::span<const iovec>(iovecs_).subspan(iov_next_);
  }
  // kGather: the socket took `bytes` more of unsent(); a write may end inside an iovec.
  void ConsumeSent(size_t bytes);
  // The whole batch is written: releases it, credits its data bytes against the cap and takes
  // what was queued meanwhile as the next batch (see TakeBatch).
  // REQUIRES: has_batch(); not abandoned.
  Written BatchWritten();
  // For tests: the capacity the staging buffer keeps between batches.
  size_t staging_capacity() const { return staging_.capacity(); }

 private:
  // One queued frame. Data frames get their header when the batch is laid out; control frames
  // are queued fully encoded.
  struct OutFrame {
    enum class Kind { kData, kControl, kClose };
    SharedFrame bytes;
    Kind kind = Kind::kData;
  };
  // A piece of the batch: a range of staging_, or a payload sent without copying.
  struct Segment {
    const char* external;  // null: the range [offset, offset + size) of staging_
    size_t offset;
    size_t size;
  };

  PushResult Append(OutFrame frame);  // REQUIRES: mutex_ held
  bool TakeQueue(size_t written_bytes);
  void LayOut();
  void Stage(const char* data, size_t size);
  void BuildIovecs();

  const Options options_;

  std::mutex mutex_;
  std::vector<OutFrame> pending_;  // guarded by mutex_
  size_t queued_bytes_ = 0;        // guarded by mutex_; data payload bytes pending or in the batch
  bool flush_scheduled_ = false;   // guarded by mutex_; a flush is scheduled or a batch taken
  // Written under mutex_, read anywhere.
  std::atomic<bool> closed_{false};

  // The loop only. The batch's frames are kept alive until it is written; the vectors keep their
  // capacity from batch to batch (batch_ trades it with pending_).
  std::vector<OutFrame> batch_;
  size_t batch_bytes_ = 0;    // data payload bytes in the batch
  bool batch_close_ = false;  // the batch ends with the close frame
  std::string staging_;       // frame headers and copied payloads of the batch
  std::vector<Segment> segments_;
  std::vector<iovec> iovecs_;  // kGather: the batch as sendmsg takes it
  size_t iov_next_ = 0;        // kGather: iovecs_[iov_next_] is the first not fully sent
};

}  // namespace strata

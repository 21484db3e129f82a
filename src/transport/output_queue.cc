#include "transport/output_queue.h"

#include <utility>

#include "transport/ws_frame.h"

namespace strata {

OutputQueue::PushResult OutputQueue::PushData(SharedFrame frame) {
  if (!frame) return {};
  std::lock_guard<std::mutex> lock(mutex_);
  if (closed()) return {};
  if (queued_bytes_ + frame->size() > options_.max_bytes) {
    closed_.store(true, std::memory_order_relaxed);
    return {.overflowed = true};
  }
  queued_bytes_ += frame->size();
  PushResult result = Append(OutFrame{std::move(frame)});
  if (queued_bytes_ > options_.max_bytes / 2) result.status = SendStatus::kBackpressure;
  return result;
}

OutputQueue::PushResult OutputQueue::PushClose(std::optional<uint16_t> code) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (closed()) return {};
  closed_.store(true, std::memory_order_relaxed);
  auto frame = std::make_shared<const std::string>(EncodeWsCloseFrame(code));
  return Append(OutFrame{std::move(frame), OutFrame::Kind::kClose});
}

OutputQueue::PushResult OutputQueue::PushControl(std::string frame) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (closed()) return {};
  auto bytes = std::make_shared<const std::string>(std::move(frame));
  return Append(OutFrame{std::move(bytes), OutFrame::Kind::kControl});
}

OutputQueue::PushResult OutputQueue::Append(OutFrame frame) {
  pending_.push_back(std::move(frame));
  return {.status = SendStatus::kSuccess, .schedule_flush = !std::exchange(flush_scheduled_, true)};
}

void OutputQueue::Abandon() {
  std::lock_guard<std::mutex> lock(mutex_);
  closed_.store(true, std::memory_order_relaxed);
  pending_.clear();
  queued_bytes_ = 0;
}

bool OutputQueue::TakeBatch() {
  if (!TakeQueue(0)) return false;
  LayOut();
  return true;
}

OutputQueue::Written OutputQueue::BatchWritten() {
  Written written{.close_frame = batch_close_};
  batch_.clear();
  if (staging_.capacity() > kStagingKeep) std::string().swap(staging_);
  written.next_batch = TakeQueue(batch_bytes_);
  if (written.next_batch) LayOut();
  return written;
}

// Credits the bytes of the batch just written, then moves everything queued into batch_ (empty
// on entry). Returns false, marking the queue idle, when nothing is queued.
bool OutputQueue::TakeQueue(size_t written_bytes) {
  std::lock_guard<std::mutex> lock(mutex_);
  queued_bytes_ -= written_bytes;
  batch_.swap(pending_);
  if (!batch_.empty()) return true;
  flush_scheduled_ = false;
  return false;
}

void OutputQueue::LayOut() {
  const auto opcode = options_.binary ? WsOpcode::kBinary : WsOpcode::kText;
  const size_t copy_limit = options_.layout == Layout::kGather ? kCopyLimit : SIZE_MAX;
  staging_.clear();
  segments_.clear();
  batch_bytes_ = 0;
  batch_close_ = false;
  for (const OutFrame& frame : batch_) {
    const std::string& bytes = *frame.bytes;
    if (frame.kind == OutFrame::Kind::kData) {
      uint8_t header[kWsMaxServerHeaderSize];
      Stage(reinterpret_cast<const char*>(header),
            EncodeWsFrameHeader(opcode, bytes.size(), header));
      batch_bytes_ += bytes.size();
    }
    batch_close_ |= frame.kind == OutFrame::Kind::kClose;
    if (bytes.size() <= copy_limit) {
      Stage(bytes.data(), bytes.size());
    } else {
      segments_.push_back(Segment{bytes.data(), 0, bytes.size()});
    }
  }
  if (options_.layout == Layout::kGather) BuildIovecs();
}

// Appends to the staging buffer, extending the last segment when it is the staging one.
// Segments hold offsets, not pointers: staging_ may reallocate while the batch is laid out.
void OutputQueue::Stage(const char* data, size_t size) {
  if (segments_.empty() || segments_.back().external != nullptr) {
    segments_.push_back(Segment{nullptr, staging_.size(), 0});
  }
  staging_.append(data, size);
  segments_.back().size += size;
}

void OutputQueue::BuildIovecs() {
  iovecs_.clear();
  iov_next_ = 0;
  for (const Segment& segment : segments_) {
    const char* data = segment.external ? segment.external : staging_.data() + segment.offset;
    iovecs_.push_back(iovec{const_cast<char*>(data), segment.size});
  }
}

// Drops `bytes` from the front of the unsent iovecs.
void OutputQueue::ConsumeSent(size_t bytes) {
  while (iov_next_ < iovecs_.size() && bytes >= iovecs_[iov_next_].iov_len) {
    bytes -= iovecs_[iov_next_++].iov_len;
  }
  if (bytes == 0) return;
  iovec& partial = iovecs_[iov_next_];
  partial.iov_base = static_cast<char*>(partial.iov_base) + bytes;
  partial.iov_len -= bytes;
}

}  // namespace strata

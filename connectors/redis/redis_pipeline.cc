#include "connectors/redis/redis_pipeline.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

namespace strata {
namespace {

using std::chrono::milliseconds;

constexpr milliseconds kInitialBackoff{100};
constexpr milliseconds kMaxBackoff{5000};

int MillisUntil(RedisPipeline::Clock::time_point deadline) {
  auto left = std::chrono::ceil<milliseconds>(deadline - RedisPipeline::Clock::now()).count();
  return static_cast<int>(std::clamp<int64_t>(left, 0, 1 << 30));
}

}  // namespace

RedisPipeline::RedisPipeline(RedisOptions options)
    : options_(std::move(options)),
      peer_(RedisTargetName(options_)),
      wake_fd_(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)),
      backoff_(kInitialBackoff) {}

RedisPipeline::~RedisPipeline() {
  {
    std::lock_guard lock(mu_);
    if (state_ == State::kRunning) state_ = State::kClosing;
  }
  Wake();
  if (thread_.joinable()) {
    // Destroyed from a Close completion on the I/O thread: Run touches nothing after it.
    if (thread_.get_id() == std::this_thread::get_id()) {
      thread_.detach();
    } else {
      thread_.join();
    }
  }
  if (wake_fd_ >= 0) close(wake_fd_);
}

void RedisPipeline::Start(DoneCallback ready) {
  std::unique_lock lock(mu_);
  if (state_ != State::kIdle) {
    lock.unlock();
    ready(Status::FailedPrecondition(peer_ + ": Start called twice or after Close"));
    return;
  }
  if (wake_fd_ < 0) {
    state_ = State::kClosed;
    lock.unlock();
    ready(Status::ResourceExhausted(peer_ + ": eventfd: " + std::strerror(errno)));
    return;
  }
  state_ = State::kRunning;
  thread_ = std::thread([this, ready = std::move(ready)]() mutable { Run(std::move(ready)); });
}

void RedisPipeline::Submit(RedisRequest request) {
  if (request.commands.empty()) return request.done(std::vector<RedisValue>{});
  Pending pending;
  pending.request = std::move(request);
  pending.deadline = Clock::now() + milliseconds(options_.command_timeout_ms);
  std::unique_lock lock(mu_);
  if (state_ != State::kRunning) {
    bool started = state_ != State::kIdle;
    lock.unlock();
    pending.request.done(
        Status::FailedPrecondition(peer_ + (started ? ": connector closed" : ": not started")));
    return;
  }
  bool was_empty = queue_.empty();
  queue_.push_back(std::move(pending));
  lock.unlock();
  if (was_empty) Wake();  // a non-empty queue has a wake-up pending already
}

void RedisPipeline::Close(DoneCallback done) {
  std::unique_lock lock(mu_);
  switch (state_) {
    case State::kIdle:
      state_ = State::kClosed;
      [[fallthrough]];
    case State::kClosed:
      lock.unlock();
      done(Status());
      return;
    case State::kRunning:
      state_ = State::kClosing;
      [[fallthrough]];
    case State::kClosing:
      on_closed_.push_back(std::move(done));
  }
  lock.unlock();
  Wake();
}

void RedisPipeline::Run(DoneCallback ready) {
  auto first = RedisConnection::Open(options_, ConnectDeadline());
  if (first.ok()) {
    connection_ = std::move(first).value();
    ready(Status());
    Loop();
    connection_.reset();
  }
  // Only a failed start can leave requests queued: Loop returns once the queue is drained.
  Status failure = first.ok() ? Status::Cancelled(peer_ + ": connector closed") : first.status();
  std::vector<Pending> leftover;
  std::vector<DoneCallback> on_closed;
  {
    std::lock_guard lock(mu_);
    state_ = State::kClosed;
    leftover.swap(queue_);
    on_closed.swap(on_closed_);
  }
  // From here on nothing touches `this`: a completion may destroy the pipeline.
  for (Pending& pending : leftover) pending.request.done(failure);
  if (!first.ok()) ready(failure);
  for (DoneCallback& done : on_closed) done(Status());
}

void RedisPipeline::Loop() {
  bool stopping = false;
  while (true) {
    WaitForWork();
    std::vector<Pending> batch = TakeQueue(&stopping);
    if (connection_ != nullptr) {
      Send(std::move(batch));
      Status io = ServiceConnection();
      if (io.ok()) {
        ExpireTimedOut();
      } else {
        Lose(io);
      }
    } else {
      FailAll(std::move(batch), Status::Unavailable(peer_ + ": not connected, reconnecting"));
      if (!stopping && Clock::now() >= next_attempt_) Reconnect();
    }
    // Requests already failed by timeout need no reply: a hung Redis cannot hold Close.
    if (stopping && (connection_ == nullptr || !AnyAwaitingReply())) return;
  }
}

bool RedisPipeline::AnyAwaitingReply() const {
  return std::any_of(in_flight_.begin(), in_flight_.end(),
                     [](const Pending& pending) { return !pending.answered; });
}

int RedisPipeline::PollTimeoutMs() const {
  if (connection_ == nullptr) return MillisUntil(next_attempt_);
  for (const Pending& pending : in_flight_) {
    if (!pending.answered) return MillisUntil(pending.deadline);
  }
  return -1;
}

void RedisPipeline::WaitForWork() {
  pollfd fds[2] = {{wake_fd_, POLLIN, 0}, {-1, 0, 0}};
  if (connection_ != nullptr) {
    fds[1].fd = connection_->fd();
    fds[1].events = POLLIN | (connection_->WantsWrite() ? POLLOUT : 0);
  }
  if (poll(fds, 2, PollTimeoutMs()) > 0 && (fds[0].revents & POLLIN) != 0) {
    uint64_t count = 0;
    ssize_t ignored = read(wake_fd_, &count, sizeof(count));  // resets the eventfd
    (void)ignored;
  }
}

std::vector<RedisPipeline::Pending> RedisPipeline::TakeQueue(bool* stopping) {
  std::vector<Pending> batch;
  std::lock_guard lock(mu_);
  batch.swap(queue_);
  if (state_ != State::kRunning) *stopping = true;
  return batch;
}

void RedisPipeline::Send(std::vector<Pending> batch) {
  for (Pending& pending : batch) {
    for (const RedisCommand& command : pending.request.commands) connection_->Append(command);
    pending.replies_left = pending.request.commands.size();
    pending.request.commands = {};  // the bytes are in the output buffer now
    in_flight_.push_back(std::move(pending));
  }
}

Status RedisPipeline::ServiceConnection() {
  Status flushed = connection_->Flush();
  std::vector<RedisValue> replies;
  // Replies that arrived before a failure still answer their requests.
  Status read = connection_->Read(&replies);
  Status dispatched = Dispatch(std::move(replies));
  if (!flushed.ok()) return flushed;
  if (!read.ok()) return read;
  return dispatched;
}

Status RedisPipeline::Dispatch(std::vector<RedisValue> replies) {
  for (RedisValue& reply : replies) {
    if (in_flight_.empty()) return Status::Unavailable(peer_ + ": reply without a request");
    if (IsDemoted(reply)) return FailDemoted(reply.text);
    Pending& front = in_flight_.front();
    front.replies.push_back(std::move(reply));
    if (--front.replies_left > 0) continue;
    Pending finished = std::move(front);
    in_flight_.pop_front();
    if (!finished.answered) finished.request.done(std::move(finished.replies));
  }
  return Status();
}

bool RedisPipeline::IsDemoted(const RedisValue& reply) {
  return reply.type == RedisValue::Type::kError &&
         (reply.text.starts_with("READONLY") || reply.text.starts_with("LOADING"));
}

Status RedisPipeline::FailDemoted(const std::string& error) {
  Status cause = Status::Unavailable(peer_ + ": " + error + " (reconnecting to the master)");
  Pending failed = std::move(in_flight_.front());
  in_flight_.pop_front();
  if (!failed.answered) failed.request.done(cause);
  return cause;
}

void RedisPipeline::ExpireTimedOut() {
  const Clock::time_point now = Clock::now();
  for (Pending& pending : in_flight_) {
    if (pending.deadline > now) break;  // deadlines grow along the queue
    if (pending.answered) continue;
    pending.answered = true;
    auto done = std::move(pending.request.done);
    done(Status::DeadlineExceeded(peer_ + ": no reply within commandTimeout (" +
                                  std::to_string(options_.command_timeout_ms) + " ms)"));
  }
}

void RedisPipeline::Lose(const Status& cause) {
  connection_.reset();
  std::deque<Pending> failed;
  failed.swap(in_flight_);
  if (!lost_reported_) {
    lost_reported_ = true;
    Emit(ConnectorEvent::kConnectionLost, cause);
  }
  for (Pending& pending : failed) {
    if (!pending.answered) pending.request.done(cause);
  }
  next_attempt_ = Clock::now() + backoff_;
  backoff_ = std::min(backoff_ * 2, kMaxBackoff);
}

void RedisPipeline::Reconnect() {
  auto opened = RedisConnection::Open(options_, ConnectDeadline());
  if (!opened.ok()) {
    next_attempt_ = Clock::now() + backoff_;
    backoff_ = std::min(backoff_ * 2, kMaxBackoff);
    return;
  }
  connection_ = std::move(opened).value();
  backoff_ = kInitialBackoff;
  lost_reported_ = false;
  Emit(ConnectorEvent::kConnectionRestored, Status());
}

RedisPipeline::Clock::time_point RedisPipeline::ConnectDeadline() const {
  return Clock::now() + milliseconds(options_.connect_timeout_ms);
}

void RedisPipeline::FailAll(std::vector<Pending> batch, const Status& status) {
  for (Pending& pending : batch) pending.request.done(status);
}

void RedisPipeline::Emit(ConnectorEvent event, const Status& detail) {
  if (listener_) listener_(event, detail);
}

void RedisPipeline::Wake() {
  if (wake_fd_ < 0) return;
  uint64_t one = 1;
  ssize_t ignored = write(wake_fd_, &one, sizeof(one));
  (void)ignored;
}

}  // namespace strata

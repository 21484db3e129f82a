#include "cluster/redis_subscriber.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>

#include <spdlog/spdlog.h>

namespace strata::cluster {
namespace {

constexpr size_t kChannelsPerCommand = 512;
constexpr std::chrono::milliseconds kMaxBackoff{5000};

bool IsPush(const RedisValue& reply, std::string_view kind, size_t size) {
  return reply.type == RedisValue::Type::kArray && reply.elements.size() == size &&
         reply.elements[0].text == kind;
}

}  // namespace

RedisSubscriber::RedisSubscriber(RedisOptions options, std::chrono::milliseconds probe_interval,
                                 MessageHandler on_message, GapHandler on_gap)
    : options_(std::move(options)),
      probe_interval_(probe_interval),
      on_message_(std::move(on_message)),
      on_gap_(std::move(on_gap)),
      wake_fd_(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {}

RedisSubscriber::~RedisSubscriber() {
  Stop();
  close(wake_fd_);
}

Status RedisSubscriber::Start() {
  auto deadline = Clock::now() + std::chrono::milliseconds(options_.connect_timeout_ms);
  STRATA_ASSIGN_OR_RETURN(connection_, RedisConnection::Open(options_, deadline));
  {
    std::lock_guard lock(mu_);
    stats_.connected = true;
  }
  thread_ = std::thread([this] { Run(); });
  return Status();
}

void RedisSubscriber::Subscribe(const std::string& channel, Confirmed confirmed) {
  {
    std::lock_guard lock(mu_);
    auto [it, inserted] = channels_.try_emplace(channel);
    if (!inserted && it->second.unconfirmed == 0 && stats_.connected) {
      // Already subscribed: nothing to wait for.
    } else {
      it->second.waiters.push_back(std::move(confirmed));
      if (inserted) {
        ++it->second.unconfirmed;
        outbox_.push_back({"SUBSCRIBE", channel});
      }
      confirmed = nullptr;
    }
  }
  if (confirmed) {
    confirmed();
  } else {
    Wake();
  }
}

void RedisSubscriber::Unsubscribe(const std::string& channel) {
  {
    std::lock_guard lock(mu_);
    if (channels_.erase(channel) == 0) return;
    outbox_.push_back({"UNSUBSCRIBE", channel});
  }
  Wake();
}

void RedisSubscriber::Stop() {
  {
    std::lock_guard lock(mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  Wake();
  if (thread_.joinable()) thread_.join();
}

SubscriberStats RedisSubscriber::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

void RedisSubscriber::Wake() {
  uint64_t one = 1;
  (void)!write(wake_fd_, &one, sizeof(one));
}

void RedisSubscriber::Run() {
  while (true) {
    {
      std::lock_guard lock(mu_);
      if (stopping_) return;
    }
    if (!connection_) {
      if (Clock::now() >= next_attempt_) Reconnect();
    } else if (Status s = Service(); !s.ok()) {
      spdlog::warn("cluster bus: {}; reconnecting (messages of the gap are lost, state is re-read)",
                   s.ToString());
      connection_.reset();
      probe_outstanding_ = false;
      std::lock_guard lock(mu_);
      stats_.connected = false;
      next_attempt_ = Clock::now();
      backoff_ = std::chrono::milliseconds(100);
    }
    pollfd fds[2] = {{wake_fd_, POLLIN, 0}, {connection_ ? connection_->fd() : -1, 0, 0}};
    int timeout = static_cast<int>(probe_interval_.count());
    if (connection_) {
      fds[1].events = POLLIN | (connection_->WantsWrite() ? POLLOUT : 0);
    } else {
      auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(next_attempt_ - Clock::now());
      timeout = static_cast<int>(std::clamp<int64_t>(left.count(), 0, timeout));
    }
    poll(fds, 2, timeout);
    uint64_t drained;
    (void)!read(wake_fd_, &drained, sizeof(drained));
  }
}

Status RedisSubscriber::Service() {
  SendOutbox();
  const auto now = Clock::now();
  if (probe_outstanding_ && now - probe_sent_ > 2 * probe_interval_) {
    return Status::Unavailable("redis " + options_.host + ":" + std::to_string(options_.port) +
                               ": no answer to the bus probe within " +
                               std::to_string(2 * probe_interval_.count()) + " ms");
  }
  if (!probe_outstanding_ && now - probe_sent_ >= probe_interval_) {
    connection_->Append({"PING"});
    probe_sent_ = now;
    probe_outstanding_ = true;
  }
  STRATA_RETURN_IF_ERROR(connection_->Flush());
  std::vector<RedisValue> replies;
  Status read = connection_->Read(&replies);
  for (RedisValue& reply : replies) OnReply(std::move(reply));
  return read;
}

void RedisSubscriber::SendOutbox() {
  std::vector<RedisCommand> commands;
  {
    std::lock_guard lock(mu_);
    commands.swap(outbox_);
  }
  for (const RedisCommand& command : commands) connection_->Append(command);
}

void RedisSubscriber::Reconnect() {
  auto deadline = Clock::now() + std::chrono::milliseconds(options_.connect_timeout_ms);
  auto opened = RedisConnection::Open(options_, deadline);
  if (!opened.ok()) {
    next_attempt_ = Clock::now() + backoff_;
    backoff_ = std::min(backoff_ * 2, kMaxBackoff);
    return;
  }
  connection_ = std::move(*opened);
  // Every wanted channel again, as one batch per kChannelsPerCommand; queued single commands are
  // covered by it.
  std::lock_guard lock(mu_);
  outbox_.clear();
  RedisCommand batch{"SUBSCRIBE"};
  for (auto& [name, channel] : channels_) {
    channel.unconfirmed = 1;
    batch.push_back(name);
    if (batch.size() > kChannelsPerCommand) {
      connection_->Append(batch);
      batch.resize(1);
    }
  }
  if (batch.size() > 1) connection_->Append(batch);
  connection_->Append({"PING"});
  probe_sent_ = Clock::now();
  probe_outstanding_ = true;
  resync_pending_ = true;
  stats_.connected = true;
  ++stats_.reconnects;
  spdlog::info("cluster bus: reconnected to redis {}:{}, {} channel(s) subscribed again",
               options_.host, options_.port, channels_.size());
}

void RedisSubscriber::OnReply(RedisValue reply) {
  if (IsPush(reply, "message", 3)) {
    {
      std::lock_guard lock(mu_);
      ++stats_.messages;
    }
    on_message_(reply.elements[1].text, std::move(reply.elements[2].text));
    return;
  }
  if (IsPush(reply, "subscribe", 3)) {
    std::vector<Confirmed> ready;
    {
      std::lock_guard lock(mu_);
      auto it = channels_.find(reply.elements[1].text);
      if (it != channels_.end() && --it->second.unconfirmed <= 0) {
        it->second.unconfirmed = 0;
        ready.swap(it->second.waiters);
      }
    }
    for (Confirmed& confirmed : ready) confirmed();
    return;
  }
  // PING answers ["pong", ""] while subscribed to something, +PONG otherwise.
  if (IsPush(reply, "pong", 2) ||
      (reply.type == RedisValue::Type::kStatus && reply.text == "PONG")) {
    probe_outstanding_ = false;
    bool gap = false;
    {
      std::lock_guard lock(mu_);
      gap = std::exchange(resync_pending_, false);
    }
    if (gap) on_gap_();
    return;
  }
  if (reply.type == RedisValue::Type::kError) {
    spdlog::error("cluster bus: redis answered an error: {}", reply.text);
  }
}

}  // namespace strata::cluster

#pragma once
// RedisSubscriber: the node's one subscribed connection to Redis (RESP2: a subscribed connection
// takes only (UN)SUBSCRIBE and PING). It keeps the set of channels the node wants, subscribes
// them, and hands every published message to the message handler.
//
// Gaps: Redis PUB/SUB is at-most-once. The connection is probed with PING every `probe_interval`
// and dropped when a probe is not answered within two intervals (a silent stall); after any loss
// it reconnects (backoff 100 ms doubling to 5 s), subscribes every wanted channel again, and once
// Redis has confirmed them all calls the gap handler: whoever keeps state from messages must
// re-read it then, since messages of the gap are lost.
//
// Thread-safety: Subscribe/Unsubscribe/Stop from any thread. Handlers and confirmations run on the
// subscriber's own thread (or, for a channel already confirmed, on the caller's) and must not
// block; they may call Subscribe/Unsubscribe.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "connectors/redis/redis_connection.h"
#include "connectors/redis/redis_options.h"
#include "strata/status.h"

namespace strata::cluster {

struct SubscriberStats {
  uint64_t messages = 0;    // published messages received
  uint64_t reconnects = 0;  // connections re-established after a loss (each one a gap)
  bool connected = false;
};

class RedisSubscriber {
 public:
  using MessageHandler = std::function<void(const std::string& channel, std::string payload)>;
  using GapHandler = std::function<void()>;
  using Confirmed = std::function<void()>;

  RedisSubscriber(RedisOptions options, std::chrono::milliseconds probe_interval,
                  MessageHandler on_message, GapHandler on_gap);
  ~RedisSubscriber();
  RedisSubscriber(const RedisSubscriber&) = delete;
  RedisSubscriber& operator=(const RedisSubscriber&) = delete;

  // Connects (blocking, up to connectTimeout) and starts the thread. kUnavailable when Redis
  // cannot be reached.
  Status Start();
  // Adds `channel` to the wanted set; `confirmed` runs once Redis confirmed the subscription (at
  // once if it already has). While disconnected it waits for the reconnection.
  void Subscribe(const std::string& channel, Confirmed confirmed);
  void Unsubscribe(const std::string& channel);
  void Stop();
  SubscriberStats stats() const;

 private:
  struct Channel {
    int unconfirmed = 0;  // SUBSCRIBEs sent and not yet confirmed
    std::vector<Confirmed> waiters;
  };
  using Clock = std::chrono::steady_clock;

  void Run();
  Status Service();
  void Reconnect();
  void OnReply(RedisValue reply);
  void Wake();
  // Sends what the callers queued; REQUIRES: connected.
  void SendOutbox();

  const RedisOptions options_;
  const std::chrono::milliseconds probe_interval_;
  MessageHandler on_message_;
  GapHandler on_gap_;
  int wake_fd_;

  mutable std::mutex mu_;
  std::unordered_map<std::string, Channel> channels_;  // guarded by mu_
  std::vector<RedisCommand> outbox_;                   // guarded by mu_
  bool stopping_ = false;                              // guarded by mu_
  SubscriberStats stats_;                              // guarded by mu_
  bool resync_pending_ = false;  // guarded by mu_; a reconnect's SUBSCRIBEs are out
  std::thread thread_;

  // Subscriber thread only.
  std::unique_ptr<RedisConnection> connection_;
  Clock::time_point probe_sent_{};
  bool probe_outstanding_ = false;
  std::chrono::milliseconds backoff_{100};
  Clock::time_point next_attempt_{};
};

}  // namespace strata::cluster

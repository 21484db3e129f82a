#pragma once
// RedisPipeline: the connector's I/O engine. One connection to Redis, owned by one I/O thread;
// callers queue requests from any thread and the thread writes every queued command at once and
// answers each request from its replies, in order (Redis answers a connection's commands in the
// order it received them). Nothing a caller does waits on the network.
//
// Connection loss: requests in flight and queued fail with kUnavailable, kConnectionLost is
// reported once, and the thread reconnects with exponential backoff (100 ms doubling to 5 s),
// reporting kConnectionRestored when it is back. Requests submitted while disconnected fail at
// once with kUnavailable: strata retries writes, and a read must not wait for an outage to end.
//
// A node that answers -READONLY (a master demoted to replica by a failover) or -LOADING (a node
// loading its data set, e.g. a restarted one) is dropped like a lost connection: the request that
// got that answer fails kUnavailable and the reconnection finds the master again (through the
// sentinels, when configured).
//
// A request waits at most commandTimeout for its replies, then fails kDeadlineExceeded; its
// replies, if they come later, are read and dropped, so the connection stays in step.
//
// Start: the first connection attempt decides. If Redis cannot be reached (or refuses AUTH /
// SELECT), Start completes with that error and the pipeline is closed: strata fails startup with
// the message, which names host:port. Once started, outages are handled by reconnecting.
//
// Close answers every accepted request (a reply, a timeout, or kUnavailable), then disconnects;
// it waits at most commandTimeout for replies, plus connectTimeout if a reconnection attempt is
// under way.
//
// Thread-safety: all public methods may be called from any thread. Completions (of requests,
// Start and Close) and events run on the I/O thread; they may submit more requests. The owner
// may destroy the pipeline from a Close completion, but not from any other completion.

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "connectors/redis/redis_connection.h"
#include "connectors/redis/redis_options.h"
#include "strata/callback.h"
#include "strata/storage_connector.h"

namespace strata {

// Commands sent back to back on the connection; `done` gets their replies, in command order, or
// an error. Called exactly once.
struct RedisRequest {
  std::vector<RedisCommand> commands;
  std::function<void(Result<std::vector<RedisValue>>)> done;
};

class RedisPipeline {
 public:
  using Clock = std::chrono::steady_clock;
  using EventListener = std::function<void(ConnectorEvent event, const Status& detail)>;

  explicit RedisPipeline(RedisOptions options);
  // Closes (finishing queued work) and joins the I/O thread.
  ~RedisPipeline();
  RedisPipeline(const RedisPipeline&) = delete;
  RedisPipeline& operator=(const RedisPipeline&) = delete;

  // REQUIRES: called before Start.
  void SetEventListener(EventListener listener) { listener_ = std::move(listener); }
  // Starts the I/O thread, which connects; `ready` gets OK once connected.
  void Start(DoneCallback ready);
  // Queues `request`. Before Start or after Close it fails kFailedPrecondition at once.
  void Submit(RedisRequest request);
  // Stops accepting requests, answers those already accepted, disconnects. Idempotent.
  void Close(DoneCallback done);

 private:
  enum class State { kIdle, kRunning, kClosing, kClosed };
  struct Pending {
    RedisRequest request;
    Clock::time_point deadline;
    size_t replies_left = 0;
    std::vector<RedisValue> replies;
    bool answered = false;  // failed by timeout; its replies are still expected
  };

  // The I/O thread. Each step below runs on it.
  void Run(DoneCallback ready);
  void Loop();
  int PollTimeoutMs() const;
  bool AnyAwaitingReply() const;
  void WaitForWork();
  // Moves the queue to the thread; sets `stopping` if Close was called.
  std::vector<Pending> TakeQueue(bool* stopping);
  void Send(std::vector<Pending> batch);
  Status ServiceConnection();
  Status Dispatch(std::vector<RedisValue> replies);
  // READONLY / LOADING: fails the front request; the returned error drops the connection.
  static bool IsDemoted(const RedisValue& reply);
  Status FailDemoted(const std::string& error);
  void ExpireTimedOut();
  void Lose(const Status& cause);
  void Reconnect();
  Clock::time_point ConnectDeadline() const;
  void FailAll(std::vector<Pending> batch, const Status& status);
  void Emit(ConnectorEvent event, const Status& detail);
  void Wake();

  const RedisOptions options_;
  const std::string peer_;  // "redis host:port"
  EventListener listener_;
  int wake_fd_;  // eventfd: Submit and Close wake the I/O thread through it

  std::mutex mu_;
  State state_ = State::kIdle;           // guarded by mu_
  std::vector<Pending> queue_;           // guarded by mu_
  std::vector<DoneCallback> on_closed_;  // guarded by mu_
  std::thread thread_;

  // Owned by the I/O thread.
  std::unique_ptr<RedisConnection> connection_;
  std::deque<Pending> in_flight_;
  std::chrono::milliseconds backoff_;
  Clock::time_point next_attempt_;
  bool lost_reported_ = false;
};

}  // namespace strata

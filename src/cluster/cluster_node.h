#pragma once
// ClusterNode: this process as a node of a strata cluster. It holds the node's two Redis
// connections (the bus's Redis, which is also the cache): a pipelined command connection and the
// subscribed connection (redis_subscriber.h). It loads the function library at start and again if
// Redis lost it, routes each published message to the handler of its kind, and tells when
// messages may have been lost (a gap).
//
// Channels: `strata:r:<name>` (record changes, record_change.h), `strata:e:<name>` (events),
// `strata:presence` (joins and leaves), `strata:ctl` (registry changes: "re-read this"),
// `strata:n:<id>` (messages for one node: RPC).
//
// Thread-safety: every method from any thread. Completions and handlers run on the node's Redis
// threads and must not block (post to a loop).

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "cluster/redis_subscriber.h"
#include "config/options.h"
#include "connectors/redis/redis_pipeline.h"
#include "strata/status.h"

namespace strata::cluster {

inline constexpr std::string_view kRecordChannel = "strata:r:";
inline constexpr std::string_view kEventChannel = "strata:e:";
inline constexpr std::string_view kPresenceChannel = "strata:presence";
inline constexpr std::string_view kControlChannel = "strata:ctl";
inline constexpr std::string_view kNodeChannel = "strata:n:";  // + node id: direct messages
inline constexpr std::string_view kSeqKey = "strata:seq";
inline constexpr std::string_view kLedgerKey = "strata:wb";

struct ClusterNodeStats {
  uint64_t commands = 0;          // commands sent (FCALL, PUBLISH)
  uint64_t command_errors = 0;    // answered with an error or failed
  uint64_t function_reloads = 0;  // the library was missing and was loaded again
  bool commands_connected = false;
  SubscriberStats bus;
};

class ClusterNode {
 public:
  struct Handlers {
    std::function<void(std::string name, std::string payload)> record;
    std::function<void(std::string name, std::string payload)> event;
    std::function<void(std::string payload)> presence;
    std::function<void(std::string payload)> control;
    std::function<void(std::string payload)> direct;  // on this node's own channel
    std::function<void()> gap;  // resubscribed after a loss: re-read what you keep
  };

  // Connects to the clusterNode's Redis and loads the functions. The clusterNode and cache must
  // name the same Redis (the functions write the cache's keys): otherwise kInvalidArgument. A
  // maxmemory-policy that may evict any key (allkeys-*) is refused: kFailedPrecondition.
  static Result<std::unique_ptr<ClusterNode>> Start(const ServerOptions& options);
  ~ClusterNode();
  ClusterNode(const ClusterNode&) = delete;
  ClusterNode& operator=(const ClusterNode&) = delete;

  // REQUIRES: before the first Subscribe.
  void SetHandlers(Handlers handlers) { handlers_ = std::move(handlers); }
  // This process's id, unique per start; origins of changes carry it.
  const std::string& id() const { return id_; }

  // One command. An FCALL that finds the library missing (Redis restarted empty, or failed over
  // to a replica without it) loads it and is sent once more.
  void Call(RedisCommand command, std::function<void(Result<RedisValue>)> done);
  // Call, blocking the calling thread until the answer: for start and stop only, never on a loop.
  Result<RedisValue> CallAndWait(RedisCommand command);
  // <keyPrefix><name><suffix>: a record's key, e.g. RecordKey("a", "_v").
  std::string RecordKey(std::string_view name, std::string_view suffix) const {
    return key_prefix_ + std::string(name) + std::string(suffix);
  }
  void Subscribe(const std::string& channel, std::function<void()> confirmed);
  void Unsubscribe(const std::string& channel);
  void Stop();
  ClusterNodeStats stats() const;
  // Empty while both connections are up; otherwise which is down.
  std::string Unhealthy() const;

 private:
  ClusterNode(RedisOptions bus, std::string key_prefix, std::chrono::milliseconds probe);
  Status Connect();
  Status CheckEvictionPolicy();
  void Submit(RedisCommand command, bool may_reload, std::function<void(Result<RedisValue>)> done);
  void OnMessage(const std::string& channel, std::string payload);

  const std::string id_;
  const std::string key_prefix_;
  Handlers handlers_;
  RedisPipeline commands_;
  RedisSubscriber subscriber_;
  std::atomic<uint64_t> sent_{0};
  std::atomic<uint64_t> errors_{0};
  std::atomic<uint64_t> reloads_{0};
  std::atomic<bool> stopped_{false};
  std::atomic<bool> commands_up_{false};
};

}  // namespace strata::cluster

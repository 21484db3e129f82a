#pragma once
// RedisConnection: one non-blocking TCP connection to Redis, driven by its owner's poll() loop.
// It formats commands into its own output buffer (RESP), writes what the socket accepts, and
// parses replies with hiredis's reply reader. hiredis also opens the socket; every other byte
// goes through send/recv here, with MSG_NOSIGNAL so a dead peer is an error, not a SIGPIPE, or
// through TlsChannel when options.tls is enabled (hiredis 0.14 has no TLS).
//
// Read drains what the socket and OpenSSL hold (within a bound on the socket's part), so an
// owner can poll() fd() for POLLIN, plus POLLOUT while WantsWrite(), and call Flush then Read
// whenever it wakes.
//
// Thread-compatibility: one owner thread (the connector's I/O thread) uses it.

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "connectors/redis/redis_options.h"
#include "strata/status.h"

struct redisContext;
struct redisReader;

namespace strata {

class TlsChannel;

// A reply from Redis, owned (converted from hiredis's redisReply).
struct RedisValue {
  enum class Type { kNil, kString, kStatus, kError, kInteger, kArray };
  Type type = Type::kNil;
  std::string text;                  // kString, kStatus, kError
  int64_t integer = 0;               // kInteger
  std::vector<RedisValue> elements;  // kArray
};

// One command and its arguments, e.g. {"MGET", "a_v", "a_d"}. Binary-safe.
using RedisCommand = std::vector<std::string>;

class RedisConnection {
 public:
  using Clock = std::chrono::steady_clock;

  ~RedisConnection();
  RedisConnection(const RedisConnection&) = delete;
  RedisConnection& operator=(const RedisConnection&) = delete;

  // Connects to options.host:port, runs the TLS handshake if options.tls is enabled, then the
  // Redis handshake (AUTH if a password is set, SELECT if db != 0, PING), all before `deadline`,
  // blocking the calling thread. kUnavailable when Redis cannot be reached in time or TLS fails;
  // kInvalidArgument when it refuses the handshake (wrong password, bad db), its certificate is
  // rejected, or a TLS certificate or key option does not load. Messages name "redis host:port".
  //
  // With options.sentinels, host:port is ignored: the sentinels are asked in order (plain TCP)
  // for the address of master group options.name, that address is opened as above, and ROLE must
  // answer `master`. kUnavailable when no sentinel gives an address (the message names each
  // sentinel and why) or the node is not the master (a failover under way).
  static Result<std::unique_ptr<RedisConnection>> Open(const RedisOptions& options,
                                                       Clock::time_point deadline);

  int fd() const;
  // Queues a command for sending.
  void Append(const RedisCommand& command);
  // True while queued bytes wait for the socket to accept them, or TLS input waits for the
  // socket to take a TLS message first.
  bool WantsWrite() const;
  // Writes as much as the socket takes now. kUnavailable when the connection is broken.
  Status Flush();
  // Reads what has arrived and appends every complete reply to `replies`, in order. Replies that
  // arrived before the connection broke are appended even when the result is an error.
  Status Read(std::vector<RedisValue>* replies);

 private:
  RedisConnection(redisContext* context, std::string peer);
  Status Broken(std::string_view what) const;
  // The steps of Open: TCP connection, TLS handshake, Redis handshake, each until `deadline`.
  static Result<std::unique_ptr<RedisConnection>> OpenNode(const RedisOptions& options,
                                                           Clock::time_point deadline);
  static Result<std::unique_ptr<RedisConnection>> Connect(const RedisOptions& options,
                                                          std::string_view kind,
                                                          Clock::time_point deadline);
  // Sentinel steps: the master's address from the first sentinel that knows it, and the check
  // that the node opened there is (still) the master.
  static Result<RedisOptions> ResolveMaster(const RedisOptions& options,
                                            Clock::time_point deadline);
  static Result<RedisOptions> AskSentinel(const RedisOptions& options,
                                          const RedisSentinelAddress& sentinel,
                                          Clock::time_point deadline);
  Status RequireMaster(Clock::time_point deadline);
  Status HandshakeTls(Clock::time_point deadline);
  Status HandshakeRedis(const RedisOptions& options, Clock::time_point deadline);
  // send/recv, or their TLS counterparts: bytes moved, 0 when the socket would block.
  Result<size_t> Send(std::string_view data);
  Result<size_t> Receive(char* buffer, size_t size);
  // Sends `commands` and waits for their replies until `deadline` (the handshake).
  Result<std::vector<RedisValue>> RoundTrip(const std::vector<RedisCommand>& commands,
                                            Clock::time_point deadline);

  redisContext* context_;  // owns the socket
  redisReader* reader_;
  std::unique_ptr<TlsChannel> tls_;  // null: plain TCP
  std::string peer_;                 // "redis host:port", for messages
  std::string out_;                  // RESP bytes not yet written, from out_[sent_]
  size_t sent_ = 0;
};

}  // namespace strata

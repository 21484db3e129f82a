#include "connectors/redis/redis_connection.h"

#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <optional>
#include <utility>

#include <hiredis/hiredis.h>

#include "connectors/redis/redis_tls.h"

namespace strata {
namespace {

using Clock = RedisConnection::Clock;

RedisValue Convert(const redisReply& reply) {
  RedisValue value;
  switch (reply.type) {
    case REDIS_REPLY_STRING:
      value.type = RedisValue::Type::kString;
      break;
    case REDIS_REPLY_STATUS:
      value.type = RedisValue::Type::kStatus;
      break;
    case REDIS_REPLY_ERROR:
      value.type = RedisValue::Type::kError;
      break;
    case REDIS_REPLY_INTEGER:
      value.type = RedisValue::Type::kInteger;
      value.integer = reply.integer;
      return value;
    case REDIS_REPLY_ARRAY:
      value.type = RedisValue::Type::kArray;
      value.elements.reserve(reply.elements);
      for (size_t i = 0; i < reply.elements; ++i)
        value.elements.push_back(Convert(*reply.element[i]));
      return value;
    default:
      return value;  // nil
  }
  value.text.assign(reply.str, reply.len);
  return value;
}

// Milliseconds until `deadline` for poll(), rounded up, never negative.
int MillisUntil(Clock::time_point deadline) {
  auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return static_cast<int>(std::clamp<int64_t>(left, 0, 1 << 30));
}

// Waits for `events` on `fd` until `deadline`; false on timeout.
bool PollUntil(int fd, short events, Clock::time_point deadline) {
  pollfd p{fd, events, 0};
  while (true) {
    int ready = poll(&p, 1, MillisUntil(deadline));
    if (ready > 0) return true;
    if (ready == 0) return false;
    if (errno != EINTR) return true;  // let the following I/O call report the error
  }
}

std::string Errno(int error) { return std::strerror(error); }

std::optional<int64_t> ParsePort(std::string_view text) {
  int64_t port = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), port);
  if (ec != std::errc() || end != text.data() + text.size() || port < 1 || port > 65535) {
    return std::nullopt;
  }
  return port;
}

// AUTH/SELECT refusals and a missing password are configuration errors, not outages.
bool IsConfigError(const RedisValue& reply, size_t command_index, size_t handshake_commands) {
  bool ping = command_index + 1 == handshake_commands;
  return !ping || reply.text.starts_with("NOAUTH") || reply.text.starts_with("WRONGPASS");
}

}  // namespace

RedisConnection::RedisConnection(redisContext* context, std::string peer)
    : context_(context), reader_(redisReaderCreate()), peer_(std::move(peer)) {}

RedisConnection::~RedisConnection() {
  tls_.reset();  // before the socket closes
  redisReaderFree(reader_);
  redisFree(context_);
}

int RedisConnection::fd() const { return context_->fd; }

Result<std::unique_ptr<RedisConnection>> RedisConnection::Open(const RedisOptions& options,
                                                               Clock::time_point deadline) {
  if (options.sentinels.empty()) return OpenNode(options, deadline);
  STRATA_ASSIGN_OR_RETURN(RedisOptions master, ResolveMaster(options, deadline));
  STRATA_ASSIGN_OR_RETURN(std::unique_ptr<RedisConnection> connection, OpenNode(master, deadline));
  STRATA_RETURN_IF_ERROR(connection->RequireMaster(deadline));
  return connection;
}

Result<RedisOptions> RedisConnection::ResolveMaster(const RedisOptions& options,
                                                    Clock::time_point deadline) {
  std::string failures;
  const size_t count = options.sentinels.size();
  for (size_t i = 0; i < count; ++i) {
    // A sentinel that hangs gets only its share of the time; a share stays for the master.
    Clock::time_point share = Clock::now() + (deadline - Clock::now()) / (count - i + 1);
    Result<RedisOptions> master = AskSentinel(options, options.sentinels[i], share);
    if (master.ok()) return master;
    failures += (failures.empty() ? "" : "; ") + std::string(master.status().message());
  }
  return Status::Unavailable(RedisTargetName(options) +
                             ": no sentinel gave the master's address: " + failures);
}

Result<RedisOptions> RedisConnection::AskSentinel(const RedisOptions& options,
                                                  const RedisSentinelAddress& sentinel,
                                                  Clock::time_point deadline) {
  RedisOptions sentinel_options;
  sentinel_options.host = sentinel.host;
  sentinel_options.port = sentinel.port;
  sentinel_options.username = options.sentinel_username;
  sentinel_options.password = options.sentinel_password;
  STRATA_ASSIGN_OR_RETURN(std::unique_ptr<RedisConnection> connection,
                          Connect(sentinel_options, "sentinel", deadline));
  STRATA_RETURN_IF_ERROR(connection->HandshakeRedis(sentinel_options, deadline));
  STRATA_ASSIGN_OR_RETURN(
      std::vector<RedisValue> replies,
      connection->RoundTrip({{"SENTINEL", "get-master-addr-by-name", options.name}}, deadline));
  const RedisValue& reply = replies.front();
  const std::string& peer = connection->peer_;
  if (reply.type == RedisValue::Type::kError) return Status::Unavailable(peer + ": " + reply.text);
  if (reply.type == RedisValue::Type::kNil) {
    return Status::Unavailable(peer + ": no master named '" + options.name + "'");
  }
  std::optional<int64_t> port;
  if (reply.elements.size() == 2) port = ParsePort(reply.elements[1].text);
  if (!port) return Status::Unavailable(peer + ": unexpected reply to get-master-addr-by-name");
  RedisOptions master = options;
  master.host = reply.elements[0].text;
  master.port = static_cast<uint16_t>(*port);
  return master;
}

Status RedisConnection::RequireMaster(Clock::time_point deadline) {
  STRATA_ASSIGN_OR_RETURN(std::vector<RedisValue> replies, RoundTrip({{"ROLE"}}, deadline));
  const RedisValue& reply = replies.front();
  if (reply.type == RedisValue::Type::kError) {
    return Status::Unavailable(peer_ + ": ROLE refused: " + reply.text);
  }
  std::string role = reply.elements.empty() ? "?" : reply.elements.front().text;
  if (role == "master") return Status();
  return Status::Unavailable(peer_ + ": is not the master (failover in progress?): ROLE is " +
                             role);
}

Result<std::unique_ptr<RedisConnection>> RedisConnection::OpenNode(const RedisOptions& options,
                                                                   Clock::time_point deadline) {
  STRATA_ASSIGN_OR_RETURN(std::unique_ptr<RedisConnection> connection,
                          Connect(options, "redis", deadline));
  if (options.tls.enabled) {
    STRATA_ASSIGN_OR_RETURN(connection->tls_, TlsChannel::New(connection->fd(), options.tls,
                                                              options.host, connection->peer_));
    STRATA_RETURN_IF_ERROR(connection->HandshakeTls(deadline));
  }
  STRATA_RETURN_IF_ERROR(connection->HandshakeRedis(options, deadline));
  return connection;
}

Result<std::unique_ptr<RedisConnection>> RedisConnection::Connect(const RedisOptions& options,
                                                                  std::string_view kind,
                                                                  Clock::time_point deadline) {
  std::string peer = std::string(kind) + " " + options.host + ":" + std::to_string(options.port);
  redisContext* context = redisConnectNonBlock(options.host.c_str(), options.port);
  if (context == nullptr) return Status::Unavailable(peer + ": cannot connect: out of memory");
  if (context->err != 0) {
    std::string error = context->errstr;
    redisFree(context);
    return Status::Unavailable(peer + ": cannot connect: " + error);
  }
  std::unique_ptr<RedisConnection> connection(new RedisConnection(context, peer));
  if (!PollUntil(connection->fd(), POLLOUT, deadline)) {
    return Status::Unavailable(peer + ": cannot connect: timed out (connectTimeout)");
  }
  int error = 0;
  socklen_t length = sizeof(error);
  if (getsockopt(connection->fd(), SOL_SOCKET, SO_ERROR, &error, &length) != 0) error = errno;
  if (error != 0) return Status::Unavailable(peer + ": cannot connect: " + Errno(error));
  return connection;
}

Status RedisConnection::HandshakeRedis(const RedisOptions& options, Clock::time_point deadline) {
  std::vector<RedisCommand> handshake;
  if (!options.password.empty()) {
    handshake.push_back(options.username.empty()
                            ? RedisCommand{"AUTH", options.password}
                            : RedisCommand{"AUTH", options.username, options.password});
  }
  if (options.db != 0) handshake.push_back({"SELECT", std::to_string(options.db)});
  handshake.push_back({"PING"});
  Result<std::vector<RedisValue>> replies = RoundTrip(handshake, deadline);
  if (!replies.ok()) {
    // A TLS server drops (or ignores) the plain text of a client that was not told to use TLS.
    if (tls_ != nullptr) return replies.status();
    return Status::Unavailable(std::string(replies.status().message()) +
                               " (if it is a TLS port, set tls)");
  }
  for (size_t i = 0; i < replies->size(); ++i) {
    const RedisValue& reply = (*replies)[i];
    if (reply.type != RedisValue::Type::kError) continue;
    std::string message = peer_ + ": " + handshake[i][0] + " refused: " + reply.text;
    if (IsConfigError(reply, i, handshake.size())) return Status::InvalidArgument(message);
    return Status::Unavailable(message);
  }
  return Status();
}

Status RedisConnection::HandshakeTls(Clock::time_point deadline) {
  while (true) {
    STRATA_ASSIGN_OR_RETURN(short wanted, tls_->Handshake());
    if (wanted == 0) return Status();
    if (!PollUntil(fd(), wanted, deadline)) {
      return Status::Unavailable(peer_ +
                                 ": TLS handshake timed out (connectTimeout); is it a TLS port?");
    }
  }
}

Result<std::vector<RedisValue>> RedisConnection::RoundTrip(
    const std::vector<RedisCommand>& commands, Clock::time_point deadline) {
  for (const RedisCommand& command : commands) Append(command);
  std::vector<RedisValue> replies;
  while (true) {
    STRATA_RETURN_IF_ERROR(Flush());
    if (replies.size() >= commands.size()) return replies;
    short events = POLLIN | (WantsWrite() ? POLLOUT : 0);
    if (!PollUntil(fd(), events, deadline)) {
      return Status::Unavailable(peer_ + ": no answer to the handshake (connectTimeout)");
    }
    STRATA_RETURN_IF_ERROR(Read(&replies));
  }
}

void RedisConnection::Append(const RedisCommand& command) {
  if (sent_ == out_.size()) {
    out_.clear();
    sent_ = 0;
  }
  out_ += '*';
  out_ += std::to_string(command.size());
  out_ += "\r\n";
  for (const std::string& arg : command) {
    out_ += '$';
    out_ += std::to_string(arg.size());
    out_ += "\r\n";
    out_ += arg;
    out_ += "\r\n";
  }
}

bool RedisConnection::WantsWrite() const {
  return sent_ < out_.size() || (tls_ != nullptr && tls_->ReadWantsWrite());
}

Result<size_t> RedisConnection::Send(std::string_view data) {
  if (tls_ != nullptr) return tls_->Write(data);
  while (true) {
    ssize_t n = send(fd(), data.data(), data.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n >= 0) return static_cast<size_t>(n);
    if (errno == EAGAIN || errno == EWOULDBLOCK) return size_t{0};
    if (errno != EINTR) return Status::Unavailable(Errno(errno));
  }
}

Result<size_t> RedisConnection::Receive(char* buffer, size_t size) {
  if (tls_ != nullptr) return tls_->Read(buffer, size);
  while (true) {
    ssize_t n = recv(fd(), buffer, size, MSG_DONTWAIT);
    if (n > 0) return static_cast<size_t>(n);
    if (n == 0) return Status::Unavailable("connection closed by the server");
    if (errno == EAGAIN || errno == EWOULDBLOCK) return size_t{0};
    if (errno != EINTR) return Status::Unavailable(Errno(errno));
  }
}

Status RedisConnection::Flush() {
  while (sent_ < out_.size()) {
    Result<size_t> n = Send(std::string_view(out_).substr(sent_));
    if (!n.ok()) return Broken(n.status().message());
    if (*n == 0) break;
    sent_ += *n;
  }
  // Keeps the buffer from growing without bound while a slow socket drains it. Only sent bytes
  // go, so a TLS write that waits is retried with the same bytes.
  if (sent_ == out_.size() || sent_ > out_.size() / 2) {
    out_.erase(0, sent_);
    sent_ = 0;
  }
  return Status();
}

Status RedisConnection::Read(std::vector<RedisValue>* replies) {
  // Bounds the socket reads of one call so writes are not starved; input OpenSSL already took
  // from the socket is always read, as poll() would not report it.
  constexpr int kMaxReadsPerCall = 16;
  char buffer[64 * 1024];
  Status status;
  for (int i = 0; i < kMaxReadsPerCall || (tls_ != nullptr && tls_->HasBufferedInput()); ++i) {
    Result<size_t> n = Receive(buffer, sizeof(buffer));
    if (!n.ok()) {
      status = Broken(n.status().message());
      break;
    }
    if (*n == 0) break;
    if (redisReaderFeed(reader_, buffer, *n) != REDIS_OK) return Broken("out of memory");
    // A short recv drained the socket; TLS returns one record per read, so it reads on until
    // OpenSSL reports that it waits for the socket.
    if (tls_ == nullptr && *n < sizeof(buffer)) break;
  }
  void* reply = nullptr;
  while (redisReaderGetReply(reader_, &reply) == REDIS_OK && reply != nullptr) {
    replies->push_back(Convert(*static_cast<redisReply*>(reply)));
    freeReplyObject(reply);
    reply = nullptr;
  }
  if (reader_->err != 0) return Broken(std::string("protocol error: ") + reader_->errstr);
  return status;
}

Status RedisConnection::Broken(std::string_view what) const {
  return Status::Unavailable(peer_ + ": connection lost: " + std::string(what));
}

}  // namespace strata

#pragma once
// Session: one client connection on a ws-binary or ws-json endpoint, and the connection's
// listener (the transport calls it directly). It goes through the handshake (CHALLENGE -> ACCEPT,
// AUTH REQUEST -> the auth chain -> AUTH_SUCCESSFUL or AUTH_UNSUCCESSFUL,
// TOO_MANY_AUTH_ATTEMPTS and close after maxAuthAttempts failures; the unauthenticated-client
// timeout keeps running through failed attempts) and then is a logged-in Client whose messages
// pass its permission gate (when permissions are configured) and go to the Router. Protocol
// violations are answered as deepstream 7.0.2 does (PROTOCOL.md 2.5, 2.6, 2.13), except where it
// crashes: non-JSON auth data gets AUTH INVALID_MESSAGE_DATA and the connection is closed.
// On the ws-text endpoint (legacy protocol, session_text.cc) the server speaks first (`C|A`,
// `C|PI`), pings every heartbeat interval, and a frame may carry several messages.
//
// Thread-safety: Start, OnMessage and OnClose run on the connection's loop. Send (the Client
// interface) may be called from any loop. user_id() is fixed before the first routed message.

#include <atomic>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "auth/auth_chain.h"
#include "config/options.h"
#include "permission/permission_checker.h"
#include "protocol/frame.h"
#include "protocol/text/text_codec.h"
#include "pubsub/client.h"
#include "server/router.h"
#include "strata/connection.h"
#include "strata/message.h"
#include "strata/status.h"

namespace strata {

class PermissionGate;

// What the sessions of one shard share; it outlives them and is touched on that shard's loop.
struct SessionContext {
  size_t shard = 0;          // the shard whose loop runs these sessions
  Executor* loop = nullptr;  // that loop
  Router* router = nullptr;  // where logged-in clients' messages go
  // permission.type: config; null without permissions (every message goes straight on).
  const permission::PermissionChecker* permissions = nullptr;
  permission::RecordLookup record_lookup;  // loads records for rules that read them
  size_t open_sessions = 0;                // for /metrics
};

struct SessionOptions {
  WireFormat format = WireFormat::kBinary;  // the endpoint's wire format
  // The `auth:` chain; REQUIRES: set, and outliving the session's pending logins.
  const auth::AuthChain* auth = nullptr;
  // Failed logins allowed before TOO_MANY_AUTH_ATTEMPTS and close.
  int max_auth_attempts = 3;
  bool log_invalid_auth_data = false;
  std::optional<Millis> unauthenticated_client_timeout = Millis{180000};
  // kText only: the server sends `C|PI` this often (the legacy client expects it).
  Millis heartbeat_interval{30000};
};

class Session final : public Client,
                      public ConnectionListener,
                      public std::enable_shared_from_this<Session> {
 public:
  // REQUIRES: context outlives the session.
  Session(std::shared_ptr<Connection> connection, const SessionOptions& options,
          SessionContext& context);

  // Counts the session and arms the unauthenticated-client timeout (and, for ws-text, greets).
  void Start();
  void OnMessage(std::string_view payload, bool binary) override;
  // The connection is gone: the router forgets the client, the gate goes.
  void OnClose() override;

  uint64_t id() const override { return connection_->id(); }
  const std::string& user_id() const override { return user_id_; }
  bool connected() const override { return !closed_.load(std::memory_order_acquire); }
  size_t home_shard() const override { return context_.shard; }
  void Send(const Message& msg) override;
  void Send(const Broadcast& msg) override;
  bool authenticated() const { return state_ == State::kAuthenticated; }
  std::optional<std::string> server_data() const override { return server_data_; }

 private:
  // kAuthenticating: the auth chain is deciding; the client's other frames are ignored.
  enum class State { kAwaitingChallenge, kAwaitingAuth, kAuthenticating, kAuthenticated, kClosed };

  void BeforeChallenge(const Result<Message>& msg);
  void BeforeAuth(const Result<Message>& msg);
  void LoggedIn(Result<Message> msg);
  void Authenticate(const Message& msg);
  void OnAuthOutcome(auth::AuthOutcome outcome);
  void OnLogin();
  // A logged-in client's message: through the gate, if any, to the router.
  void Submit(Message msg);
  // Sends {topic, action} and optionally closes the connection.
  void Reply(Topic topic, int32_t action, bool close = false);
  void OnAuthTimeout();

  // The legacy text protocol (session_text.cc).
  void StartText();
  void OnTextFrame(std::string_view payload);
  void TextBeforeAuth(const text_wire::DecodedMessage& decoded);
  void TextLoggedIn(text_wire::DecodedMessage decoded);
  void ScheduleHeartbeat();
  void SendText(const Message& msg);
  void SendRaw(std::string frame);
  // Whether the oldest legacy HEAD in flight for `name` was a has query (`R|H`); pops it.
  bool TakeHasQuery(const std::string& name);

  std::shared_ptr<Connection> connection_;
  SessionOptions options_;
  SessionContext& context_;
  // With permissions, from login to close.
  std::shared_ptr<PermissionGate> gate_;
  State state_ = State::kAwaitingChallenge;
  std::string user_id_;
  bool logged_in_ = false;  // the router heard of the login: it must hear of the end too
  std::optional<std::string> server_data_;
  int failed_auth_attempts_ = 0;
  std::string auth_data_for_log_;    // only with logInvalidAuthData, while a login is decided
  std::atomic<bool> closed_{false};  // read by other loops through connected()
  // Text protocol: legacy HEADs in flight per record name, oldest first, true for `R|H`. Pushed
  // on the connection's loop, popped by whichever loop answers the HEAD, hence the mutex.
  std::mutex heads_mutex_;
  std::unordered_map<std::string, std::deque<bool>> pending_heads_;
};

}  // namespace strata

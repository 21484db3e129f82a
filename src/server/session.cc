#include "server/session.h"

#include <rapidjson/document.h>
#include <spdlog/spdlog.h>

#include "common/json_validate.h"
#include "server/permission_gate.h"

namespace strata {
namespace {

// deepstream closes the connection on auth data that is not a JSON object (and crashes on data
// that is not JSON at all).
Status ValidateAuthData(const std::optional<std::string>& data) {
  if (!data) return Status::InvalidArgument("auth request without data");
  STRATA_RETURN_IF_ERROR(ValidateJson(*data));
  rapidjson::Document doc;
  doc.Parse(data->data(), data->size());
  if (!doc.IsObject()) return Status::InvalidArgument("auth data is not a JSON object");
  return Status();
}

}  // namespace

Session::Session(std::shared_ptr<Connection> connection, const SessionOptions& options,
                 SessionContext& context)
    : connection_(std::move(connection)), options_(options), context_(context) {}

void Session::Start() {
  ++context_.open_sessions;
  if (options_.format == WireFormat::kText) StartText();
  if (!options_.unauthenticated_client_timeout) return;
  std::weak_ptr<Session> weak = weak_from_this();
  connection_->executor().PostAfter(*options_.unauthenticated_client_timeout, [weak] {
    if (auto self = weak.lock()) self->OnAuthTimeout();
  });
}

void Session::OnAuthTimeout() {
  if (state_ == State::kAuthenticated || state_ == State::kClosed) return;
  spdlog::info("connection {} ({}): not authenticated in time, closing", id(),
               connection_->remote_address());
  Reply(Topic::kConnection, connection_action::kAuthenticationTimeout, true);
}

void Session::OnMessage(std::string_view payload, bool binary) {
  if (state_ == State::kClosed) return;
  if (options_.format == WireFormat::kText) return OnTextFrame(payload);
  const bool json = options_.format == WireFormat::kJson;
  if (binary == json) {
    // deepstream destroys a connection that sends the other kind of frame (text on the binary
    // endpoint, binary on the JSON one).
    spdlog::info("connection {}: {} frame on the {} endpoint, closing", id(),
                 binary ? "binary" : "text", json ? "JSON" : "binary");
    state_ = State::kClosed;
    return connection_->Close();
  }
  Result<Message> msg = DecodeFrame(options_.format, payload);
  if (json && !msg.ok()) {
    // The JSON endpoint has no PARSER reply for a frame that is not a message: it closes.
    spdlog::info("connection {}: {}; closing", id(), msg.status().message());
    state_ = State::kClosed;
    return connection_->Close();
  }
  switch (state_) {
    case State::kAwaitingChallenge:
      return BeforeChallenge(msg);
    case State::kAwaitingAuth:
      return BeforeAuth(msg);
    case State::kAuthenticating:
      spdlog::debug("connection {}: frame while its login is decided, ignored", id());
      return;
    case State::kAuthenticated:
      return LoggedIn(std::move(msg));
    case State::kClosed:
      return;
  }
}

void Session::BeforeChallenge(const Result<Message>& msg) {
  if (!msg.ok() || msg->topic != Topic::kConnection) {
    return Reply(Topic::kConnection, connection_action::kInvalidMessage);
  }
  if (msg->action != connection_action::kChallenge) return;  // PING and others: ignored
  state_ = State::kAwaitingAuth;
  Reply(Topic::kConnection, connection_action::kAccept);
}

void Session::BeforeAuth(const Result<Message>& msg) {
  if (msg.ok() && msg->topic == Topic::kConnection) return;  // PING before auth: no PONG
  if (!msg.ok() || msg->topic != Topic::kAuth) {
    return Reply(Topic::kAuth, auth_action::kInvalidMessage);
  }
  if (msg->action != auth_action::kRequest) {
    return Reply(Topic::kAuth, auth_action::kInvalidMessageData, true);
  }
  Authenticate(*msg);
}

void Session::Authenticate(const Message& msg) {
  if (Status valid = ValidateAuthData(msg.data); !valid.ok()) {
    spdlog::info("connection {}: invalid auth data: {}", id(), valid.message());
    return Reply(Topic::kAuth, auth_action::kInvalidMessageData, true);
  }
  state_ = State::kAuthenticating;
  if (options_.log_invalid_auth_data) auth_data_for_log_ = *msg.data;
  // The chain may answer on another thread (file hashing, the http webhook): back to this loop.
  std::weak_ptr<Session> weak = weak_from_this();
  Executor* loop = &connection_->executor();
  options_.auth->Authenticate({*msg.data, connection_->remote_address()},
                              [weak, loop](auth::AuthOutcome outcome) {
                                loop->Post([weak, outcome = std::move(outcome)]() mutable {
                                  if (auto self = weak.lock())
                                    self->OnAuthOutcome(std::move(outcome));
                                });
                              });
}

void Session::OnAuthOutcome(auth::AuthOutcome outcome) {
  if (state_ != State::kAuthenticating) return;  // closed meanwhile
  Message reply;
  reply.topic = Topic::kAuth;
  reply.data = std::move(outcome.client_data);
  if (outcome.verdict == auth::AuthOutcome::Verdict::kAccepted) {
    user_id_ = std::move(outcome.id);
    server_data_ = std::move(outcome.server_data);
    state_ = State::kAuthenticated;
    auth_data_for_log_.clear();
    // Presence learns of the login before the client does, so a query the client sends after
    // AUTH_SUCCESSFUL already finds it online.
    OnLogin();
    reply.action = auth_action::kAuthSuccessful;
    return Send(reply);
  }
  ++failed_auth_attempts_;
  spdlog::info("connection {} ({}): login refused ({} of {} attempts){}{}", id(),
               connection_->remote_address(), failed_auth_attempts_, options_.max_auth_attempts,
               auth_data_for_log_.empty() ? "" : ", auth data ", auth_data_for_log_);
  auth_data_for_log_.clear();
  reply.action = auth_action::kAuthUnsuccessful;
  Send(reply);
  if (failed_auth_attempts_ >= options_.max_auth_attempts) {
    return Reply(Topic::kAuth, auth_action::kTooManyAuthAttempts, true);
  }
  state_ = State::kAwaitingAuth;
}

void Session::LoggedIn(Result<Message> msg) {
  if (!msg.ok()) {
    spdlog::debug("connection {}: undecodable frame: {}", id(), msg.status().message());
    return Reply(Topic::kParser, parser_action::kUnknownTopic);
  }
  switch (msg->topic) {
    case Topic::kConnection:
      if (msg->action == connection_action::kPing)
        Reply(Topic::kConnection, connection_action::kPong);
      return;
    case Topic::kAuth:
      return;  // already logged in; deepstream ignores it too
    case Topic::kRecord:
    case Topic::kEvent:
    case Topic::kRpc:
    case Topic::kPresence:
      return Submit(std::move(*msg));
    default:
      // Known but unserved topics (MONITORING, CLUSTER, ...) as deepstream answers them.
      return Reply(Topic::kParser, parser_action::kUnknownTopic);
  }
}

void Session::Reply(Topic topic, int32_t action, bool close) {
  Message m;
  m.topic = topic;
  m.action = action;
  Send(m);
  if (close) {
    state_ = State::kClosed;
    connection_->Close();
  }
}

void Session::Send(const Message& msg) {
  if (options_.format == WireFormat::kText) return SendText(msg);
  connection_->Send(EncodeFrame(options_.format, msg));
}

void Session::Send(const Broadcast& msg) {
  const SharedFrame& frame = msg.Frame(options_.format, &EncodeFrame);
  if (!frame->empty()) connection_->Send(frame);  // empty: no legacy form
}

void Session::OnLogin() {
  std::shared_ptr<Session> self = shared_from_this();
  logged_in_ = true;
  context_.router->Login(self);
  if (!context_.permissions) return;
  Router* router = context_.router;
  gate_ = std::make_shared<PermissionGate>(
      *context_.permissions, self, connection_->executor(), context_.record_lookup,
      [router, self](Message allowed) { router->Dispatch(self, std::move(allowed)); });
}

void Session::Submit(Message msg) {
  if (gate_) return gate_->Submit(std::move(msg));
  context_.router->Dispatch(shared_from_this(), std::move(msg));
}

void Session::OnClose() {
  state_ = State::kClosed;
  closed_.store(true, std::memory_order_release);
  gate_.reset();  // it holds this session: the cycle ends here
  --context_.open_sessions;
  context_.router->Disconnect(shared_from_this(), logged_in_);
}

}  // namespace strata

#include "server/session.h"

#include <rapidjson/document.h>
#include <spdlog/spdlog.h>

#include "record/json_patch.h"

namespace strata {
namespace {

// The user id open ("none") authentication assigns: authData.username, else "open".
Result<std::string> OpenAuthUser(const std::optional<std::string>& data) {
  if (!data) return Status::InvalidArgument("auth request without data");
  STRATA_RETURN_IF_ERROR(ValidateJson(*data));
  rapidjson::Document doc;
  doc.Parse(data->data(), data->size());
  if (!doc.IsObject()) return Status::InvalidArgument("auth data is not a JSON object");
  auto it = doc.FindMember("username");
  if (it != doc.MemberEnd() && it->value.IsString() && it->value.GetStringLength() > 0) {
    return std::string(it->value.GetString(), it->value.GetStringLength());
  }
  return std::string("open");
}

}  // namespace

Session::Session(std::shared_ptr<Connection> connection, const SessionOptions& options,
                 MessageRouter& router)
    : connection_(std::move(connection)), options_(options), router_(router) {}

void Session::Start() {
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

void Session::OnFrame(std::string_view payload, bool binary) {
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
    case State::kAwaitingChallenge: return BeforeChallenge(msg);
    case State::kAwaitingAuth: return BeforeAuth(msg);
    case State::kAuthenticated: return LoggedIn(std::move(msg));
    case State::kClosed: return;
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
  Result<std::string> user = OpenAuthUser(msg.data);
  if (!user.ok()) {
    spdlog::info("connection {}: invalid auth data: {}", id(), user.status().message());
    return Reply(Topic::kAuth, auth_action::kInvalidMessageData, true);
  }
  user_id_ = std::move(*user);
  state_ = State::kAuthenticated;
  // Presence learns of the login before the client does, so a query the client sends after
  // AUTH_SUCCESSFUL already finds it online.
  router_.OnLogin(shared_from_this());
  Reply(Topic::kAuth, auth_action::kAuthSuccessful);
}

void Session::LoggedIn(Result<Message> msg) {
  if (!msg.ok()) {
    spdlog::debug("connection {}: undecodable frame: {}", id(), msg.status().message());
    return Reply(Topic::kParser, parser_action::kUnknownTopic);
  }
  switch (msg->topic) {
    case Topic::kConnection:
      if (msg->action == connection_action::kPing) Reply(Topic::kConnection, connection_action::kPong);
      return;
    case Topic::kAuth:
      return;  // already logged in; deepstream ignores it too
    case Topic::kRecord:
    case Topic::kEvent:
    case Topic::kRpc:
    case Topic::kPresence:
      return router_.Route(shared_from_this(), std::move(*msg));
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
  const SharedFrame& frame = msg.Frame(options_.format);
  if (!frame->empty()) connection_->Send(frame);  // empty: no legacy form
}

void Session::OnClosed() {
  state_ = State::kClosed;
  closed_.store(true, std::memory_order_release);
}

}  // namespace strata

// Session on the ws-text endpoint: the legacy text protocol of deepstream.io-client-js 2.x,
// as deepstream 7 emulates it on /deepstream-v3 (PROTOCOL.md 5), with the differences listed
// in docs/architecture.md (errors are answered, auth errors close, `R|H` works).
#include <spdlog/spdlog.h>

#include "server/session.h"

namespace strata {
namespace {

bool IsHeadAnswer(const Message& msg) {
  if (msg.topic != Topic::kRecord || !msg.name) return false;
  if (msg.action == record_action::kHeadResponse) return true;
  return msg.action >= record_action::kCacheRetrievalTimeout &&
         msg.original_action == record_action::kHead;
}

}  // namespace

// deepstream 7 greets legacy clients without a challenge: the client logs in on `C|A`.
void Session::StartText() {
  state_ = State::kAwaitingAuth;
  Message accept;
  accept.topic = Topic::kConnection;
  accept.action = connection_action::kAccept;
  Send(accept);
  accept.action = connection_action::kPing;
  Send(accept);
  ScheduleHeartbeat();
}

// The legacy client reconnects when it sees no `C|PI` for two of its heartbeat intervals.
void Session::ScheduleHeartbeat() {
  std::weak_ptr<Session> weak = weak_from_this();
  connection_->executor().PostAfter(options_.heartbeat_interval, [weak] {
    auto self = weak.lock();
    if (!self || self->state_ == State::kClosed) return;
    Message ping;
    ping.topic = Topic::kConnection;
    ping.action = connection_action::kPing;
    self->Send(ping);
    self->ScheduleHeartbeat();
  });
}

// Binary frames are read as text too, as deepstream 3.x did.
void Session::OnTextFrame(std::string_view payload) {
  for (text_wire::DecodedMessage& decoded : text_wire::DecodeFrame(payload)) {
    switch (state_) {
      case State::kAwaitingChallenge:
      case State::kAwaitingAuth:
        TextBeforeAuth(decoded);
        break;
      case State::kAuthenticating:
        break;  // the legacy client sends nothing else before `A|A`
      case State::kAuthenticated:
        TextLoggedIn(std::move(decoded));
        break;
      case State::kClosed:
        return;
    }
  }
}

// CONNECTION messages (`C|CHR` of clients that expect a challenge, `C|PO`) are ignored; anything
// but a well-formed `A|REQ` is INVALID_AUTH_MSG and closes the connection (3.2.5 left it open).
void Session::TextBeforeAuth(const text_wire::DecodedMessage& decoded) {
  if (decoded.message && decoded.message->topic == Topic::kConnection) return;
  if (!decoded.message || decoded.message->topic != Topic::kAuth) {
    spdlog::info("connection {}: legacy message before login, closing", id());
    return Reply(Topic::kAuth, auth_action::kInvalidMessageData, true);
  }
  Authenticate(*decoded.message);
}

void Session::TextLoggedIn(text_wire::DecodedMessage decoded) {
  if (decoded.error) {
    spdlog::debug("connection {}: legacy {} {}", id(), decoded.error->topic, decoded.error->event);
    return SendRaw(text_wire::EncodeError(*decoded.error));
  }
  Message& msg = *decoded.message;
  if (msg.topic == Topic::kConnection || msg.topic == Topic::kAuth) return;  // PO, CHR, REQ
  if (msg.topic == Topic::kRecord && msg.action == record_action::kHead) {
    std::lock_guard lock(heads_mutex_);
    pending_heads_[*msg.name].push_back(decoded.has_query);
  }
  Submit(std::move(msg));
}

bool Session::TakeHasQuery(const std::string& name) {
  std::lock_guard lock(heads_mutex_);
  auto it = pending_heads_.find(name);
  if (it == pending_heads_.end()) return false;
  const bool has = it->second.front();
  it->second.pop_front();
  if (it->second.empty()) pending_heads_.erase(it);
  return has;
}

void Session::SendText(const Message& msg) {
  if (IsHeadAnswer(msg) && TakeHasQuery(*msg.name)) {
    if (msg.action == record_action::kHeadResponse) {
      return SendRaw(text_wire::EncodeHasResponse(*msg.name, msg.version.value_or(-1) >= 0));
    }
    return SendRaw(
        text_wire::EncodeHasError(*msg.name, text_wire::ErrorName(Topic::kRecord, msg.action)));
  }
  SendRaw(text_wire::Encode(msg));
}

void Session::SendRaw(std::string frame) {
  if (frame.empty()) return;  // the message has no legacy form
  connection_->Send(std::make_shared<const std::string>(std::move(frame)));
}

}  // namespace strata

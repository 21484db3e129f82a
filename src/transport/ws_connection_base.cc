#include "transport/ws_connection_base.h"

#include <atomic>
#include <exception>
#include <utility>

#include <spdlog/spdlog.h>

namespace strata {
namespace {

// Close(): time allowed to flush the queue and the close frame before the socket is dropped.
constexpr std::chrono::seconds kCloseFlushTimeout{5};
// After our close frame went out: how long to wait for the client's close frame (or EOF).
constexpr std::chrono::seconds kCloseGrace{1};
// Transport::Stop: the whole close, flush included, must not take longer than this.
constexpr std::chrono::seconds kStopTimeout{1};

std::atomic<uint64_t> next_connection_id{1};

}  // namespace

WsConnectionBase::WsConnectionBase(WsConnectionSetup setup, OutputQueue::Layout layout)
    : id_(next_connection_id.fetch_add(1)),
      loop_(setup.loop),
      endpoint_(std::move(setup.endpoint)),
      remote_address_(std::move(setup.remote_address)),
      registry_(std::move(setup.registry)),
      slot_(std::move(setup.slot)),
      queue_({.binary = endpoint_->binary,
              .max_bytes = endpoint_->max_outgoing_queue_bytes,
              .layout = layout}),
      parser_(endpoint_->max_message_size) {}

WsConnectionBase::~WsConnectionBase() { registry_->Remove(this); }

// The handler and the listener are server code: an exception from them is a bug, but it must
// cost this connection only, not the loop.
template <typename Fn>
void WsConnectionBase::CallServer(std::string_view what, Fn&& fn) {
  try {
    fn();
  } catch (const std::exception& e) {
    spdlog::error("connection {}: {} threw: {}", id_, what, e.what());
    Finish("handler error");
  } catch (...) {
    spdlog::error("connection {}: {} threw", id_, what);
    Finish("handler error");
  }
}

void WsConnectionBase::Start(std::string_view initial_bytes) {
  if (!registry_->Add(this, weak_from_this())) {
    state_ = State::kFinished;  // the transport is stopping
    return;
  }
  state_ = State::kOpen;
  last_receive_ = Clock::now();
  spdlog::debug("connection {} open from {} on {}", id_, remote_address_, endpoint_->path);
  CallServer("OnOpen", [&] { listener_ = endpoint_->handler->OnOpen(shared_from_this()); });
  if (finished()) return;
  if (!listener_) BeginClose(std::nullopt);  // the server refused it
  HandleInput(initial_bytes);
  if (!finished()) StartReading();
}

SendStatus WsConnectionBase::Send(SharedFrame frame) {
  const OutputQueue::PushResult pushed = queue_.PushData(std::move(frame));
  if (pushed.overflowed) {
    spdlog::warn("connection {} ({}): more than {} bytes of output queued, closing (slow consumer)",
                 id_, remote_address_, endpoint_->max_outgoing_queue_bytes);
    loop_->Post([self = shared_from_this()] { self->Finish("slow consumer"); });
  }
  if (pushed.schedule_flush) PostFlush();
  return pushed.status;
}

void WsConnectionBase::Close(std::optional<uint16_t> code) {
  if (!QueueCloseFrame(code)) return;
  loop_->Post([self = shared_from_this()] { self->OnCloseQueued(); });
}

void WsConnectionBase::StopFromTransport() {
  loop_->Post([self = shared_from_this()] { self->BeginStop(); });
}

// Appends the close frame after everything queued and refuses later Sends. Returns false when a
// close frame was already queued.
bool WsConnectionBase::QueueCloseFrame(std::optional<uint16_t> code) {
  const OutputQueue::PushResult pushed = queue_.PushClose(code);
  if (pushed.schedule_flush) PostFlush();
  return pushed.status != SendStatus::kDropped;
}

// The flush waits for the end of the loop's turn (EventLoop::AtEndOfTurn): everything the turn
// sends to this connection leaves in one write.
void WsConnectionBase::PostFlush() {
  loop_->PostToEndOfTurn([self = shared_from_this()] { self->Flush(); });
}

// The close handshake, on the loop. Our close frame is queued by Close (any thread, then
// OnCloseQueued here) or by BeginClose; it leaves after everything queued before it
// (OnCloseFrameWritten). The client's close frame (HandlePeerClose) is answered with our own
// carrying its code, or ends the handshake when ours is already out. Every wait is bounded by the
// close timer, whose expiry finishes the connection.

// Close() queued the close frame while the connection was open: bound the flush. (When the loop
// began a close meanwhile, or the frame already went out, that step has set the timer.)
void WsConnectionBase::OnCloseQueued() {
  if (state_ != State::kOpen) return;
  state_ = State::kClosing;
  ArmCloseTimer(kCloseFlushTimeout);
}

// kOpen -> kClosing: the close frame is queued (unless Close() queued one already) and has
// kCloseFlushTimeout to leave.
void WsConnectionBase::BeginClose(std::optional<uint16_t> code) {
  state_ = State::kClosing;
  QueueCloseFrame(code);
  ArmCloseTimer(kCloseFlushTimeout);
}

// Transport::Stop: the whole close, flush included, gets kStopTimeout, and nobody waits for the
// client's close frame.
void WsConnectionBase::BeginStop() {
  switch (state_) {
    case State::kNew:
    case State::kFinished:
      return;
    case State::kCloseWritten:
      Finish("server stopping");
      return;
    case State::kOpen:
    case State::kClosing:
    case State::kStopping:
      state_ = State::kStopping;
      QueueCloseFrame(std::nullopt);
      ArmCloseTimer(kStopTimeout);
      return;
  }
}

bool WsConnectionBase::NextBatch() {
  const OutputQueue::Written written = queue_.BatchWritten();
  if (written.close_frame) OnCloseFrameWritten();
  return written.next_batch;
}

// Our close frame is out (in kOpen when Close() queued it and the flush came first).
void WsConnectionBase::OnCloseFrameWritten() {
  if (input_ == Input::kPeerClosed) {
    Finish("close handshake complete");
  } else if (state_ == State::kStopping) {
    Finish("server stopping");
  } else {
    state_ = State::kCloseWritten;
    ArmCloseTimer(kCloseGrace);  // give the client time to answer with its close frame
  }
}

bool WsConnectionBase::CheckIdle() {
  if (state_ != State::kOpen) return false;
  if (Clock::now() - last_receive_ < endpoint_->idle_timeout) return true;
  spdlog::info("connection {} ({}): heartbeat missing, closing", id_, remote_address_);
  BeginClose(std::nullopt);
  return false;
}

void WsConnectionBase::Receive(std::string_view bytes) {
  last_receive_ = Clock::now();
  HandleInput(bytes);
}

void WsConnectionBase::HandleInput(std::string_view input) {
  while (!input.empty() && input_ == Input::kParsing && !finished()) {
    size_t consumed = 0;
    WsEvent event;
    WsParseResult result = parser_.Parse(input, &consumed, &event);
    input.remove_prefix(consumed);
    if (result == WsParseResult::kEvent) {
      HandleEvent(event);
    } else if (result == WsParseResult::kError) {
      HandleParseError();
    }
  }
}

void WsConnectionBase::HandleEvent(const WsEvent& event) {
  switch (event.kind) {
    case WsEvent::Kind::kMessage:
      // Once a close is queued the server has nothing more to say; input is ignored (RFC 6455).
      // (A connection without a listener always has its close queued.)
      if (queue_.closed()) return;
      CallServer("OnMessage", [&] { listener_->OnMessage(event.payload, event.binary); });
      return;
    case WsEvent::Kind::kPing:
      if (queue_.PushControl(EncodeWsFrame(WsOpcode::kPong, event.payload)).schedule_flush) {
        PostFlush();
      }
      return;
    case WsEvent::Kind::kPong:
      return;
    case WsEvent::Kind::kClose:
      HandlePeerClose(event);
      return;
  }
}

void WsConnectionBase::HandlePeerClose(const WsEvent& event) {
  input_ = Input::kPeerClosed;
  if (state_ == State::kCloseWritten) {
    Finish("close handshake complete");
  } else if (state_ == State::kOpen) {
    BeginClose(event.close_code);  // echo the client's code (RFC 6455 5.5.1)
  }
}

void WsConnectionBase::HandleParseError() {
  uint16_t code = parser_.error_close_code();
  spdlog::info("connection {} ({}): {}, closing with {}", id_, remote_address_,
               parser_.error_reason(), code);
  // After a 1009 the parser skips the message and still finds the client's close frame; after a
  // 1002 the byte stream is unreliable.
  if (code != kWsCloseTooBig) input_ = Input::kBroken;
  if (state_ == State::kOpen) BeginClose(code);
}

void WsConnectionBase::Finish(std::string_view reason) {
  if (finished()) return;
  state_ = State::kFinished;
  queue_.Abandon();
  CloseStream();
  spdlog::debug("connection {} ({}) closed: {}", id_, remote_address_, reason);
  if (listener_) {
    CallServer("OnClose", [&] { listener_->OnClose(); });
    listener_.reset();  // it may hold the Connection: break the cycle
  }
  registry_->Remove(this);
}

}  // namespace strata

#pragma once
// WsConnectionBase: the part of a WebSocket connection that does not depend on its byte stream.
// It is the Connection the server sees (Send, Close), owns the output queue and the frame parser,
// knows what the client's frames mean, runs the close handshake and calls the connection's
// listener. WsConnection<Stream> (ws_connection.cc) derives from it and adds the TCP socket or TLS
// stream: the reads, the writes and the timers. Internal to src/transport.
//
// Threading: Send, Close and StopFromTransport may run on any thread; they touch only the output
// queue (its own lock, one per connection) and post to the loop. Everything else runs on the
// connection's loop. Lifetime: the connection lives in a shared_ptr that every posted task and
// every pending I/O operation holds; Finish, the single exit, ends the stream so that they all
// complete and let go.

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "strata/connection.h"
#include "transport/event_loop.h"
#include "transport/output_queue.h"
#include "transport/session_registry.h"
#include "transport/transport.h"
#include "transport/ws_connection.h"
#include "transport/ws_frame.h"

namespace strata {

class WsConnectionBase : public Connection,
                         public SessionRegistry::Session,
                         public std::enable_shared_from_this<WsConnectionBase> {
 public:
  ~WsConnectionBase() override;
  WsConnectionBase(const WsConnectionBase&) = delete;
  WsConnectionBase& operator=(const WsConnectionBase&) = delete;

  // Registers the connection, calls the endpoint's OnOpen, handles the bytes read past the upgrade
  // request and starts reading. When the transport is already stopping, the connection is never
  // opened (no OnOpen, no OnClose) and its stream closes when the caller lets go of it.
  // REQUIRES: called once, on the loop, right after construction.
  void Start(std::string_view initial_bytes);

  // Connection; any thread.
  uint64_t id() const override { return id_; }
  SendStatus Send(SharedFrame frame) override;
  void Close(std::optional<uint16_t> code) override;
  Executor& executor() override { return *loop_; }
  const std::string& remote_address() const override { return remote_address_; }

  // SessionRegistry::Session; any thread.
  void StopFromTransport() override;

 protected:
  using Clock = std::chrono::steady_clock;

  WsConnectionBase(WsConnectionSetup setup, OutputQueue::Layout layout);

  // For WsConnection<Stream>, on the loop.
  OutputQueue& queue() { return queue_; }
  bool finished() const { return state_ == State::kFinished; }
  std::chrono::milliseconds idle_timeout() const { return endpoint_->idle_timeout; }
  // Bytes read from the client.
  void Receive(std::string_view bytes);
  // The idle timer fired. Returns whether to keep watching: false once the connection is closing,
  // which it begins here when the client has been silent for idle_timeout.
  bool CheckIdle();
  // The queue's batch is written: takes the next one. Returns false when there is none (the queue
  // is idle) or the batch ended with the close frame.
  bool NextBatch();
  // The single exit: every way a connection ends comes here; the first call wins.
  void Finish(std::string_view reason);

  // The stream's part, on the loop.
  // Starts reading and the idle timer (Start, once).
  virtual void StartReading() = 0;
  // Writes the queue's batches; runs at the end of the loop's turn after the first push into an
  // idle queue.
  virtual void Flush() = 0;
  // (Re)arms the close timer, which calls Finish("close timed out"). Nothing once finished.
  virtual void ArmCloseTimer(Clock::duration delay) = 0;
  // Cancels the timers and ends the stream (from Finish).
  virtual void CloseStream() = 0;

 private:
  // Where the connection is in its life. It moves down this list; a server stop may come in
  // kOpen or kClosing.
  enum class State {
    kNew,           // constructed, Start has not run
    kOpen,          // messages flow both ways
    kClosing,       // our close frame is queued and being flushed, within kCloseFlushTimeout
    kStopping,      // the same for Transport::Stop, within kStopTimeout; once our close frame is
                    // out the connection finishes without waiting for the client's
    kCloseWritten,  // our close frame is out; the client has kCloseGrace to answer with its own
    kFinished,      // stream ended, OnClose called (Finish)
  };
  // What the reader does with the client's bytes. Kept apart from State because it is
  // orthogonal: the client's close frame or a protocol error may arrive while we are open, while
  // our close frame is being flushed (closing or stopping) or, short of the close frame, while we
  // wait for the client's answer. One enum for both would list every such pair.
  enum class Input {
    kParsing,     // frames are handled (messages are dropped once our close frame is queued)
    kBroken,      // after a protocol error (1002) the byte stream is unreliable: ignored
    kPeerClosed,  // the client's close frame arrived: the handshake ends once ours is out
  };

  // Any thread.
  bool QueueCloseFrame(std::optional<uint16_t> code);
  void PostFlush();

  // The loop.
  void OnCloseQueued();
  void BeginClose(std::optional<uint16_t> code);
  void BeginStop();
  void OnCloseFrameWritten();
  void HandleInput(std::string_view input);
  void HandleEvent(const WsEvent& event);
  void HandlePeerClose(const WsEvent& event);
  void HandleParseError();
  template <typename Fn>
  void CallServer(std::string_view what, Fn&& fn);

  const uint64_t id_;
  EventLoop* const loop_;
  const std::shared_ptr<const EndpointBinding> endpoint_;
  const std::string remote_address_;
  const std::shared_ptr<SessionRegistry> registry_;
  const std::shared_ptr<void> slot_;  // counts this connection against maxConnections

  OutputQueue queue_;  // shared with Send/Close callers on other threads

  // The loop only.
  WsFrameParser parser_;
  Clock::time_point last_receive_;
  // Set by OnOpen; null when the server refused the connection, and after OnClose.
  std::shared_ptr<ConnectionListener> listener_;
  State state_ = State::kNew;
  Input input_ = Input::kParsing;
};

}  // namespace strata

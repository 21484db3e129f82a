#include "transport/ws_connection.h"

#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/bind_allocator.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <cerrno>
#include <climits>
#include <optional>
#include <span>
#include <type_traits>
#include <vector>

#include "transport/exact_allocator.h"
#include "transport/output_queue.h"
#include "transport/tls_stream.h"
#include "transport/ws_frame.h"

namespace strata {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using boost::system::error_code;
using Clock = std::chrono::steady_clock;

constexpr size_t kReadBufferSize = 64 * 1024;
// Reads per readiness wakeup: a busy client must not starve the others on its loop.
constexpr int kMaxReadsPerWakeup = 4;
// Batches one Flush writes before it lets the other connections of the loop run.
constexpr int kMaxBatchesPerFlush = 4;
// TLS reads decrypt into a buffer of the connection (the read is in flight while other
// connections of the loop run): one TLS record.
constexpr size_t kTlsReadBufferSize = 16 * 1024;
// Close(): time allowed to flush the queue and the close frame before the socket is dropped.
constexpr std::chrono::seconds kCloseFlushTimeout{5};
// After our close frame went out: how long to wait for the client's close frame (or EOF).
constexpr std::chrono::seconds kCloseGrace{1};
// Transport::Stop: the whole close, flush included, must not take longer than this.
constexpr std::chrono::seconds kStopTimeout{1};
// TLS: how long the close_notify exchange after the end of a connection may take.
constexpr std::chrono::seconds kTlsShutdownTimeout{1};

std::atomic<uint64_t> next_connection_id{1};

// Threading: Send/Close/StopFromTransport may run on any thread and touch only the output queue
// (its own lock, one per connection), then post to the loop. Everything else runs on
// the loop. Lifetime: every pending async operation holds a shared_ptr to the connection; Finish
// (the single exit) closes the socket so that they all complete and let go.
//
// Output: the first Send into an idle queue schedules one Flush at the end of the loop's turn, so
// that everything the turn sends goes out together. A flush takes the whole queue as one batch
// (OutputQueue::TakeBatch) and writes it; while a batch is being written Sends only queue, and the
// end of the batch takes whatever gathered meanwhile, until the queue is empty and marked idle
// again. Plain sockets write with a non-blocking sendmsg right in Flush, so a batch the socket
// accepts costs one syscall and no asio operation; only a full socket waits for writability. TLS
// writes with asio's async_write.
//
// Stream is tcp::socket or TlsSocket, chosen at compile time: the plain path has no TLS branch,
// no virtual call and no extra copy.
template <typename Stream>
class WsConnection final : public Connection,
                           public SessionRegistry::Session,
                           public std::enable_shared_from_this<WsConnection<Stream>> {
 public:
  static constexpr bool kTls = std::is_same_v<Stream, TlsSocket>;

  WsConnection(WsConnectionSetup setup, Stream stream);
  ~WsConnection() override { registry_->Remove(this); }

  // Runs on the loop right after construction.
  void Start(std::string initial_bytes);

  uint64_t id() const override { return id_; }
  SendStatus Send(SharedFrame frame) override;
  void Close(std::optional<uint16_t> code) override;
  Executor& executor() override { return *loop_; }
  const std::string& remote_address() const override { return remote_address_; }

  void StopFromTransport() override;

 private:
  // Any thread.
  bool QueueCloseFrame(std::optional<uint16_t> code);
  void PostFlush();

  // Where the connection is in its life (loop thread only). It moves down this list; a server
  // stop may come in kOpen or kClosing.
  enum class State {
    kNew,           // constructed, Start has not run
    kOpen,          // messages flow both ways
    kClosing,       // our close frame is queued and being flushed, within kCloseFlushTimeout
    kStopping,      // the same for Transport::Stop, within kStopTimeout; once our close frame is
                    // out the connection finishes without waiting for the client's
    kCloseWritten,  // our close frame is out; the client has kCloseGrace to answer with its own
    kFinished,      // socket closed, OnClose called (Finish, the single exit)
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

  // Loop thread only.
  ConnectionHandler& handler() { return *endpoint_->handler; }
  bool finished() const { return state_ == State::kFinished; }
  void OnCloseQueued();
  void BeginClose(std::optional<uint16_t> code);
  void BeginStop();
  void WaitReadable();
  void OnReadable(const error_code& wait_ec);
  void OnTlsRead(const error_code& ec, size_t bytes);
  tcp::socket& socket() { return LowestSocket(stream_); }
  void HandleInput(std::string_view input);
  void HandleEvent(const WsEvent& event);
  void HandlePeerClose(const WsEvent& event);
  void HandleParseError();
  void Flush();
  void WriteBatch();
  bool SendStaged();
  void WaitWritable();
  void OnWritable(const error_code& ec);
  void OnTlsWritten(const error_code& ec);
  bool NextBatch();
  void OnCloseFrameWritten();
  void ArmIdleTimer();
  void OnIdleCheck();
  void ArmCloseTimer(Clock::duration delay);
  void Finish(std::string_view reason);
  void CloseStream();
  template <typename Fn>
  void CallHandler(std::string_view what, Fn&& fn);

  const uint64_t id_;
  EventLoop* const loop_;
  const std::shared_ptr<const EndpointBinding> endpoint_;
  const std::string remote_address_;
  const std::shared_ptr<SessionRegistry> registry_;
  const std::shared_ptr<void> slot_;  // counts this connection against maxConnections

  OutputQueue queue_;  // shared with Send/Close callers on other threads

  // Loop thread only.
  Stream stream_;
  std::vector<char> tls_read_buffer_;  // TLS only
  asio::steady_timer idle_timer_;
  asio::steady_timer close_timer_;
  WsFrameParser parser_;
  Clock::time_point last_receive_;
  // Set by OnOpen; null when the server refused the connection, and after OnClose.
  std::shared_ptr<ConnectionListener> listener_;
  State state_ = State::kNew;
  Input input_ = Input::kParsing;
};

template <typename Stream>
WsConnection<Stream>::WsConnection(WsConnectionSetup setup, Stream stream)
    : id_(next_connection_id.fetch_add(1)),
      loop_(setup.loop),
      endpoint_(std::move(setup.endpoint)),
      remote_address_(std::move(setup.remote_address)),
      registry_(std::move(setup.registry)),
      slot_(std::move(setup.slot)),
      queue_({.binary = endpoint_->binary,
              .max_bytes = endpoint_->max_outgoing_queue_bytes,
              .layout = kTls ? OutputQueue::Layout::kSingleBuffer : OutputQueue::Layout::kGather}),
      stream_(std::move(stream)),
      idle_timer_(stream_.get_executor()),
      close_timer_(stream_.get_executor()),
      parser_(endpoint_->max_message_size) {}

template <typename Stream>
void WsConnection<Stream>::Start(std::string initial_bytes) {
  if (!registry_->Add(this, this->weak_from_this())) {
    error_code ec;
    socket().close(ec);  // the transport is stopping: never opened, so no OnClose either
    state_ = State::kFinished;
    return;
  }
  state_ = State::kOpen;
  last_receive_ = Clock::now();
  spdlog::debug("connection {} open from {} on {}", id_, remote_address_, endpoint_->path);
  CallHandler("OnOpen", [&] { listener_ = handler().OnOpen(this->shared_from_this()); });
  if (finished()) return;
  if (!listener_) BeginClose(std::nullopt);  // the server refused it
  HandleInput(initial_bytes);
  if (finished()) return;
  ArmIdleTimer();
  WaitReadable();
}

template <typename Stream>
SendStatus WsConnection<Stream>::Send(SharedFrame frame) {
  const OutputQueue::PushResult pushed = queue_.PushData(std::move(frame));
  if (pushed.overflowed) {
    spdlog::warn("connection {} ({}): more than {} bytes of output queued, closing (slow consumer)",
                 id_, remote_address_, endpoint_->max_outgoing_queue_bytes);
    asio::post(stream_.get_executor(),
               [self = this->shared_from_this()] { self->Finish("slow consumer"); });
  }
  if (pushed.schedule_flush) PostFlush();
  return pushed.status;
}

template <typename Stream>
void WsConnection<Stream>::Close(std::optional<uint16_t> code) {
  if (!QueueCloseFrame(code)) return;
  asio::post(stream_.get_executor(), [self = this->shared_from_this()] { self->OnCloseQueued(); });
}

template <typename Stream>
void WsConnection<Stream>::StopFromTransport() {
  asio::post(stream_.get_executor(), [self = this->shared_from_this()] { self->BeginStop(); });
}

// Appends the close frame after everything queued and refuses later Sends. Returns false when a
// close frame was already queued.
template <typename Stream>
bool WsConnection<Stream>::QueueCloseFrame(std::optional<uint16_t> code) {
  const OutputQueue::PushResult pushed = queue_.PushClose(code);
  if (pushed.schedule_flush) PostFlush();
  return pushed.status != SendStatus::kDropped;
}

// The flush waits for the end of the loop's turn (EventLoop::AtEndOfTurn): everything the turn
// sends to this connection leaves in one write.
template <typename Stream>
void WsConnection<Stream>::PostFlush() {
  loop_->PostToEndOfTurn([self = this->shared_from_this()] { self->Flush(); });
}

// The close handshake, on the loop. Our close frame is queued by Close (any thread, then
// OnCloseQueued here) or by BeginClose; it leaves after everything queued before it
// (OnCloseFrameWritten). The client's close frame (HandlePeerClose) is answered with our own
// carrying its code, or ends the handshake when ours is already out. Every wait is bounded by the
// close timer, whose expiry finishes the connection.

// Close() queued the close frame while the connection was open: bound the flush. (When the loop
// began a close meanwhile, or the frame already went out, that step has set the timer.)
template <typename Stream>
void WsConnection<Stream>::OnCloseQueued() {
  if (state_ != State::kOpen) return;
  state_ = State::kClosing;
  ArmCloseTimer(kCloseFlushTimeout);
}

// kOpen -> kClosing: the close frame is queued (unless Close() queued one already) and has
// kCloseFlushTimeout to leave.
template <typename Stream>
void WsConnection<Stream>::BeginClose(std::optional<uint16_t> code) {
  state_ = State::kClosing;
  QueueCloseFrame(code);
  ArmCloseTimer(kCloseFlushTimeout);
}

// Transport::Stop: the whole close, flush included, gets kStopTimeout, and nobody waits for the
// client's close frame.
template <typename Stream>
void WsConnection<Stream>::BeginStop() {
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

// Plain reads wait for readability and then read into the loop thread's shared buffer, so an idle
// connection holds no read buffer (uWebSockets does the same). Safe because the loop has one
// thread and HandleInput copies what it keeps before returning. TLS cannot do that (decrypted
// bytes may wait inside the TLS stream without the socket being readable), so it reads.
template <typename Stream>
void WsConnection<Stream>::WaitReadable() {
  if constexpr (kTls) {
    if (tls_read_buffer_.empty()) tls_read_buffer_.resize(kTlsReadBufferSize);
    stream_.async_read_some(asio::buffer(tls_read_buffer_),
                            [self = this->shared_from_this()](const error_code& ec, size_t n) {
                              self->OnTlsRead(ec, n);
                            });
  } else {
    // Pending for as long as the client is quiet: exact-size handler memory.
    stream_.async_wait(tcp::socket::wait_read,
                       asio::bind_allocator(ExactAllocator<void>(),
                                            [self = this->shared_from_this()](
                                                const error_code& ec) { self->OnReadable(ec); }));
  }
}

template <typename Stream>
void WsConnection<Stream>::OnTlsRead(const error_code& ec, size_t bytes) {
  if (finished()) return;
  if (ec) {
    Finish(ec == asio::error::eof || ec == asio::ssl::error::stream_truncated ? "closed by peer"
                                                                              : ec.message());
    return;
  }
  last_receive_ = Clock::now();
  HandleInput(std::string_view(tls_read_buffer_.data(), bytes));
  if (!finished()) WaitReadable();
}

template <typename Stream>
void WsConnection<Stream>::OnReadable(const error_code& wait_ec) {
  if (finished()) return;
  if (wait_ec) {
    Finish(wait_ec.message());
    return;
  }
  thread_local std::vector<char> buffer(kReadBufferSize);
  for (int i = 0; i < kMaxReadsPerWakeup; ++i) {
    error_code ec;
    size_t bytes = stream_.read_some(asio::buffer(buffer), ec);
    if (ec == asio::error::would_block || ec == asio::error::try_again) break;
    if (ec) {
      Finish(ec == asio::error::eof ? "closed by peer" : ec.message());
      return;
    }
    last_receive_ = Clock::now();
    HandleInput(std::string_view(buffer.data(), bytes));
    if (finished()) return;
    if (bytes < buffer.size()) break;  // drained: save the would_block syscall
  }
  WaitReadable();
}

template <typename Stream>
void WsConnection<Stream>::HandleInput(std::string_view input) {
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

template <typename Stream>
void WsConnection<Stream>::HandleEvent(const WsEvent& event) {
  switch (event.kind) {
    case WsEvent::Kind::kMessage:
      // Once a close is queued the server has nothing more to say; input is ignored (RFC 6455).
      // (A connection without a listener always has its close queued.)
      if (queue_.closed()) return;
      CallHandler("OnMessage", [&] { listener_->OnMessage(event.payload, event.binary); });
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

template <typename Stream>
void WsConnection<Stream>::HandlePeerClose(const WsEvent& event) {
  input_ = Input::kPeerClosed;
  if (state_ == State::kCloseWritten) {
    Finish("close handshake complete");
  } else if (state_ == State::kOpen) {
    BeginClose(event.close_code);  // echo the client's code (RFC 6455 5.5.1)
  }
}

template <typename Stream>
void WsConnection<Stream>::HandleParseError() {
  uint16_t code = parser_.error_close_code();
  spdlog::info("connection {} ({}): {}, closing with {}", id_, remote_address_,
               parser_.error_reason(), code);
  // After a 1009 the parser skips the message and still finds the client's close frame; after a
  // 1002 the byte stream is unreliable.
  if (code != kWsCloseTooBig) input_ = Input::kBroken;
  if (state_ == State::kOpen) BeginClose(code);
}

template <typename Stream>
void WsConnection<Stream>::Flush() {
  if (finished() || !queue_.TakeBatch()) return;
  WriteBatch();
}

// Writes the queue's batch. Plain: sends it and then the batches queued meanwhile, until the
// queue is idle or the socket is full (OnWritable carries on); a connection that is fed as fast
// as it writes yields the loop after a few batches. TLS: OnTlsWritten carries on.
template <typename Stream>
void WsConnection<Stream>::WriteBatch() {
  if constexpr (kTls) {
    const std::string_view batch = queue_.single_buffer();
    asio::async_write(stream_, asio::buffer(batch.data(), batch.size()),
                      [self = this->shared_from_this()](const error_code& ec, size_t) {
                        self->OnTlsWritten(ec);
                      });
  } else {
    for (int i = 0; i < kMaxBatchesPerFlush; ++i) {
      if (!SendStaged() || !NextBatch()) return;
    }
    asio::post(stream_.get_executor(), [self = this->shared_from_this()] {
      if (!self->finished()) self->WriteBatch();
    });
  }
}

// Plain: sends what is left of the batch with non-blocking sendmsg calls. Returns true when all
// of it went out. Otherwise the socket is full and the rest waits for writability, or the write
// failed and the connection is finished. A short write means the send buffer is full: waiting
// right away saves the sendmsg that would only return EAGAIN.
template <typename Stream>
bool WsConnection<Stream>::SendStaged() {
  while (!queue_.unsent().empty()) {
    const std::span<const iovec> unsent = queue_.unsent();
    const size_t count = std::min<size_t>(unsent.size(), IOV_MAX);
    msghdr message{};
    message.msg_iov = const_cast<iovec*>(unsent.data());  // sendmsg only reads them
    message.msg_iovlen = count;
    ssize_t sent = ::sendmsg(socket().native_handle(), &message, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (sent < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      Finish("write failed: " + error_code(errno, boost::system::system_category()).message());
      return false;
    }
    queue_.ConsumeSent(static_cast<size_t>(sent));
    if (queue_.unsent().size() > unsent.size() - count) break;  // short write
  }
  if (queue_.unsent().empty()) return true;
  WaitWritable();
  return false;
}

// No writability edge is lost: asio re-arms epoll for each wait (EPOLL_CTL_MOD), which reports a
// socket that became writable since the sendmsg at once.
template <typename Stream>
void WsConnection<Stream>::WaitWritable() {
  socket().async_wait(tcp::socket::wait_write, [self = this->shared_from_this()](
                                                   const error_code& ec) { self->OnWritable(ec); });
}

template <typename Stream>
void WsConnection<Stream>::OnWritable(const error_code& ec) {
  if (finished()) return;
  if (ec) {
    Finish("write failed: " + ec.message());
    return;
  }
  if (SendStaged() && NextBatch()) WriteBatch();
}

template <typename Stream>
void WsConnection<Stream>::OnTlsWritten(const error_code& ec) {
  if (finished()) return;
  if (ec) {
    Finish("write failed: " + ec.message());
    return;
  }
  if (NextBatch()) WriteBatch();
}

// The batch is written: takes the next one. Returns false when there is none (the queue is now
// idle) or the batch ended with the close frame.
template <typename Stream>
bool WsConnection<Stream>::NextBatch() {
  const OutputQueue::Written written = queue_.BatchWritten();
  if (written.close_frame) OnCloseFrameWritten();
  return written.next_batch;
}

// Our close frame is out (in kOpen when Close() queued it and the flush came first).
template <typename Stream>
void WsConnection<Stream>::OnCloseFrameWritten() {
  if (input_ == Input::kPeerClosed) {
    Finish("close handshake complete");
  } else if (state_ == State::kStopping) {
    Finish("server stopping");
  } else {
    state_ = State::kCloseWritten;
    ArmCloseTimer(kCloseGrace);  // give the client time to answer with its close frame
  }
}

template <typename Stream>
void WsConnection<Stream>::ArmIdleTimer() {
  const auto timeout = endpoint_->idle_timeout;
  if (timeout.count() <= 0) return;
  idle_timer_.expires_after(std::max(timeout / 2, std::chrono::milliseconds(1)));
  idle_timer_.async_wait(asio::bind_allocator(
      ExactAllocator<void>(), [self = this->shared_from_this()](const error_code& ec) {
        if (!ec) self->OnIdleCheck();
      }));
}

template <typename Stream>
void WsConnection<Stream>::OnIdleCheck() {
  if (state_ != State::kOpen) return;
  if (Clock::now() - last_receive_ >= endpoint_->idle_timeout) {
    spdlog::info("connection {} ({}): heartbeat missing, closing", id_, remote_address_);
    BeginClose(std::nullopt);
    return;
  }
  ArmIdleTimer();
}

template <typename Stream>
void WsConnection<Stream>::ArmCloseTimer(Clock::duration delay) {
  if (finished()) return;
  close_timer_.expires_after(delay);  // cancels an earlier wait
  close_timer_.async_wait([self = this->shared_from_this()](const error_code& ec) {
    if (!ec) self->Finish("close timed out");
  });
}

// The single exit: every way a connection ends comes here, once.
template <typename Stream>
void WsConnection<Stream>::Finish(std::string_view reason) {
  if (finished()) return;
  state_ = State::kFinished;
  queue_.Abandon();
  idle_timer_.cancel();
  close_timer_.cancel();
  CloseStream();
  spdlog::debug("connection {} ({}) closed: {}", id_, remote_address_, reason);
  if (listener_) {
    CallHandler("OnClose", [&] { listener_->OnClose(); });
    listener_.reset();  // it may hold the Connection: break the cycle
  }
  registry_->Remove(this);
}

// Plain: closes the socket, which aborts the waits in flight. TLS with no write in flight: sends
// close_notify first, so that the client sees an orderly end instead of a truncated stream,
// waiting at most kTlsShutdownTimeout for the client's.
template <typename Stream>
void WsConnection<Stream>::CloseStream() {
  error_code ignored;
  if constexpr (kTls) {
    if (!queue_.has_batch()) {
      socket().cancel(ignored);  // the read in flight: the shutdown reads the client's reply
      close_timer_.expires_after(kTlsShutdownTimeout);
      close_timer_.async_wait([self = this->shared_from_this()](const error_code& ec) {
        error_code ignored;
        if (!ec) self->socket().close(ignored);
      });
      stream_.async_shutdown([self = this->shared_from_this()](const error_code&) {
        error_code ignored;
        self->close_timer_.cancel();
        self->socket().close(ignored);
      });
      return;
    }
  }
  socket().shutdown(tcp::socket::shutdown_both, ignored);
  socket().close(ignored);
}

// The handler is server code: an exception from it is a bug, but it must cost this connection
// only, not the loop.
template <typename Stream>
template <typename Fn>
void WsConnection<Stream>::CallHandler(std::string_view what, Fn&& fn) {
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

}  // namespace

void StartWsConnection(WsConnectionSetup setup) {
  auto& io_context = *static_cast<asio::io_context*>(setup.loop->native_handle());
  tcp::socket socket(io_context);
  error_code ec;
  socket.assign(setup.ipv6 ? tcp::v6() : tcp::v4(), setup.native_socket, ec);
  if (!ec) socket.non_blocking(true, ec);  // reads are done by hand after async_wait
  if (ec) {
    spdlog::warn("transport: cannot adopt socket of {}: {}", setup.remote_address, ec.message());
    ::close(setup.native_socket);
    return;
  }
  std::string initial_bytes = std::move(setup.initial_bytes);
  auto connection =
      std::make_shared<WsConnection<tcp::socket>>(std::move(setup), std::move(socket));
  connection->Start(std::move(initial_bytes));
}

void StartTlsWsConnection(WsConnectionSetup setup, std::unique_ptr<TlsStream> stream) {
  std::string initial_bytes = std::move(setup.initial_bytes);
  auto connection =
      std::make_shared<WsConnection<TlsSocket>>(std::move(setup), std::move(stream->socket));
  connection->Start(std::move(initial_bytes));
}

}  // namespace strata

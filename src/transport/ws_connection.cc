// WsConnection<Stream>: WsConnectionBase over its byte stream, a tcp::socket or a TlsSocket chosen
// at compile time, so that the plain path has no TLS branch and no extra copy. This file holds the
// socket calls (reads, writes, the timers, the end of the stream); what the bytes mean and when
// the connection closes are decided in ws_connection_base.cc, which reaches the stream through
// four virtual steps: one virtual call per flush, none per read or write.
//
// Threading: everything here runs on the connection's loop.
//
// Output: a flush takes the output queue's batch and writes it; the end of the batch takes
// whatever gathered meanwhile (WsConnectionBase::NextBatch), until the queue is idle. Plain
// sockets write with a non-blocking sendmsg right in Flush, so a batch the socket accepts costs
// one syscall and no asio operation; only a full socket waits for writability. TLS writes with
// asio's async_write.

#include "transport/ws_connection.h"

#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <span>
#include <type_traits>
#include <vector>

#include <boost/asio/bind_allocator.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <spdlog/spdlog.h>

#include "transport/asio_stream.h"
#include "transport/exact_allocator.h"
#include "transport/ws_connection_base.h"

namespace strata {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using boost::system::error_code;

constexpr size_t kReadBufferSize = 64 * 1024;
// Reads per readiness wakeup: a busy client must not starve the others on its loop.
constexpr int kMaxReadsPerWakeup = 4;
// Batches one Flush writes before it lets the other connections of the loop run.
constexpr int kMaxBatchesPerFlush = 4;
// TLS reads decrypt into a buffer of the connection (the read is in flight while other
// connections of the loop run): one TLS record.
constexpr size_t kTlsReadBufferSize = 16 * 1024;
// TLS: how long the close_notify exchange after the end of a connection may take.
constexpr std::chrono::seconds kTlsShutdownTimeout{1};

template <typename Stream>
class WsConnection final : public WsConnectionBase {
 public:
  static constexpr bool kTls = std::is_same_v<Stream, TlsSocket>;

  WsConnection(WsConnectionSetup setup, Stream stream);

 private:
  std::shared_ptr<WsConnection> Self() {
    return std::static_pointer_cast<WsConnection>(shared_from_this());
  }
  tcp::socket& socket() { return LowestSocket(stream_); }

  void StartReading() override;
  void Flush() override;
  void ArmCloseTimer(Clock::duration delay) override;
  void CloseStream() override;

  void WaitReadable();
  void OnReadable(const error_code& wait_ec);
  void OnTlsRead(const error_code& ec, size_t bytes);
  void WriteBatch();
  bool SendStaged();
  void WaitWritable();
  void OnWritable(const error_code& ec);
  void OnTlsWritten(const error_code& ec);
  void ArmIdleTimer();
  void ShutdownTls();

  Stream stream_;
  std::vector<char> tls_read_buffer_;  // TLS only
  asio::steady_timer idle_timer_;
  asio::steady_timer close_timer_;
};

template <typename Stream>
WsConnection<Stream>::WsConnection(WsConnectionSetup setup, Stream stream)
    : WsConnectionBase(std::move(setup),
                       kTls ? OutputQueue::Layout::kSingleBuffer : OutputQueue::Layout::kGather),
      stream_(std::move(stream)),
      idle_timer_(stream_.get_executor()),
      close_timer_(stream_.get_executor()) {}

template <typename Stream>
void WsConnection<Stream>::StartReading() {
  ArmIdleTimer();
  WaitReadable();
}

// Plain reads wait for readability and then read into the loop thread's shared buffer, so an idle
// connection holds no read buffer (uWebSockets does the same). Safe because the loop has one
// thread and Receive copies what it keeps before returning. TLS cannot do that (decrypted bytes
// may wait inside the TLS stream without the socket being readable), so it reads.
template <typename Stream>
void WsConnection<Stream>::WaitReadable() {
  if constexpr (kTls) {
    if (tls_read_buffer_.empty()) tls_read_buffer_.resize(kTlsReadBufferSize);
    stream_.async_read_some(
        asio::buffer(tls_read_buffer_),
        [self = Self()](const error_code& ec, size_t n) { self->OnTlsRead(ec, n); });
  } else {
    // Pending for as long as the client is quiet: exact-size handler memory.
    stream_.async_wait(
        tcp::socket::wait_read,
        asio::bind_allocator(ExactAllocator<void>(),
                             [self = Self()](const error_code& ec) { self->OnReadable(ec); }));
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
  Receive(std::string_view(tls_read_buffer_.data(), bytes));
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
    Receive(std::string_view(buffer.data(), bytes));
    if (finished()) return;
    if (bytes < buffer.size()) break;  // drained: save the would_block syscall
  }
  WaitReadable();
}

template <typename Stream>
void WsConnection<Stream>::Flush() {
  if (finished() || !queue().TakeBatch()) return;
  WriteBatch();
}

// Writes the queue's batch. Plain: sends it and then the batches queued meanwhile, until the
// queue is idle or the socket is full (OnWritable carries on); a connection that is fed as fast
// as it writes yields the loop after a few batches. TLS: OnTlsWritten carries on.
template <typename Stream>
void WsConnection<Stream>::WriteBatch() {
  if constexpr (kTls) {
    const std::string_view batch = queue().single_buffer();
    asio::async_write(stream_, asio::buffer(batch.data(), batch.size()),
                      [self = Self()](const error_code& ec, size_t) { self->OnTlsWritten(ec); });
  } else {
    for (int i = 0; i < kMaxBatchesPerFlush; ++i) {
      if (!SendStaged() || !NextBatch()) return;
    }
    asio::post(stream_.get_executor(), [self = Self()] {
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
  OutputQueue& out = queue();
  while (!out.unsent().empty()) {
    const std::span<const iovec> unsent = out.unsent();
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
    out.ConsumeSent(static_cast<size_t>(sent));
    if (out.unsent().size() > unsent.size() - count) break;  // short write
  }
  if (out.unsent().empty()) return true;
  WaitWritable();
  return false;
}

// No writability edge is lost: asio re-arms epoll for each wait (EPOLL_CTL_MOD), which reports a
// socket that became writable since the sendmsg at once.
template <typename Stream>
void WsConnection<Stream>::WaitWritable() {
  socket().async_wait(tcp::socket::wait_write,
                      [self = Self()](const error_code& ec) { self->OnWritable(ec); });
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

// Pending for as long as the client is quiet, like the read: exact-size handler memory.
template <typename Stream>
void WsConnection<Stream>::ArmIdleTimer() {
  const std::chrono::milliseconds timeout = idle_timeout();
  if (timeout.count() <= 0) return;
  idle_timer_.expires_after(std::max(timeout / 2, std::chrono::milliseconds(1)));
  idle_timer_.async_wait(
      asio::bind_allocator(ExactAllocator<void>(), [self = Self()](const error_code& ec) {
        if (!ec && self->CheckIdle()) self->ArmIdleTimer();
      }));
}

template <typename Stream>
void WsConnection<Stream>::ArmCloseTimer(Clock::duration delay) {
  if (finished()) return;
  close_timer_.expires_after(delay);  // cancels an earlier wait
  close_timer_.async_wait([self = Self()](const error_code& ec) {
    if (!ec) self->Finish("close timed out");
  });
}

// Plain: closes the socket, which aborts the waits in flight. TLS with no write in flight: sends
// close_notify first (ShutdownTls).
template <typename Stream>
void WsConnection<Stream>::CloseStream() {
  idle_timer_.cancel();
  close_timer_.cancel();
  if constexpr (kTls) {
    if (!queue().has_batch()) {
      ShutdownTls();
      return;
    }
  }
  error_code ignored;
  socket().shutdown(tcp::socket::shutdown_both, ignored);
  socket().close(ignored);
}

// close_notify, so that the client sees an orderly end instead of a truncated stream, waiting at
// most kTlsShutdownTimeout for the client's.
template <typename Stream>
void WsConnection<Stream>::ShutdownTls() {
  error_code ignored;
  socket().cancel(ignored);  // the read in flight: the shutdown reads the client's reply
  close_timer_.expires_after(kTlsShutdownTimeout);
  close_timer_.async_wait([self = Self()](const error_code& ec) {
    error_code ignored;
    if (!ec) self->socket().close(ignored);
  });
  stream_.async_shutdown([self = Self()](const error_code&) {
    error_code ignored;
    self->close_timer_.cancel();
    self->socket().close(ignored);
  });
}

}  // namespace

void StartWsConnection(WsConnectionSetup setup) {
  tcp::socket socket(IoContext(setup.loop));
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
  connection->Start(initial_bytes);
}

void StartTlsWsConnection(WsConnectionSetup setup, std::unique_ptr<TlsStream> stream) {
  std::string initial_bytes = std::move(setup.initial_bytes);
  auto connection =
      std::make_shared<WsConnection<TlsSocket>>(std::move(setup), std::move(stream->socket));
  connection->Start(initial_bytes);
}

}  // namespace strata
